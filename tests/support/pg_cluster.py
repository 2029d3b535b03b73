"""A private PostgreSQL cluster for tests that stop and start the database server itself.

`initdb` and `pg_ctl` from PATH, a data directory of its own and a free port on 127.0.0.1, so a
restart or an outage hurts no other test and no other run. PostgreSQL refuses to run as root: as
root the cluster's commands run as the `postgres` user (`runuser`), in a directory that user owns
(outside pytest's tmp_path, which only root may enter).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tests.support.processes import free_port

OWNER = "postgres"


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", OWNER, "--", *command] if os.geteuid() == 0 else command


class PostgresCluster:
    """`init()` once, then `start()` / `stop()` as often as a test likes; `remove()` at the end."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="orgonaut-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.directory, OWNER)
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.port = free_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        subprocess.run(_as_owner(list(command)), check=True, timeout=timeout, capture_output=True)

    def init(self) -> PostgresCluster:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        return self

    def start(self) -> None:
        # fsync off: a test database, thrown away; the socket lives in the cluster's own directory.
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: disconnects every client and shuts down cleanly; `immediate`: as a crash would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> str:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
