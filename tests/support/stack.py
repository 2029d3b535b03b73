"""The web app as a real process for browser tests: `reflex run --env prod --single-port`.

It builds into its own web folder (var/e2e-web) so it never disturbs the demo's `.web`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.processes import ROOT

E2E_WEB_DIR = Path(os.environ.get("ORGONAUT_E2E_WEB_DIR", ROOT / "var" / "e2e-web"))


class WebApp:
    def __init__(self, port: int, log_path: Path, extra_env: dict[str, str] | None = None):
        self.port = port
        self.base_url = f"http://localhost:{port}"
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 600.0) -> WebApp:
        from orgonaut.devstack import port_in_use

        if port_in_use(self.port):
            raise RuntimeError(f"port {self.port} is taken: the browser tests need it (ORGONAUT_E2E_PORT)")
        E2E_WEB_DIR.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "ORGONAUT_PORT": str(self.port),
            "ORGONAUT_BASE_URL": self.base_url,
            "REFLEX_WEB_WORKDIR": str(E2E_WEB_DIR),
            "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{os.environ.get('PATH', '')}",
            **self.extra_env,
        }
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port",
             "--frontend-port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the web app exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/ping", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(1)
        raise TimeoutError(f"the web app did not answer within {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if getattr(self, "_log", None):
            self._log.close()
