"""PENS publishing of a dispatch (/api/ext/v1/dispatches/{id}/pens): a real HTTP server acting as the
PENS target takes the collect request, fetches the package from the signed URL it names and POSTs a
receipt back; the history shows it. A target that refuses, a forged package link and bad input."""

from __future__ import annotations

import http.server
import io
import threading
import zipfile
from urllib.parse import parse_qsl

import httpx
import pytest

from tests.builders.scorm import scorm12_zip
from tests.contract.helpers import new_child_app
from tests.contract.lms import ext_api, wait_until
from tests.dispatch_support import make_dispatch
from tests.e2e.support import import_course
from tests.servers import free_port


class PensTarget:
    """A PENS target system: answers each collect request (error=ANSWER_ERROR), then, like an LMS would,
    fetches the package and POSTs a receipt saying whether it got a zip."""

    def __init__(self, answer_error: str = "0"):
        self.port = free_port()
        self.answer_error = answer_error
        self.collects: list[dict[str, str]] = []
        self.packages: list[bytes] = []
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                fields = dict(parse_qsl(body, keep_blank_values=True))
                target.collects.append(fields)
                text = f"error={target.answer_error}\r\nerror-text=\r\nversion=1.0.0\r\npens-data=\r\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
                if target.answer_error == "0":
                    threading.Thread(target=target.collect, args=(fields,), daemon=True).start()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pens"

    def collect(self, fields: dict[str, str]) -> None:
        package = httpx.get(fields["package-url"], timeout=30)
        ok = package.status_code == 200 and zipfile.is_zipfile(io.BytesIO(package.content))
        if ok:
            self.packages.append(package.content)
        httpx.post(fields["receipt"], timeout=30, data={
            "command": "receipt", "pens-version": "1.0.0", "package-type": fields["package-type"],
            "package-id": fields["package-id"], "error": "0" if ok else "1422",
            "error-text": "" if ok else f"package fetch failed: {package.status_code}", "pens-data": "imported as lms-course-7"})
        httpx.post(fields["alert"], timeout=30, data={"command": "alert", "error": "0", "error-text": "",
                                                        "pens-data": "processing done"})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def course_id(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("pens"), scorm12_zip("PENS course"))


def _history(live_server, dispatch_id: str) -> list[dict]:
    with ext_api(live_server) as api:
        response = api.get(f"/dispatches/{dispatch_id}/pens")
    assert response.status_code == 200, response.text
    return response.json()["publications"]


def test_a_publication_is_collected_by_the_target_which_sends_a_receipt(live_server, course_id):
    made = make_dispatch(live_server, course_id=course_id)
    target = PensTarget()
    try:
        with ext_api(live_server) as api:
            response = api.post(f"/dispatches/{made.dispatch_id}/pens", json={
                "targetUrl": target.url, "systemUserId": "coursehost", "systemPassword": "pens-pass"})
        assert response.status_code == 200, response.text
        pub = response.json()
        assert pub["status"] == "queued" and "systemPassword" not in pub

        wait_until(lambda: [e["kind"] for e in (_history(live_server, made.dispatch_id)[0]["events"])]
                   == ["receipt", "alert"], timeout=30)
        (fields,) = target.collects
        assert fields["command"] == "collect" and fields["pens-version"] == "1.0.0"
        assert (fields["package-type"], fields["package-type-version"], fields["package-format"]) == \
            ("scorm-pif", "1.2", "zip")
        assert (fields["system-user-id"], fields["system-password"]) == ("coursehost", "pens-pass")
        assert fields["package-url"].startswith(f"{live_server.base_url}/dispatch/pens/package/")
        assert fields["package-url-expiry"].endswith("Z") and fields["package-id"] == pub["packageId"]
        assert "imsmanifest.xml" in zipfile.ZipFile(io.BytesIO(target.packages[0])).namelist()

        (done,) = _history(live_server, made.dispatch_id)
        assert done["status"] == "received" and done["error"] is None
        receipt = done["events"][0]
        assert receipt["error"] == "0" and receipt["pensData"] == "imported as lms-course-7"
        assert done["targetUrl"] == target.url and done["systemUserId"] == "coursehost"
    finally:
        target.close()


def test_a_target_that_refuses_is_shown_failed(live_server, course_id):
    made = make_dispatch(live_server, course_id=course_id)
    target = PensTarget(answer_error="1201")
    try:
        with ext_api(live_server) as api:
            assert api.post(f"/dispatches/{made.dispatch_id}/pens", json={"targetUrl": target.url}).status_code == 200
        wait_until(lambda: _history(live_server, made.dispatch_id)[0]["status"] == "failed", timeout=30)
        assert "error 1201" in _history(live_server, made.dispatch_id)[0]["error"]
    finally:
        target.close()


def test_bad_input_unknown_dispatches_and_forged_links(live_server, course_id):
    made = make_dispatch(live_server, course_id=course_id)
    with ext_api(live_server) as api:
        bad = api.post(f"/dispatches/{made.dispatch_id}/pens", json={"targetUrl": "ftp://example.com/pens"})
        assert bad.status_code == 400 and "targetUrl" in bad.json()["message"]
        assert api.post("/dispatches/nope/pens", json={"targetUrl": "http://example.com/"}).status_code == 404
        assert api.get("/dispatches/nope/pens").status_code == 404
    assert _history(live_server, made.dispatch_id) == []
    with ext_api(live_server, new_child_app(live_server)[1]) as other:  # another application sees nothing
        assert other.get(f"/dispatches/{made.dispatch_id}/pens").status_code == 404
    forged = httpx.get(f"{live_server.base_url}/dispatch/pens/package/eyJwIjoieCIsImV4cCI6OTk5OTk5OTk5OX0.AAAA")
    assert forged.status_code == 404
    receipt = httpx.post(f"{live_server.base_url}/dispatch/pens/receipt/unknown", data={"error": "0"})
    assert receipt.status_code == 404 and receipt.text.startswith("error=2")
