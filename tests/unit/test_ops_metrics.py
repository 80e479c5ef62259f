"""/metrics access rules and prometheus-client's multiprocess mode (several `serve` worker processes
counting into one scrape), without a server."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request

from coursehost.web.metrics import allowed


def _request(client_host: str, authorization: str | None = None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    return Request({"type": "http", "method": "GET", "path": "/metrics", "headers": headers,
                    "client": (client_host, 4000), "query_string": b""})


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "10.1.2.3", "172.18.0.5", "192.168.1.9", "fd00::5", "::ffff:10.0.0.2"])
def test_metrics_open_to_loopback_and_private_addresses_without_a_token(host):
    assert allowed(_request(host), None) is None


@pytest.mark.parametrize("host", ["203.0.113.7", "8.8.8.8", "2001:db8::1", "172.32.0.1", "::ffff:8.8.8.8", "testclient", ""])
def test_metrics_refused_to_public_addresses_without_a_token(host):
    refusal = allowed(_request(host), None)
    assert refusal is not None and refusal.status_code == 403


def test_metrics_token_is_needed_from_everywhere_when_set():
    assert allowed(_request("127.0.0.1"), "s3cret-token").status_code == 401
    assert allowed(_request("127.0.0.1", "Bearer wrong"), "s3cret-token").status_code == 401
    assert allowed(_request("203.0.113.7", "Bearer s3cret-token"), "s3cret-token") is None
    assert allowed(_request("203.0.113.7", "bearer  s3cret-token"), "s3cret-token") is None


_CHILD = textwrap.dedent("""
    import sys
    from coursehost.web.metrics import request_metrics
    metrics = request_metrics()
    for _ in range(int(sys.argv[1])):
        metrics.observe("service", "GET", "/api/v2/ping", 200, 0.004)
""")
_SCRAPER = textwrap.dedent("""
    from coursehost.web.metrics import render

    def broken_factory():
        raise ConnectionError("no database in this test")

    print(render(broken_factory).decode())
""")


def test_multiprocess_mode_sums_every_process(tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    for count in (2, 3):  # two worker processes of one `serve --workers 2`
        subprocess.run([sys.executable, "-c", _CHILD, str(count)], env=env, check=True, timeout=60)
    assert len(list(tmp_path.glob("*.db"))) >= 2  # each process wrote its own file
    out = subprocess.run([sys.executable, "-c", _SCRAPER], env=env, check=True, timeout=60,
                         capture_output=True, text=True).stdout
    families = {f.name: f for f in text_string_to_metric_families(out)}
    total = [s for s in families["coursehost_http_requests"].samples if s.name == "coursehost_http_requests_total"]
    assert [(s.labels["route"], s.value) for s in total] == [("/api/v2/ping", 5.0)]
    counts = [s for s in families["coursehost_http_request_duration_seconds"].samples if s.name.endswith("_count")]
    assert counts[0].value == 5.0
    assert families["coursehost_metrics_database_up"].samples[0].value == 0  # reported, not raised
