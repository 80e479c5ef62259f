"""Course files on the content origin over HTTP (issue 21): validators and 304s, ranges, compression
of text, caching, a file replaced through the asset API; and an S3 store proxied or redirected to
presigned URLs (moto's server)."""

from __future__ import annotations

import gzip
import json
import random
import re
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime

import boto3
import brotli
import httpx
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from coursehost.db.migrate import upgrade
from coursehost.settings import Settings, UnsafeSettings
from tests.builders.scorm import scorm12_zip
from tests.contract.courses import course_api
from tests.contract.server_process import fresh_database
from tests.e2e.support import create_registration, import_course, launch_link
from tests.servers import running_live_server

SCRIPT = ("function f(n) { return n * 2; }\n" * 200).encode()  # 6.6 KB of text: compressed
TINY = b"body{color:red}"  # under 1 KB: sent as is
IMAGE = random.Random(3).randbytes(50 * 1024)
VIDEO = random.Random(4).randbytes(700 * 1024)  # over the one-read size: streamed
FILES = {"js/app.js": SCRIPT, "tiny.css": TINY, "img/pic.png": IMAGE, "media/clip.mp4": VIDEO}


def _content_base(server, tmp_path, files=FILES) -> tuple[str, str]:
    """Import a course holding FILES; (course id, absolute URL of its content folder)."""
    course = import_course(server, tmp_path, scorm12_zip("Content", extra_files=files))
    page = httpx.get(launch_link(server, create_registration(server, course))).text
    base = json.loads(re.search(r'id="player-config">(.*?)</script>', page).group(1))["contentBase"]
    return course, server.content_url + base


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return _content_base(live_server, tmp_path_factory.mktemp("content"))


@pytest.fixture
def client():
    with httpx.Client(timeout=20) as c:
        yield c


def test_a_file_carries_validators_caching_and_the_origin_headers(course, client):
    answer = client.get(course[1] + "img/pic.png")
    assert answer.status_code == 200 and answer.content == IMAGE
    h = answer.headers
    assert h["content-type"] == "image/png" and h["content-length"] == str(len(IMAGE))
    assert re.fullmatch(r'"[0-9a-f]+(-[0-9a-f]+)+"', h["etag"])  # strong
    assert h["last-modified"].endswith(" GMT") and h["accept-ranges"] == "bytes"
    assert h["cache-control"] == "public, max-age=31536000, immutable"  # a generation URL (test_content_generations)
    assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "same-origin"
    assert "vary" not in h and "content-encoding" not in h
    head = client.head(course[1] + "img/pic.png")
    assert head.status_code == 200 and head.content == b""
    assert {k: head.headers[k] for k in ("etag", "content-length", "last-modified")} == \
        {k: h[k] for k in ("etag", "content-length", "last-modified")}


def test_conditional_requests_answer_304(course, client):
    url = course[1] + "img/pic.png"
    first = client.get(url).headers
    tag, modified = first["etag"], first["last-modified"]
    for headers in ({"If-None-Match": tag}, {"If-None-Match": f'"nope", W/{tag}'}, {"If-None-Match": "*"},
                    {"If-Modified-Since": modified},
                    {"If-Modified-Since": format_datetime(datetime.now(UTC), usegmt=True)}):
        again = client.get(url, headers=headers)
        assert again.status_code == 304, headers
        assert again.content == b"" and again.headers["etag"] == tag
        assert again.headers["cache-control"] == "public, max-age=31536000, immutable"
    for headers in ({"If-None-Match": '"other"'}, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
                    {"If-Modified-Since": "not a date"},
                    # If-None-Match decides when both are sent (RFC 9110 13.2.2)
                    {"If-None-Match": '"other"', "If-Modified-Since": modified}):
        assert client.get(url, headers=headers).status_code == 200, headers


@pytest.mark.parametrize("name", ["img/pic.png", "media/clip.mp4"])
def test_ranges(course, client, name):
    data, url = FILES[name], course[1] + name
    size = len(data)
    tag = client.head(url).headers["etag"]
    for spec, start, end in (("bytes=0-99", 0, 99), ("bytes=1000-", 1000, size - 1), ("bytes=-500", size - 500, size - 1),
                             (f"bytes=10-{size + 100}", 10, size - 1)):
        part = client.get(url, headers={"Range": spec})
        assert part.status_code == 206, spec
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert part.content == data[start:end + 1] and part.headers["content-length"] == str(end - start + 1)
    for spec in (f"bytes={size}-", "bytes=-0", "bytes=500-400"):
        refused = client.get(url, headers={"Range": spec})
        assert refused.status_code == 416, spec
        assert refused.headers["content-range"] == f"bytes */{size}"
    whole = client.get(url, headers={"Range": "bytes=0-1,5-9"})  # several ranges: the whole file
    assert whole.status_code == 200 and whole.content == data
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'}).status_code == 200
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": tag}).status_code == 206


def test_text_is_compressed_when_the_client_accepts_it(course, client):
    url = course[1] + "js/app.js"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.content == SCRIPT and "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    raw = {}
    for accept, encoding in (("gzip", "gzip"), ("gzip, deflate, br", "br"), ("br;q=0.5, gzip", "gzip"),
                             ("*", "br"), ("br;q=0, gzip;q=0", None)):
        with client.stream("GET", url, headers={"Accept-Encoding": accept}) as answer:
            body = b"".join(answer.iter_raw())
        assert answer.headers.get("content-encoding") == encoding, accept
        assert answer.headers["vary"] == "Accept-Encoding"
        assert int(answer.headers["content-length"]) == len(body)
        raw[encoding] = (body, answer.headers["etag"])
    assert gzip.decompress(raw["gzip"][0]) == SCRIPT and brotli.decompress(raw["br"][0]) == SCRIPT
    assert len(raw["br"][0]) < len(SCRIPT) // 5
    tags = {raw[e][1] for e in raw}
    assert len(tags) == 3  # one ETag per encoding, all strong
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": raw["br"][1]})
    assert again.status_code == 304 and again.headers["etag"] == raw["br"][1]
    ranged = client.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})  # ranges: identity bytes
    assert ranged.status_code == 206 and ranged.content == SCRIPT[:10] and "content-encoding" not in ranged.headers
    head = client.head(url, headers={"Accept-Encoding": "gzip"})
    assert head.headers["content-encoding"] == "gzip" and head.headers["content-length"] == str(len(raw["gzip"][0]))
    tiny = client.get(course[1] + "tiny.css", headers={"Accept-Encoding": "gzip, br"})
    assert tiny.content == TINY and "content-encoding" not in tiny.headers
    png = client.get(course[1] + "img/pic.png", headers={"Accept-Encoding": "gzip, br"})
    assert "content-encoding" not in png.headers


IMMUTABLE = "public, max-age=31536000, immutable"


def _launch_base(server, course_id: str) -> str:
    """The content folder a new launch of COURSE_ID's registration is built on (absolute URL)."""
    page = httpx.get(launch_link(server, create_registration(server, course_id))).text
    return server.content_url + json.loads(re.search(r'id="player-config">(.*?)</script>', page).group(1))["contentBase"]


def test_content_generations(live_server, tmp_path, client):
    """A replaced file appears under a new URL with the new bytes; the old generation's URLs answer the
    current bytes without letting anyone keep them; only the current generation's URLs are immutable."""
    course_id, base = _content_base(live_server, tmp_path, {"css/site.css": b"a{}" * 600, "keep.js": SCRIPT})
    assert re.search(r"/content/\d+-[0-9a-f]{24}-g1/$", base), base
    url = base + "css/site.css"
    first = client.get(url)
    assert first.content == b"a{}" * 600 and first.headers["cache-control"] == IMMUTABLE
    plain = base.replace("-g1/", "/")  # a URL without a generation (made before them): revalidated
    assert client.get(plain + "css/site.css").headers["cache-control"] == "private, max-age=300"
    assert "immutable" not in client.get(base.replace("-g1/", "-g7/") + "keep.js").headers["cache-control"]

    replacement = tmp_path / "site.css"
    replacement.write_bytes(b"b{}" * 700)
    course_api(live_server).upload_course_version_asset_file(course_id, 0, "css/site.css", file=str(replacement),
                                                             update_asset_policy="lax")
    fresh_base = _launch_base(live_server, course_id)
    assert fresh_base == base.replace("-g1/", "-g2/")
    fresh = client.get(fresh_base + "css/site.css")
    assert fresh.content == b"b{}" * 700 and fresh.headers["cache-control"] == IMMUTABLE
    assert fresh.headers["etag"] != first.headers["etag"]
    # The launch still works: its page and an unchanged file under the new generation.
    launched = client.get(fresh_base + "index.html")
    assert launched.status_code == 200 and launched.headers["cache-control"] == IMMUTABLE
    assert client.get(fresh_base + "keep.js").content == SCRIPT
    # A SCO opened before the change still asks for the old generation's URLs: it gets the current
    # bytes, but no cache may keep them as generation 1's (whose own copies stay what they were).
    old = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert old.status_code == 200 and old.content == b"b{}" * 700
    assert old.headers["cache-control"] == "no-cache"
    assert client.get(base + "keep.js").headers["cache-control"] == "no-cache"
    again = client.get(url, headers={"If-None-Match": old.headers["etag"]})  # revalidation still answers 304
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"

    course_api(live_server).delete_course_version_asset(course_id, 0, "keep.js")  # a deletion: generation 3
    third = _launch_base(live_server, course_id)
    assert third == base.replace("-g1/", "-g3/")
    assert client.get(third + "keep.js").status_code == 404
    assert client.get(fresh_base + "css/site.css").headers["cache-control"] == "no-cache"
    assert client.get(third + "css/site.css").headers["cache-control"] == IMMUTABLE


def test_missing_files_and_bad_keys_are_404(course, client):
    for url in (course[1] + "nothing.js", course[1] + "../../etc/passwd",
                course[1].replace("/content/", "/content/9") + "img/pic.png",
                course[1].replace("-g1/", "-gx/") + "img/pic.png", course[1].replace("-g1/", "-1/") + "img/pic.png"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert answer.headers["x-content-type-options"] == "nosniff"


# ------------------------------------------------------------------------------------------ S3

@pytest.fixture(scope="module")
def moto_s3(monkeypatch_module):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch_module.setenv(name, value)
    bucket = f"content-{uuid.uuid4().hex[:8]}"
    boto3.session.Session().client("s3", endpoint_url=endpoint,
                                   config=Config(s3={"addressing_style": "path"})).create_bucket(Bucket=bucket)
    yield endpoint, bucket
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """A migrated, empty database of this run's backend (a second live server makes its own realm)."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    url, cleanup = fresh_database(backend, tmp_path)
    upgrade(url)
    yield url
    cleanup()


@pytest.mark.parametrize("redirect", ["", "s3"])
def test_s3_content_is_proxied_or_redirected(moto_s3, fresh_database_url, tmp_path, redirect, client):
    endpoint, bucket = moto_s3
    page = b"<!DOCTYPE html><html><body>" + b"<p>hello</p>" * 200 + b"</body></html>"
    files = {**FILES, "page.html": page}
    with running_live_server(fresh_database_url, tmp_path / "data", storage_url=f"s3://{bucket}/{uuid.uuid4().hex}",
                             s3_endpoint_url=endpoint, content_redirect=redirect) as server:
        course_id, base = _content_base(server, tmp_path, files)
        # Pages, scripts and styles always come from the content origin, with the same validators.
        for name in ("page.html", "js/app.js", "tiny.css"):
            answer = client.get(base + name, headers={"Accept-Encoding": "identity"})
            assert answer.status_code == 200 and answer.content == files[name], name
            assert client.get(base + name, headers={"If-None-Match": answer.headers["etag"]}).status_code == 304
            assert answer.headers["cache-control"] == IMMUTABLE
        # A replaced file: the new generation's URL has the new bytes (from the database's record of it).
        replacement = tmp_path / "tiny.css"
        replacement.write_bytes(b"p{color:blue}")
        course_api(server).upload_course_version_asset_file(course_id, 0, "tiny.css", file=str(replacement),
                                                            update_asset_policy="lax")
        fresh_base = _launch_base(server, course_id)
        assert fresh_base == base.replace("-g1/", "-g2/")
        fresh = client.get(fresh_base + "tiny.css")
        assert fresh.content == b"p{color:blue}" and fresh.headers["cache-control"] == IMMUTABLE
        old = client.get(base + "tiny.css")
        assert old.content == b"p{color:blue}" and old.headers["cache-control"] == "no-cache"
        video = client.get(base + "media/clip.mp4", headers={"Range": "bytes=300000-300099"})
        if not redirect:  # proxied: a ranged GET of the object, the same headers as from the filesystem
            assert video.status_code == 206 and video.content == VIDEO[300000:300100]
            assert video.headers["content-range"] == f"bytes 300000-300099/{len(VIDEO)}"
            tail = client.get(base + "media/clip.mp4", headers={"Range": "bytes=500000-"})
            assert tail.content == VIDEO[500000:]
            return
        assert video.status_code == 307
        location = video.headers["location"]
        assert location.startswith(f"{endpoint}/{bucket}/") and "Signature=" in location
        assert video.headers["cache-control"] == "private, max-age=60"
        fetched = client.get(location, headers={"Range": "bytes=300000-300099"})  # what the browser does next
        assert fetched.status_code == 206 and fetched.content == VIDEO[300000:300100]
        assert fetched.headers["content-type"] == "video/mp4"
        image = client.get(base + "img/pic.png", follow_redirects=True)
        assert image.status_code == 200 and image.content == IMAGE and image.headers["content-type"] == "image/png"
        head = client.head(base + "media/clip.mp4")  # HEAD is answered here (a presigned URL is for GET)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(VIDEO))


def test_a_redirect_to_s3_needs_an_s3_store(tmp_path):
    with pytest.raises(UnsafeSettings, match="COURSEHOST_CONTENT_REDIRECT=s3 needs an S3 store"):
        Settings(data_dir=tmp_path, content_redirect="s3", secret_key="k" * 40).resolved().check_safe()
    with pytest.raises(ValueError, match="content_redirect"):
        Settings(data_dir=tmp_path, content_redirect="cdn")
    Settings(data_dir=tmp_path, content_redirect="s3", storage_url="s3://bucket/x", secret_key="k" * 40).check_safe()
