"""Migrations at start for rolling upgrades, with real `coursehost` processes on each backend:
COURSEHOST_MIGRATE_ON_START, a schema newer than the release (run as the previous release), an older one
(refused without migrate-on-start), and `coursehost db upgrade` printing from -> to."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from coursehost.db.migrate import head_revision, schema_status, upgrade
from coursehost.db.session import make_engine
from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS

CLI = [sys.executable, "-m", "coursehost.cli.main"]
FUTURE = "9999_a_later_release"
NEWER_LINE = (f"database schema is newer (rev {FUTURE}) than this release knows; running as the previous release "
              "during a rolling upgrade")


@pytest.fixture(params=BACKENDS)
def fresh_url(request, tmp_path):
    url, cleanup = fresh_database(request.param, tmp_path)
    yield url
    cleanup()


def _env(tmp_path: Path, url: str, **extra) -> dict:
    return dict(os.environ, COURSEHOST_DATA_DIR=str(tmp_path / "data"), COURSEHOST_DATABASE_URL=url, **extra)


def _run(tmp_path: Path, url: str, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=_env(tmp_path, url, **extra), capture_output=True, text=True, timeout=120)


def _stamp(url: str, revision: str) -> None:
    """Set the database's recorded revision (as a later release's `db upgrade` would leave it)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :rev"), {"rev": revision})
    engine.dispose()


def test_db_upgrade_prints_from_and_to(tmp_path, fresh_url):
    first = _run(tmp_path, fresh_url, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert f"database upgraded: rev none (empty database) -> rev {head_revision()}" in first.stdout
    again = _run(tmp_path, fresh_url, "db", "upgrade")
    assert f"database is up to date: rev {head_revision()} -> rev {head_revision()}" in again.stdout
    _stamp(fresh_url, FUTURE)
    newer = _run(tmp_path, fresh_url, "db", "upgrade")
    assert newer.returncode == 0 and f"database schema is newer (rev {FUTURE})" in newer.stdout, newer.stderr
    assert schema_status(fresh_url).current == FUTURE  # left alone


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
def test_an_older_schema_is_refused_when_migrate_on_start_is_off(tmp_path, fresh_url, command):
    empty = _run(tmp_path, fresh_url, *command, COURSEHOST_MIGRATE_ON_START="false")
    assert empty.returncode == 2, empty.stdout + empty.stderr
    assert "schema is empty (never migrated)" in empty.stderr and "run `coursehost db upgrade`" in empty.stderr
    assert "Traceback" not in empty.stderr and "appId" not in empty.stdout
    assert schema_status(fresh_url).current is None  # nothing was migrated
    upgrade(fresh_url, "0023")
    older = _run(tmp_path, fresh_url, *command, COURSEHOST_MIGRATE_ON_START="false")
    assert older.returncode == 2 and f"schema is rev 0023 but this release needs rev {head_revision()}" in older.stderr
    assert schema_status(fresh_url).current == "0023"


def test_serve_with_migrate_on_start_off_starts_on_an_up_to_date_schema(tmp_path, fresh_url):
    upgrade(fresh_url)
    off = ServerProcess(fresh_url, tmp_path / "off", env={"COURSEHOST_MIGRATE_ON_START": "false"})
    try:
        off.start()  # an up-to-date schema: starts without migrating
        assert httpx.get(off.api_url + "/ping", auth=(off.creds.app_id, off.creds.secret)).status_code == 200
    finally:
        off.stop()


def test_serve_runs_on_a_newer_schema_as_the_previous_release(tmp_path, fresh_url):
    upgrade(fresh_url)
    _stamp(fresh_url, FUTURE)
    server = ServerProcess(fresh_url, tmp_path / "data")  # COURSEHOST_MIGRATE_ON_START defaults to true
    try:
        server.start()
        assert NEWER_LINE in "".join(server.output)
        resp = httpx.get(server.api_url + "/ping", auth=(server.creds.app_id, server.creds.secret))
        assert resp.status_code == 200 and resp.json()["apiMessage"] == "pong"
    finally:
        server.stop()
    assert schema_status(fresh_url).current == FUTURE


def test_worker_runs_on_a_newer_schema(tmp_path, fresh_url):
    upgrade(fresh_url)
    _stamp(fresh_url, FUTURE)
    proc = subprocess.Popen([*CLI, "worker"], env=_env(tmp_path, fresh_url), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        output, deadline = "", time.monotonic() + 60
        while "polling" not in output and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output += line
        assert NEWER_LINE in output and "polling" in output, output
        assert proc.poll() is None  # still running
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()


def test_processes_starting_at_once_migrate_one_after_another(fresh_url):
    results: list = []

    def run():
        try:
            results.append(upgrade(fresh_url))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    head = head_revision()
    assert sorted(results, key=str) == sorted([(None, head), (head, head), (head, head)], key=str)
