"""Hostile and broken packages: each gets a clear ERROR and leaves no course, version or file."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.contract.courses import course_api, upload
from tests.contract.helpers import new_child_app
from tests.contract.test_course_import_basics import MANIFEST_12


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def _symlink(name: str, target: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    return info, target


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2">
<organizations default="o"><organization identifier="o"><title>&secret;</title>
<item identifier="i" identifierref="r"><title>x</title></item></organization></organizations>
<resources><resource identifier="r" type="webcontent" href="index.html"/></resources></manifest>"""

CASES = {
    "not a zip": (b"just some text, not a package", "not a zip"),
    "0-byte upload": (b"", "empty"),
    "zip without a course": (_zip([("readme.txt", b"hello")]), "not a course package"),
    "malformed manifest": (_zip([("imsmanifest.xml", b"<manifest><organizations></manifest>"),
                                 ("index.html", b"x")]), "not well-formed"),
    "zip-slip entry": (_zip([("imsmanifest.xml", MANIFEST_12), ("index.html", b"x"),
                             ("../../evil.html", b"owned")]), "leaves the package"),
    "absolute path entry": (_zip([("imsmanifest.xml", MANIFEST_12), ("/etc/evil", b"x")]), "absolute path"),
    "symbolic link": (_zip([("imsmanifest.xml", MANIFEST_12), _symlink("index.html", b"/etc/passwd")]),
                      "symbolic link"),
    "zip bomb": (_zip([("imsmanifest.xml", MANIFEST_12), ("index.html", b"x"),
                       ("bomb.bin", bytes(24 * 1024 * 1024))]), "zip bomb"),
    "XXE attempt": (_zip([("imsmanifest.xml", XXE), ("index.html", b"x")]), "entities"),
}


@pytest.fixture(scope="module")
def hostile_app(live_server):
    app_id, creds = new_child_app(live_server)
    return app_id, course_api(live_server, creds)


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_package_is_refused_and_leaves_nothing(case, hostile_app, live_server, tmp_path):
    app_id, api = hostile_app
    data, expected = CASES[case]
    status = upload(api, tmp_path, data, course_id=f"hostile-{len(data)}")
    assert status.status == "ERROR", f"{case}: {status.status} {status.message}"
    assert expected in status.message.lower() or expected in status.message, status.message
    assert "root:" not in status.message  # the XXE entity was never resolved
    assert api.get_courses().courses == []
    store = live_server.services.store
    assert list(store.list(f"courses/{app_id}/")) == []
    assert list(store.list(f"packages/{app_id}/")) == []


def test_upload_without_a_file_is_400(hostile_app, live_server):
    import httpx

    app_id, api = hostile_app
    cfg = api.api_client.configuration
    resp = httpx.post(live_server.api_url + "/courses/importJobs/upload", params={"courseId": "x"},
                      auth=(cfg.username, cfg.password), files={"other": ("a.txt", b"x")})
    assert resp.status_code == 400 and "file is required" in resp.json()["message"]


@pytest.mark.parametrize("headers,body,expected", [
    ({"content-type": "application/json"}, b'{"file": "x"}', "multipart/form-data"),
    ({"content-type": "multipart/form-data; boundary=b"},
     b'--b\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\n\r\nPK', "malformed"),
    ({"content-type": "multipart/form-data; boundary=b"},
     b'--b\r\nContent-Disposition: form-data; name="contentMetadata"\r\n\r\n' + b"x" * 1_100_000
     + b"\r\n--b--\r\n", "contentMetadata"),
], ids=["not multipart", "truncated", "huge field"])
def test_a_broken_upload_body_is_400_and_leaves_nothing(hostile_app, live_server, headers, body, expected):
    import httpx

    app_id, api = hostile_app
    cfg = api.api_client.configuration
    resp = httpx.post(live_server.api_url + "/courses/importJobs/upload", params={"courseId": "broken"},
                      auth=(cfg.username, cfg.password), headers=headers, content=body)
    assert resp.status_code == 400 and expected in resp.json()["message"], resp.text
    assert api.get_courses().courses == []
    assert list(live_server.services.store.list(f"packages/{app_id}/")) == []


def test_course_id_over_255_characters_is_400(hostile_app, tmp_path):
    from rustici_software_cloud_v2.rest import ApiException

    _, api = hostile_app
    with pytest.raises(ApiException) as err:
        upload(api, tmp_path, _zip([("imsmanifest.xml", MANIFEST_12)]), course_id="c" * 256)
    assert err.value.status == 400 and "255" in err.value.body
