"""Report tokens stay out of the access log: the real log of a `coursehost serve` process after
GetReportageAuthToken, GetReportageLink (the auth token in its query), the link opened and an
export downloaded with the link token."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_access_log_shows_no_report_token(tmp_path, backend):
    url, cleanup = fresh_database(backend, tmp_path)
    server = ServerProcess(url, tmp_path / "data", access_log=True)
    try:
        server.start()
        api = cloud.ReportingApi(server.client())
        auth = api.get_reportage_auth_token("FREENAV", admin=True).query_string
        link = api.get_reportage_link(auth, "/console/reports").reportage_link
        token = parse_qs(urlsplit(link).query)["token"][0]
        assert httpx.get(link, follow_redirects=True).status_code == 200
        export = httpx.get(f"{server.service_url}/console/reports/export/registrations.csv", params={"token": token})
        assert export.status_code == 200
        time.sleep(0.5)  # the access log line is written after the answer is sent
    finally:
        server.stop()
        cleanup()
    log = "".join(server.output)
    assert "/reporting/reportageLink?auth=REDACTED" in log and "/console/reports/link?token=REDACTED" in log
    assert "/console/reports/export/registrations.csv?token=REDACTED" in log
    for secret in (auth, token):
        assert secret not in log and secret[:24] not in log and secret[-24:] not in log
