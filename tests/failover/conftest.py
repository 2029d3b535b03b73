"""Broker failover fixtures: a private redis-server that a test can stop and restart, a supervised
Celery worker on it that is restarted when it exits (and counts that), and a client to send tasks and
read their results.

Reusable pieces (see each docstring):

- `redis_server_factory(aof=False)` -> `RedisServer` (fixture `redis_server`: no persistence;
  `aof_redis_server`: `--appendonly yes --appendfsync everysec`), with `.url`, `.port`, `.pid`,
  `.start()`, `.stop(kill=False)`, `.restart(down=1.0, kill=False)`.
- `worker_supervisor_factory(redis_server, concurrency=2)` -> `WorkerSupervisor` (fixture
  `supervised_worker` on `redis_server`), with `.start()`, `.pid`, `.restarts`, `.wait_ready()`,
  `.wait_log(text)`, `.log_tail()`, `.stop()`.
- `BrokerClient(redis_server)` (fixture `broker_client`): `.send(task_name, *args, countdown=None)`
  -> task id, `.result(task_id, timeout)` -> the value (raises `TimeoutError`).

Each server and worker gets its own free port, directory and log under the test's `tmp_path`.
The worker has the run's environment (database, Redis database numbers) with REDIS_URL pointing at
the private server, and loads `tests.support.failover_tasks`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from orgonaut.settings import get_settings, redis_url_with_db
from tests.support.cursor_simulator import clean_cursor_simulator, cursor_simulator  # noqa: F401
from tests.support.processes import ROOT, free_port
from tests.support.simulator import clean_simulator, simulator  # noqa: F401

TASKS_MODULE = "tests.support.failover_tasks"

if shutil.which("redis-server") is None:  # devstack prepare-tests installs it: never skip quietly
    raise RuntimeError("redis-server is not installed: run `python -m orgonaut.devstack prepare-tests`")


class RedisServer:
    """A redis-server of its own on 127.0.0.1:<free port>, in the foreground as our child.

    `aof=False`: no persistence at all (`--save "" --appendonly no`), like the devstack: a restart
    loses every key. `aof=True`: `--appendonly yes --appendfsync everysec`, as production should run.
    The port stays the same across restarts, so clients reconnect to the same URL.
    """

    def __init__(self, directory: Path, aof: bool = False, port: int | None = None):
        self.directory = directory
        self.aof = aof
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def db_url(self, db: int) -> str:
        return redis_url_with_db(self.url, db)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None

    def command(self) -> list[str]:
        persistence = (["--appendonly", "yes", "--appendfsync", "everysec"] if self.aof
                       else ["--appendonly", "no"])
        return ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                *persistence, "--dir", str(self.directory), "--daemonize", "no"]

    def start(self, timeout: float = 15.0) -> RedisServer:
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.directory / 'redis.log'}")
            try:
                if client.ping():
                    return self
            except redis.exceptions.BusyLoadingError:
                pass  # still loading the AOF
            except redis.exceptions.ConnectionError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"redis-server on {self.port} not up within {timeout}s")

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (a clean shutdown, which fsyncs the AOF) or SIGKILL (a crash)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def restart(self, down: float = 1.0, kill: bool = False) -> None:
        """Stops the server, leaves it down for `down` seconds, starts it again on the same port."""
        self.stop(kill=kill)
        time.sleep(down)
        self.start()


class WorkerSupervisor:
    """Runs `celery -A workers.celery_app worker` and starts it again whenever it exits, like a
    restart-always supervisor. `restarts` counts those exits; a healthy worker keeps `restarts == 0`
    and the same `pid`."""

    def __init__(self, directory: Path, broker: RedisServer, concurrency: int = 2,
                 extra_env: dict[str, str] | None = None):
        self.directory = directory
        self.broker = broker
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.exit_codes: list[int] = []
        self._generation = 0
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def log_path(self) -> Path:
        return self.directory / f"worker-{self._generation}.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None

    def command(self) -> list[str]:
        # The devstack's worker command (orgonaut/devstack.py), plus the test tasks and a unique name.
        return [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--loglevel=INFO",
                f"--concurrency={self.concurrency}", "--pool=prefork", "--include", TASKS_MODULE,
                "-n", f"failover-{os.getpid()}-{self._generation}@%h"]

    def _spawn(self) -> None:
        env = {**os.environ, "REDIS_URL": self.broker.url, **self.extra_env}
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def start(self, timeout: float = 60.0) -> WorkerSupervisor:
        self._spawn()
        self.wait_ready(timeout)
        self._watcher = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._watcher.start()
        return self

    def _watch(self) -> None:
        while not self._stopping.wait(0.2):
            process = self.process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                self.exit_codes.append(process.returncode)
                self.restarts += 1
                self._generation += 1
                self._spawn()

    def wait_log(self, text: str, timeout: float = 30.0) -> None:
        """Waits until the current worker's log contains `text`."""
        deadline = time.monotonic() + timeout
        needle = text.encode()
        while time.monotonic() < deadline:
            if self.log_path.exists() and needle in self.log_path.read_bytes():
                return
            time.sleep(0.1)
        raise TimeoutError(f"{text!r} not in {self.log_path} within {timeout}s:\n{self.log_tail()}")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None and self._watcher is None:
                raise RuntimeError(f"worker exited at start:\n{self.log_tail()}")
            if self.log_path.exists() and b"ready." in self.log_path.read_bytes():
                return
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        texts = []
        for path in sorted(self.directory.glob("worker-*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            texts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(texts)

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(5)
        process = self.process
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)  # a warm shutdown now and then hangs; the test is over anyway
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


class BrokerClient:
    """Sends tasks to the private broker by name and reads results straight from the result backend.

    A fresh Celery app per send and a plain Redis read per poll, so a Redis restart in between never
    leaves the test holding a dead connection: what is tested is the worker, not this client.
    """

    def __init__(self, broker: RedisServer):
        settings = get_settings()
        self.broker_url = broker.db_url(settings.redis_celery_db)  # the worker's broker and backend

    def send(self, task_name: str, *args: object, countdown: float | None = None) -> str:
        from celery import Celery

        from workers.celery_app import app as orgonaut_app

        client = Celery("failover-client", broker=self.broker_url, backend=self.broker_url)
        client.conf.update(task_serializer="json", accept_content=["json"],
                           task_default_queue=orgonaut_app.conf.task_default_queue)
        try:
            return client.send_task(task_name, args=list(args), countdown=countdown).id
        finally:
            client.close()

    def result(self, task_id: str, timeout: float = 30.0) -> object:
        deadline = time.monotonic() + timeout
        key = f"celery-task-meta-{task_id}"
        while time.monotonic() < deadline:
            try:
                raw = redis.Redis.from_url(self.broker_url, socket_connect_timeout=1).get(key)
            except redis.exceptions.ConnectionError:
                raw = None
            if raw is not None:
                meta = json.loads(raw)
                if meta["status"] == "SUCCESS":
                    return meta["result"]
                if meta["status"] in ("FAILURE", "REVOKED"):
                    raise AssertionError(f"task {task_id} ended {meta['status']}: {meta.get('result')}")
            time.sleep(0.2)
        raise TimeoutError(f"no result for {task_id} within {timeout}s")


@pytest.fixture
def redis_server_factory(tmp_path):
    """`make(aof=False)` starts a private redis-server; all are stopped at the end of the test."""
    servers: list[RedisServer] = []

    def make(aof: bool = False) -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(servers)}", aof=aof).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop(kill=True)


@pytest.fixture
def redis_server(redis_server_factory) -> RedisServer:
    """A private redis-server with no persistence (the devstack's settings)."""
    return redis_server_factory(aof=False)


@pytest.fixture
def aof_redis_server(redis_server_factory) -> RedisServer:
    """A private redis-server with AOF, `appendfsync everysec` (the production settings)."""
    return redis_server_factory(aof=True)


@pytest.fixture
def worker_supervisor_factory(tmp_path):
    """`make(redis_server, concurrency=2, start=True)` -> a supervised worker on that server."""
    supervisors: list[WorkerSupervisor] = []

    def make(broker: RedisServer, concurrency: int = 2, start: bool = True,
             extra_env: dict[str, str] | None = None) -> WorkerSupervisor:
        supervisor = WorkerSupervisor(tmp_path / f"worker-{len(supervisors)}", broker,
                                      concurrency=concurrency, extra_env=extra_env)
        supervisors.append(supervisor)
        return supervisor.start() if start else supervisor

    yield make
    for supervisor in supervisors:
        supervisor.stop()


@pytest.fixture
def supervised_worker(worker_supervisor_factory, redis_server) -> WorkerSupervisor:
    """A running, supervised worker on `redis_server`."""
    return worker_supervisor_factory(redis_server)


@pytest.fixture
def broker_client(redis_server) -> BrokerClient:
    return BrokerClient(redis_server)
