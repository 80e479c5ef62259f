"""`coursehost serve` as a real process, for tests that kill it (-9) or restart it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.servers import AppCreds, free_port

BIN = Path(sys.executable).parent


class ServerProcess:
    """One service process over DATABASE_URL and DATA_DIR, listening on the service origin (base_url,
    API and LRS) and the content origin (content_url, player and course files); the ports stay the
    same across restarts. With ACCESS_LOG, `output` collects everything the process prints."""

    def __init__(self, database_url: str, data_dir: Path, *, env: dict | None = None, access_log: bool = False):
        self.database_url, self.data_dir = database_url, data_dir
        self.port, self.content_port = free_port(), free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.service_url = self.base_url
        self.content_url = f"http://127.0.0.1:{self.content_port}"
        self.api_url = self.base_url + "/api/v2"
        self.extra_env = env or {}
        self.access_log = access_log
        self.output: list[str] = []
        self._drainer: threading.Thread | None = None
        self.proc: subprocess.Popen | None = None
        self.creds: AppCreds | None = None
        self.secret_key = "test-instance-key-" + "k" * 40

    def start(self) -> None:
        env = dict(os.environ, COURSEHOST_DATA_DIR=str(self.data_dir), COURSEHOST_DATABASE_URL=self.database_url,
                   COURSEHOST_STORAGE_URL=f"file://{self.data_dir / 'content'}", COURSEHOST_SECRET_KEY=self.secret_key,
                   COURSEHOST_WORKER_POLL_SECONDS="0.2", COURSEHOST_ALLOW_PRIVATE_URLS="true", **self.extra_env)
        self.proc = subprocess.Popen(self.command(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        out = ""
        deadline = time.monotonic() + 60
        while self.creds is None and "try: curl" not in out:  # only the first start prints them
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"serve exited: {out}")
            out += line
        self.output.append(out)
        if self.creds is None:
            if "appId:" not in out:
                raise RuntimeError(f"serve printed no credentials: {out}")
            self.creds = AppCreds(out.split("appId:")[1].split()[0], out.split("secretKey:")[1].split()[0])
        self._drain()
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.api_url + "/ping", auth=(self.creds.app_id, self.creds.secret)).status_code == 200:
                    httpx.get(self.content_url + "/")  # the content origin listens too
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("serve did not answer")

    def command(self) -> list[str]:
        """The command line that starts the process (`coursehost serve` on this object's two ports)."""
        logging = ["--log-level", "info"] if self.access_log else ["--no-access-log", "--log-level", "warning"]
        return [str(BIN / "coursehost"), "serve", "--port", str(self.port), "--content-port", str(self.content_port),
                *logging]

    def _drain(self) -> None:
        proc, output = self.proc, self.output

        def drain():
            for line in proc.stdout:
                output.append(line)
            proc.stdout.close()  # the process has ended; an open pipe would be a ResourceWarning

        self._drainer = threading.Thread(target=drain, daemon=True)
        self._drainer.start()

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()
        if self._drainer is not None:
            self._drainer.join(timeout=10)

    def client(self):
        import rustici_software_cloud_v2 as cloud

        config = cloud.Configuration()
        config.host = self.api_url
        config.username, config.password = self.creds.app_id, self.creds.secret
        return cloud.ApiClient(config)


def fresh_database(backend: str, tmp_path: Path):
    """(url, cleanup) of a new, empty database of BACKEND ("sqlite" or "postgresql")."""
    from tests.databases import create_pg_database, drop_pg_database

    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'coursehost.db'}", lambda: None
    url = create_pg_database()
    return url, lambda: drop_pg_database(url)
