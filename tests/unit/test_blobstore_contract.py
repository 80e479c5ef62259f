"""The BlobStore contract: the same tests on the filesystem store and on the S3 store (moto's server)."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer

from coursehost.storage import BlobNotFound, BlobStore, FilesystemBlobStore, make_blob_store
from coursehost.storage.filesystem import TEMP_MARK
from coursehost.storage.s3 import S3BlobStore

BUCKET = "coursehost-contract"
MiB = 1024 * 1024
# Small pages make every S3 list/delete_prefix test below cross page boundaries.
S3_PAGE_SIZE = 4


# ------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def moto_endpoint():
    """moto's S3 server on 127.0.0.1, on a port the OS picks; nothing leaves this machine."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3_client(moto_endpoint):
    """A boto3 client with dummy credentials, pointed at moto, with the test bucket created."""
    client = boto3.session.Session().client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}),
    )
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(params=["filesystem", "s3"])
def make_store(request, tmp_path):
    """A factory of empty stores, each isolated from the others (own root or own S3 prefix)."""
    counter = iter(range(1000))

    if request.param == "filesystem":
        def make() -> BlobStore:
            return FilesystemBlobStore(tmp_path / "stores" / f"root{next(counter)}", fsync=False)
    else:
        client = request.getfixturevalue("s3_client")
        run = uuid.uuid4().hex

        def make() -> BlobStore:
            return S3BlobStore(BUCKET, f"{run}/{next(counter)}", client=client, page_size=S3_PAGE_SIZE)
    make.backend = request.param
    return make


@pytest.fixture
def store(make_store):
    return make_store()


class PatternStream:
    """A read-only stream of SIZE deterministic bytes, generated on demand, that records read sizes."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.position = 0
        self.requested: list[int | None] = []
        self.digest = hashlib.sha256()
        self.block = bytes(range(256)) * 4096  # 1 MiB

    def readable(self) -> bool:
        return True

    def read(self, amount: int | None = -1) -> bytes:
        self.requested.append(amount)
        if amount is None or amount < 0:
            amount = self.remaining
        amount = min(amount, self.remaining)
        parts, needed = [], amount
        while needed:
            offset = self.position % len(self.block)
            part = self.block[offset: offset + needed]
            parts.append(part)
            needed -= len(part)
            self.position += len(part)
        self.remaining -= amount
        chunk = b"".join(parts)
        self.digest.update(chunk)
        return chunk


class FailingStream(io.RawIOBase):
    """Yields one chunk, then fails as a dropped upload connection would."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, amount: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise ConnectionResetError("client went away")
        return b"partial"


def sha256_of(stream, chunk: int = MiB) -> tuple[str, int]:
    digest, total = hashlib.sha256(), 0
    while block := stream.read(chunk):
        digest.update(block)
        total += len(block)
    return digest.hexdigest(), total


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if not p.is_dir())


# ------------------------------------------------------------------------------ contract: both

def test_implements_protocol(store):
    assert isinstance(store, BlobStore)


def test_ping_answers_while_the_store_is_there_and_raises_when_it_is_gone(store, s3_client, tmp_path):
    """/readyz's cheap call (issue 21): the filesystem root, or the S3 bucket."""
    store.ping()
    if isinstance(store, FilesystemBlobStore):
        store.root.rename(tmp_path / "gone")
        with pytest.raises(OSError):
            store.ping()
    else:
        missing = S3BlobStore(f"missing-{uuid.uuid4().hex[:8]}", client=s3_client)
        with pytest.raises(Exception, match="404|Not Found|NoSuchBucket"):
            missing.ping()


def test_bytes_round_trip(store):
    payload = b"\x00\x01binary\xffdata" * 100
    assert store.put("courses/c1/package.zip", payload, content_type="application/zip") == len(payload)
    assert store.get("courses/c1/package.zip") == payload
    assert store.size("courses/c1/package.zip") == len(payload)
    assert store.exists("courses/c1/package.zip")
    with store.open("courses/c1/package.zip") as stream:
        assert stream.read(9) == payload[:9]
        assert stream.read() == payload[9:]


def test_bytearray_memoryview_and_empty_blobs(store):
    assert store.put("a.bin", bytearray(b"abc")) == 3
    assert store.put("b.bin", memoryview(b"defg")) == 4
    assert store.put("empty", b"") == 0
    assert (store.get("a.bin"), store.get("b.bin"), store.get("empty")) == (b"abc", b"defg", b"")
    assert store.exists("empty") and store.size("empty") == 0


def test_stream_round_trip(store):
    payload = b"<html>hello</html>\n" * 1000
    assert store.put("content/index.html", io.BytesIO(payload), content_type="text/html") == len(payload)
    assert store.get("content/index.html") == payload


def test_large_stream_is_read_in_bounded_chunks(store):
    size = 9 * MiB + 12345  # above the 8 MiB multipart threshold on S3
    source = PatternStream(size)
    assert store.put("big/package.zip", source) == size
    # Never one unbounded read(): the stream is consumed in pieces no larger than one part.
    assert source.requested and all(n is not None and 0 < n <= 8 * MiB for n in source.requested)
    assert store.size("big/package.zip") == size
    with store.open("big/package.zip") as stream:
        assert sha256_of(stream) == (source.digest.hexdigest(), size)


def test_rejects_data_that_is_not_bytes_or_stream(store):
    with pytest.raises(TypeError):
        store.put("k", "text is not bytes")  # type: ignore[arg-type]
    assert not store.exists("k")


def test_overwrite_replaces_content(store):
    store.put("doc.txt", b"a much longer first version")
    store.put("doc.txt", io.BytesIO(b"short"))
    assert store.get("doc.txt") == b"short"
    assert store.size("doc.txt") == 5
    assert list(store.list("")) == ["doc.txt"]


def test_failed_put_keeps_previous_blob(store):
    store.put("doc.txt", b"version 1")
    with pytest.raises(ConnectionResetError):
        store.put("doc.txt", FailingStream())
    assert store.get("doc.txt") == b"version 1"
    assert list(store.list("")) == ["doc.txt"]


def test_missing_key(store):
    store.put("present/x", b"x")
    for key in ("absent", "present/y", "present"):
        with pytest.raises(BlobNotFound) as caught:
            store.open(key)
        assert caught.value.key == key
        with pytest.raises(BlobNotFound):
            store.get(key)
        with pytest.raises(BlobNotFound):
            store.size(key)
        assert store.exists(key) is False


def test_delete_is_idempotent(store):
    store.put("dir/sub/file", b"1")
    store.put("dir/other", b"2")
    assert store.delete("dir/sub/file") is None
    assert not store.exists("dir/sub/file")
    store.delete("dir/sub/file")
    store.delete("never/existed")
    assert list(store.list("")) == ["dir/other"]


def test_delete_prefix_deletes_only_that_prefix(store):
    inside = [f"a/{i:02d}" for i in range(9)] + ["a/b/c", "a/b/d/e"]
    outside = ["ab", "abc/x", "a-b", "b/a/1", "xa/1"]
    for key in inside + outside:
        store.put(key, key.encode())
    assert store.delete_prefix("a/") == len(inside)
    assert list(store.list("")) == sorted(outside)
    assert store.delete_prefix("a/") == 0
    assert store.get("ab") == b"ab"


def test_delete_prefix_is_a_string_prefix_and_refuses_everything(store):
    for key in ("img/a.png", "img/b.png", "imgs/c.png", "index.html"):
        store.put(key, b".")
    assert store.delete_prefix("img") == 3
    assert list(store.list("")) == ["index.html"]
    with pytest.raises(ValueError, match="non-empty prefix"):
        store.delete_prefix("")
    assert store.exists("index.html")


def test_list_is_sorted_and_prefix_bounded(store):
    keys = ["b", "a/c", "a-b", "a/b/d", "a.txt", "Z", "a/b0", "é/1", "a/b/a", "ab"]
    for key in keys:
        store.put(key, b".")
    assert list(store.list()) == sorted(keys)
    assert list(store.list("")) == sorted(keys)
    assert list(store.list("a/")) == ["a/b/a", "a/b/d", "a/b0", "a/c"]
    assert list(store.list("a/b/")) == ["a/b/a", "a/b/d"]
    assert list(store.list("a/b")) == ["a/b/a", "a/b/d", "a/b0"]
    assert list(store.list("a")) == ["a-b", "a.txt", "a/b/a", "a/b/d", "a/b0", "a/c", "ab"]
    assert list(store.list("nothing/")) == []
    assert list(store.list("a/c/")) == []


def test_copy(store):
    store.put("src/file", b"original")
    store.put("dst/file", b"to be replaced")
    assert store.copy("src/file", "dst/file") is None
    assert store.get("dst/file") == b"original"
    store.copy("src/file", "new/dir/file")
    store.put("src/file", b"changed")
    assert store.get("new/dir/file") == b"original"
    store.copy("src/file", "src/file")
    assert store.get("src/file") == b"changed"
    with pytest.raises(BlobNotFound):
        store.copy("missing", "never/created")
    assert not store.exists("never/created")


HOSTILE_KEYS = [
    "", "/etc/passwd", "../escape", "a/../../escape", "a/..", "..", "a\\..\\b", "..\\escape",
    "nul\x00byte", "line\nbreak", "a" * 1025, "é" * 513, "a//b", "./a", "a/./b", "trailing/",
]


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=lambda k: repr(k[:20]))
def test_hostile_keys_are_rejected(make_store, tmp_path, key):
    store = make_store()
    store.put("legit", b"ok")
    calls = [
        lambda: store.put(key, b"pwned"), lambda: store.put(key, io.BytesIO(b"pwned")),
        lambda: store.open(key), lambda: store.get(key), lambda: store.exists(key),
        lambda: store.size(key), lambda: store.delete(key),
        lambda: store.copy("legit", key), lambda: store.copy(key, "legit"),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="blob key"):
            call()
    assert list(store.list("")) == ["legit"]
    assert store.get("legit") == b"ok"
    if make_store.backend == "filesystem":
        assert files_under(tmp_path) == ["stores/root0/legit"]


@pytest.mark.parametrize("prefix", ["/", "/a/", "../", "a/../", "..", "a\\b/", "x\x00/", "a//"])
def test_hostile_prefixes_are_rejected(store, prefix):
    store.put("a/b", b".")
    with pytest.raises(ValueError):
        list(store.list(prefix))
    with pytest.raises(ValueError):
        store.delete_prefix(prefix)
    assert store.exists("a/b")


def test_longest_allowed_key(store):
    key = "k" * 200 + "/" + "e" * 200 + "/" + "y" * 200
    store.put(key, b"long")
    assert store.get(key) == b"long"


def test_unicode_and_space_keys_round_trip(store):
    keys = [
        "dir with spaces/file name.html", "ünïcödé/fichier-é.txt", "中文/课程 1.pdf",
        "emoji/🎓.json", "symbols/a+b=c&d;e,f@g$h!'.txt", "percent/%20%2F.txt",
        "query/?x=1#frag.html", "~tilde/.hidden",
    ]
    for i, key in enumerate(keys):
        assert store.put(key, f"{i}:{key}".encode()) == len(f"{i}:{key}".encode())
    for i, key in enumerate(keys):
        assert store.get(key) == f"{i}:{key}".encode()
        assert store.exists(key)
    assert list(store.list("")) == sorted(keys)
    assert list(store.list("中文/")) == ["中文/课程 1.pdf"]


def test_stores_are_isolated(make_store):
    first, second = make_store(), make_store()
    first.put("shared/name", b"first")
    assert not second.exists("shared/name")
    assert list(second.list("")) == []
    assert second.delete_prefix("shared/") == 0
    assert first.get("shared/name") == b"first"


# ------------------------------------------------------------------------ filesystem specifics

def test_filesystem_symlink_cannot_lead_outside_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    store = FilesystemBlobStore(tmp_path / "root", fsync=False)
    (store.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError, match="outside"):
        store.put("link/planted", b"x")
    with pytest.raises(ValueError, match="outside"):
        store.get("link/secret")
    with pytest.raises(ValueError, match="outside"):
        list(store.list("link/"))
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert list(store.list("")) == []  # the symlink itself is not a blob


def test_filesystem_leaves_no_temporary_files_and_prunes_directories(tmp_path):
    store = FilesystemBlobStore(tmp_path / "root")
    store.put("a/b/c.txt", io.BytesIO(b"x" * 3000))
    store.copy("a/b/c.txt", "a/d.txt")
    with pytest.raises(ConnectionResetError):
        store.put("a/b/c.txt", FailingStream())
    assert files_under(store.root) == ["a/b/c.txt", "a/d.txt"]
    store.delete("a/b/c.txt")
    assert not (store.root / "a" / "b").exists()
    store.delete_prefix("a/")
    assert list(store.root.iterdir()) == []
    with pytest.raises(ValueError, match="must not start with"):
        store.put(f"a/{TEMP_MARK}0123", b"x")


def test_filesystem_refuses_a_key_that_is_also_a_directory(tmp_path):
    store = FilesystemBlobStore(tmp_path / "root", fsync=False)
    store.put("a", b"file")
    store.put("d/inner", b"inner")
    with pytest.raises(FileExistsError, match="cannot store blob 'a/b'"):
        store.put("a/b", b"x")
    with pytest.raises(FileExistsError, match="cannot store blob 'd'"):
        store.put("d", b"x")
    with pytest.raises(FileExistsError, match="cannot store blob 'a/c'"):
        store.copy("d/inner", "a/c")
    assert files_under(store.root) == ["a", "d/inner"]
    assert (store.get("a"), store.get("d/inner")) == (b"file", b"inner")


# -------------------------------------------------------------------------------- S3 specifics

def test_s3_prefix_content_type_and_multipart(s3_client):
    store = S3BlobStore(BUCKET, f"/{uuid.uuid4().hex}/tenant/", client=s3_client)
    assert store.prefix.endswith("/tenant/") and not store.prefix.startswith("/")
    store.put("page.html", b"<p>", content_type="text/html")
    store.put("big.bin", PatternStream(9 * MiB))
    names = [o["Key"] for o in s3_client.list_objects_v2(Bucket=BUCKET, Prefix=store.prefix)["Contents"]]
    assert names == [store.prefix + "big.bin", store.prefix + "page.html"]
    head = s3_client.head_object(Bucket=BUCKET, Key=store.prefix + "page.html")
    assert head["ContentType"] == "text/html"
    big = s3_client.head_object(Bucket=BUCKET, Key=store.prefix + "big.bin")
    assert big["ETag"].strip('"').endswith("-2")  # uploaded in two parts, not as one body


def test_s3_pages_through_more_than_1000_keys(s3_client):
    store = S3BlobStore(BUCKET, uuid.uuid4().hex, client=s3_client)  # S3's own 1000-key pages
    keys = [f"many/{i:04d}" for i in range(1003)]
    # Seeded straight into the server's in-process backend: 1003 PUTs over HTTP take ~8 s, while
    # what is under test (listing and deleting across pages) still goes over HTTP below.
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for key in keys:
        backend.put_object(BUCKET, store.prefix + key, b".")
    store.put("manyx", b"outside the prefix")
    assert list(store.list("many/")) == keys
    assert store.delete_prefix("many/") == 1003
    assert list(store.list("")) == ["manyx"]


def test_s3_full_key_length_counts_the_prefix(s3_client):
    store = S3BlobStore(BUCKET, "p" * 100, client=s3_client)
    with pytest.raises(ValueError, match="1024"):
        store.put("k" * 1000, b".")


# ----------------------------------------------------------------------------------- factory

def test_factory_file_urls_and_plain_paths(tmp_path, monkeypatch):
    assert make_blob_store(f"file://{tmp_path / 'one'}").root == tmp_path / "one"
    assert make_blob_store(f"file://localhost{tmp_path / 'two'}").root == tmp_path / "two"
    assert make_blob_store(str(tmp_path / "three")).root == tmp_path / "three"
    monkeypatch.chdir(tmp_path)
    relative = make_blob_store("four/content")
    assert isinstance(relative, FilesystemBlobStore) and relative.root == tmp_path / "four" / "content"
    odd = make_blob_store(f"file://{tmp_path / 'with space%20#hash'}")
    assert odd.root == tmp_path / "with space%20#hash" and odd.root.is_dir()


@pytest.mark.parametrize("url", ["", "file://relative/path", "ftp://host/x", "s3://", "s3:///prefix"])
def test_factory_rejects_bad_urls(url):
    with pytest.raises(ValueError):
        make_blob_store(url)


def test_factory_s3_url_round_trip(moto_endpoint, s3_client, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():
        monkeypatch.setenv(name, value)
    prefix = f"factory/{uuid.uuid4().hex}"
    store = make_blob_store(f"s3://{BUCKET}/{prefix}", s3_endpoint_url=moto_endpoint)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (BUCKET, prefix + "/")
    store.put("x/y.txt", b"via factory")
    assert s3_client.get_object(Bucket=BUCKET, Key=f"{prefix}/x/y.txt")["Body"].read() == b"via factory"
    assert make_blob_store(f"s3://{BUCKET}").prefix == ""


def test_filesystem_bulk_writes_refuse_symlinks_and_write_in_place(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    store = FilesystemBlobStore(tmp_path / "root")
    (store.root / "link").symlink_to(outside, target_is_directory=True)
    store.put("pkg/target", b"old")
    (store.root / "pkg" / "alias").symlink_to(outside / "planted")
    with store.bulk_writes():
        store.put("pkg/a/one.txt", b"1")
        store.put("pkg/a/two.txt", io.BytesIO(b"2" * 5000))
        with pytest.raises(ValueError, match="outside"):
            store.put("link/planted", b"x")
        with pytest.raises(FileExistsError):
            store.put("pkg/alias", b"x")  # a symlink at the file itself is not followed
    assert store.get("pkg/a/one.txt") == b"1" and store.size("pkg/a/two.txt") == 5000
    assert list(outside.iterdir()) == []


def test_filesystem_adopt_moves_a_spooled_file_under_a_key(tmp_path):
    store = FilesystemBlobStore(tmp_path / "root")
    spooled = store.spool_dir() / (store.spool_prefix() + "x")
    spooled.write_bytes(b"package bytes")
    assert list(store.list("")) == []  # a spool file is not a blob
    assert store.adopt("packages/app/job.zip", spooled) == 13
    assert not spooled.exists() and store.get("packages/app/job.zip") == b"package bytes"
    other_fs = tmp_path / "elsewhere.bin"  # same filesystem here, but any path works
    other_fs.write_bytes(b"y")
    store.adopt("packages/app/two.zip", other_fs)
    assert store.get("packages/app/two.zip") == b"y" and not other_fs.exists()
