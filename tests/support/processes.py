"""Real processes for tests: a Celery worker on real Redis, and helpers to wait for ports."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1  # prctl(2)
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered on {host}:{port} within {timeout}s")


def die_with_parent() -> None:
    """In a child before exec: SIGKILL it when the test process dies (Linux). A worker orphaned by a
    killed test run would otherwise go on taking tasks from Redis databases that a later run claims,
    against a database that is gone (its chunk then finds no log)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Worker:
    """`celery -A workers.celery_app worker` in a subprocess with the test environment."""

    def __init__(self, log_path: Path, concurrency: int = 2, extra_env: dict[str, str] | None = None,
                 include: str | None = None):
        self.log_path = log_path
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.include = include  # a module of test tasks to load too
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Worker:
        env = {**os.environ, **self.extra_env}
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--loglevel=INFO",
             f"--concurrency={self.concurrency}", "--pool=prefork", "--without-gossip", "--without-mingle",
             "-n", f"test-{os.getpid()}@%h", *(["--include", self.include] if self.include else [])],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early; see {self.log_path}")
            if b"ready." in self.log_path.read_bytes():
                return self
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready within {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole worker group, as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()
