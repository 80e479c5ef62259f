"""The `coursehost` command as a user runs it: real processes, a fresh DATA_DIR."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

BIN = Path(sys.executable).parent / "coursehost"


def _env(data_dir: Path, database_url: str, **extra) -> dict:
    env = dict(os.environ, COURSEHOST_DATA_DIR=str(data_dir), COURSEHOST_DATABASE_URL=database_url)
    env.update(extra)
    return env


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database of this backend (the session one already has realms in it)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    from tests.databases import create_pg_database, drop_pg_database

    url = create_pg_database()
    yield url
    drop_pg_database(url)


def test_first_serve_creates_a_realm_prints_credentials_and_answers_ping(tmp_path, fresh_database_url):
    port, content_port = free_port(), free_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port), "--content-port", str(content_port), "--no-access-log"],
        env=_env(tmp_path, fresh_database_url, COURSEHOST_RUN_WORKER="true"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        output = ""
        deadline = time.time() + 60
        while "try: curl" not in output and time.time() < deadline:
            output += proc.stdout.readline()
        app_id = re.search(r"appId:\s+(\S+)", output).group(1)
        secret = re.search(r"secretKey:\s+(\S+)", output).group(1)
        url = f"http://127.0.0.1:{port}/api/v2/ping"
        for _ in range(200):
            try:
                resp = httpx.get(url, auth=(app_id, secret))
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert resp.status_code == 200 and resp.json()["apiMessage"] == "pong"
        unauth = httpx.get(url)
        assert unauth.status_code == 401 and unauth.json() == {"error": "Authorization Required."}
        assert (tmp_path / "instance.key").exists()
        assert oct((tmp_path / "instance.key").stat().st_mode)[-3:] == "600"
        assert f"http://127.0.0.1:{port}/api/v2/ping" in output  # the banner names the real address
        # Both origins are named, and the content origin answers but has no API.
        assert f"Service (API, LRS): http://127.0.0.1:{port}" in output
        assert f"Content (player, course files): http://127.0.0.1:{content_port}" in output
        assert httpx.get(f"http://127.0.0.1:{content_port}/api/v2/ping", auth=(app_id, secret)).status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # The secret key is never logged beyond the one-time banner.
    rest = output.split("secretKey", 1)[1].split("\n", 1)[1] + proc.stdout.read()
    proc.stdout.close()
    assert secret not in rest


def test_app_create_and_list(tmp_path, fresh_database_url):
    env = _env(tmp_path, fresh_database_url)

    def run(*args):
        return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60)

    made = run("app", "create", "--name", "Management", "--management", "--json")
    assert made.returncode == 0, made.stderr
    mgmt = json.loads(made.stdout)
    assert set(mgmt) == {"appId", "secretKey"} and len(mgmt["appId"]) == 10
    again = run("app", "create", "--name", "Second management", "--management", "--json")
    assert again.returncode == 2 and "already has" in again.stderr
    normal = json.loads(run("app", "create", "--name", "Sales", "--json").stdout)
    listed = json.loads(run("app", "list", "--json").stdout)
    assert {(a["appId"], a["management"]) for a in listed} == {(mgmt["appId"], True), (normal["appId"], False)}
    upgraded = run("db", "upgrade")
    assert upgraded.returncode == 0 and "up to date" in upgraded.stdout


@pytest.mark.parametrize(("args", "env"), [
    (["--port", "{port}", "--content-port", "{port}"], {}),
    ([], {"COURSEHOST_PUBLIC_URL": "http://127.0.0.1:{port}", "COURSEHOST_CONTENT_URL": "http://127.0.0.1:{port}/content"}),
    ([], {"COURSEHOST_BASE_URL": "https://learn.example.com", "COURSEHOST_CONTENT_URL": "https://learn.example.com/c"}),
])
def test_serve_refuses_one_origin_for_service_and_content(tmp_path, fresh_database_url, args, env):
    port = str(free_port())
    result = subprocess.run(
        [str(BIN), "serve", *[a.format(port=port) for a in args]],
        env=_env(tmp_path, fresh_database_url, **{k: v.format(port=port) for k, v in env.items()}),
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "must differ" in result.stderr and "Traceback" not in result.stderr
    assert "appId" not in result.stdout  # refused before anything was created
