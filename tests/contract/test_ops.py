"""Health, readiness, metrics and request ids on a live server (issue 21): /healthz on both origins,
/readyz failing while the database or the blob store is gone and recovering after, /metrics parsed
with prometheus-client's own parser."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from coursehost.db.base import utcnow
from coursehost.db.migrate import upgrade
from coursehost.db.models.jobs import Job
from coursehost.db.session import normalize_url, unit_of_work
from coursehost.domain.outbox import enqueue
from tests.contract.server_process import fresh_database
from tests.databases import BACKENDS, PG_URL, create_pg_database, drop_pg_database
from tests.servers import running_live_server


@pytest.fixture(params=BACKENDS)
def fresh_url(request, tmp_path):
    """A new, migrated database of each backend (a server of its own needs a realm of its own)."""
    url, cleanup = fresh_database(request.param, tmp_path)
    upgrade(url)
    yield url
    cleanup()


def test_healthz_on_both_origins_and_request_ids(live_server):
    for origin in (live_server.service_url, live_server.content_url):
        answer = httpx.get(f"{origin}/healthz", headers={"X-Request-ID": "lb-check.1_a"})
        assert answer.status_code == 200 and answer.json() == {"status": "ok"}
        assert answer.headers["x-request-id"] == "lb-check.1_a"  # a sane incoming id is kept
    for insane in (b"x" * 65, b"has space", b"semi;colon", "\u00e9t\u00e9".encode(), b""):
        answer = httpx.get(f"{live_server.service_url}/healthz", headers={"X-Request-ID": insane})
        made = answer.headers["x-request-id"]
        assert made.encode() != insane and re.fullmatch(r"[0-9a-f]{17,32}", made), made
    made = {httpx.get(f"{live_server.service_url}/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(made) == 3  # one new id per request without one
    ready = httpx.get(f"{live_server.service_url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "store": "ok"}}


def test_readyz_fails_while_the_store_is_gone(fresh_url, tmp_path):
    with running_live_server(fresh_url, tmp_path / "data") as server:
        content = tmp_path / "data" / "content"
        assert httpx.get(f"{server.service_url}/readyz").status_code == 200
        content.rename(tmp_path / "moved-away")
        answer = httpx.get(f"{server.service_url}/readyz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "unavailable", "checks": {"database": "ok", "store": "failed"}}
        assert str(tmp_path) not in answer.text  # the reason goes to the log, not to the caller
        assert httpx.get(f"{server.service_url}/healthz").status_code == 200  # alive, just not ready
        (tmp_path / "moved-away").rename(content)
        assert httpx.get(f"{server.service_url}/readyz").status_code == 200


def test_readyz_fails_while_the_sqlite_file_is_gone(tmp_path):
    url = f"sqlite:///{tmp_path / 'db' / 'coursehost.db'}"
    (tmp_path / "db").mkdir()
    upgrade(url)
    with running_live_server(url, tmp_path / "data") as server:
        assert httpx.get(f"{server.service_url}/readyz").status_code == 200
        (tmp_path / "db").rename(tmp_path / "db-away")  # the open connections would still answer SELECT 1
        answer = httpx.get(f"{server.service_url}/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"] == {"database": "failed", "store": "ok"}
        (tmp_path / "db-away").rename(tmp_path / "db")
        assert httpx.get(f"{server.service_url}/readyz").status_code == 200


def _admin(sql: str) -> None:
    admin = sa.create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        admin.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs COURSEHOST_TEST_POSTGRES_URL (a PostgreSQL server to stop a database on)")
def test_readyz_fails_while_the_postgresql_database_is_unavailable(tmp_path):
    url = create_pg_database()
    name = sa.engine.make_url(url).database
    upgrade(url)
    try:
        with running_live_server(url, tmp_path / "data", readiness_timeout_seconds=3.0) as server:
            assert httpx.get(f"{server.service_url}/readyz").status_code == 200
            # The database stops answering: no new connections, and every open one is cut.
            _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            answer = httpx.get(f"{server.service_url}/readyz", timeout=10)
            assert answer.status_code == 503, answer.text
            assert answer.json()["checks"] == {"database": "failed", "store": "ok"}
            assert httpx.get(f"{server.service_url}/healthz").status_code == 200
            _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            deadline = time.monotonic() + 15
            while (answer := httpx.get(f"{server.service_url}/readyz", timeout=10)).status_code != 200:
                assert time.monotonic() < deadline, answer.text
                time.sleep(0.2)
            assert answer.json()["checks"] == {"database": "ok", "store": "ok"}
    finally:
        _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        drop_pg_database(url)


def _scrape(base_url: str, **kwargs) -> dict:
    answer = httpx.get(f"{base_url}/metrics", **kwargs)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def _requests(families: dict, **labels) -> float:
    return sum(s.value for s in families["coursehost_http_requests"].samples
               if s.name == "coursehost_http_requests_total" and all(s.labels.get(k) == v for k, v in labels.items()))


def test_metrics_count_requests_by_route_template_and_show_queued_jobs(live_server):
    before = _scrape(live_server.service_url)
    creds = (live_server.default_app.app_id, live_server.default_app.secret)
    for _ in range(3):
        assert httpx.get(f"{live_server.api_url}/ping", auth=creds).status_code == 200
    secret_id = f"reg-{secrets.token_hex(8)}"
    assert httpx.get(f"{live_server.api_url}/registrations/{secret_id}", auth=creds).status_code == 404
    assert httpx.get(f"{live_server.content_url}/player/launch?token={secret_id}").status_code >= 400
    kind = f"ops.probe-{uuid.uuid4().hex[:6]}"
    with unit_of_work(live_server.services.session_factory) as session:
        # due in an hour: the live server's worker leaves it queued while we scrape
        job_id = enqueue(session, kind=kind, run_after=utcnow() + timedelta(hours=1)).id
    try:
        families = _scrape(live_server.service_url)
    finally:
        with unit_of_work(live_server.services.session_factory) as session:
            session.execute(sa.delete(Job).where(Job.id == job_id))
    for name in ("coursehost_http_requests", "coursehost_http_request_duration_seconds", "coursehost_jobs",
                 "coursehost_postback_backlog", "coursehost_lms_delivery_backlog", "coursehost_lrs_statements_stored",
                 "coursehost_metrics_database_up"):
        assert name in families, sorted(families)
    assert families["coursehost_http_request_duration_seconds"].type == "histogram"
    ping = dict(origin="service", method="GET", route="/api/v2/ping", status="2xx")
    assert _requests(families, **ping) - _requests(before, **ping) == 3
    missing = dict(origin="service", method="GET", route="/api/v2/registrations/{registrationId}", status="4xx")
    assert _requests(families, **missing) - _requests(before, **missing) == 1
    latency = [s for s in families["coursehost_http_request_duration_seconds"].samples
               if s.name.endswith("_count") and all(s.labels.get(k) == v for k, v in ping.items())]
    assert latency and latency[0].value >= 3
    jobs = {(s.labels["kind"], s.labels["status"]): s.value for s in families["coursehost_jobs"].samples}
    assert jobs[(kind, "queued")] == 1
    assert families["coursehost_metrics_database_up"].samples[0].value == 1
    assert families["coursehost_lrs_statements_stored"].samples[0].value >= 0
    # Route templates only: no registration id, token or other raw path in any label.
    text = httpx.get(f"{live_server.service_url}/metrics").text
    assert secret_id not in text and "/player/launch" in text


def test_metrics_need_the_bearer_token_when_one_is_set(fresh_url, tmp_path):
    token = secrets.token_urlsafe(24)
    with running_live_server(fresh_url, tmp_path / "data", metrics_token=token) as server:
        assert httpx.get(f"{server.service_url}/metrics").status_code == 401
        assert httpx.get(f"{server.service_url}/metrics",
                         headers={"Authorization": f"Bearer {token}x"}).status_code == 401
        assert httpx.get(f"{server.service_url}/metrics",
                         headers={"Authorization": f"Basic {token}"}).status_code == 401
        families = _scrape(server.service_url, headers={"Authorization": f"Bearer {token}"})
        assert "coursehost_jobs" in families
        assert httpx.get(f"{server.content_url}/metrics").status_code == 404  # the service origin only
