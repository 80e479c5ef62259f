"""PackageReader limits and extraction progress, below the API."""

from __future__ import annotations

import zipfile

import pytest

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.import_jobs import _extract
from coursehost.domain.courses.packages.reader import PackageLimits, PackageReader, safe_filename, safe_name
from coursehost.storage.filesystem import FilesystemBlobStore


def _write(tmp_path, files: dict[str, bytes], method=zipfile.ZIP_DEFLATED):
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def test_file_count_and_expanded_size_limits(tmp_path):
    path = _write(tmp_path, {f"f{i}.txt": b"x" * 100 for i in range(20)})
    with pytest.raises(PackageError, match="more than 10 files"):
        PackageReader(path, PackageLimits(max_files=10))
    with pytest.raises(PackageError, match="expands to more than"):
        PackageReader(path, PackageLimits(max_expanded_bytes=1000))
    with PackageReader(path, PackageLimits(max_files=20, max_expanded_bytes=2000)) as reader:
        assert len(reader.names) == 20 and reader.total_bytes == 2000


def test_a_header_that_understates_the_size_cannot_smuggle_bytes(tmp_path):
    path = _write(tmp_path, {"big.txt": b"A" * 5000}, zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    # Rewrite the declared uncompressed size (local header and central directory) to 10 bytes.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(sig)
        raw[at + offset:at + offset + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with PackageReader(path) as reader, pytest.raises(PackageError), reader.open("big.txt") as fh:
        fh.read()


def test_resolve_forgives_case_encoding_and_queries(tmp_path):
    path = _write(tmp_path, {"Pages/My Page.html": b"x"})
    with PackageReader(path) as reader:
        for href in ("Pages/My Page.html", "pages/my page.html", "Pages/My%20Page.html?x=1#top", "./Pages/../Pages/My Page.html"):
            assert reader.resolve(href) == "Pages/My Page.html"
        assert reader.resolve("../Pages/My Page.html") is None


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/etc/passwd", "C:/windows/x", "a\x00b"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(PackageError):
        safe_name(name)


def test_extraction_reports_progress_in_files_and_bytes(tmp_path, monkeypatch):
    path = _write(tmp_path, {f"f{i}.bin": bytes(1024) for i in range(5)})
    store = FilesystemBlobStore(tmp_path / "store")
    messages = []
    with PackageReader(path) as reader:
        files = _extract(reader, store, "c/", messages.append)
    assert files == {f"f{i}.bin": 1024 for i in range(5)}
    assert messages[-1] == "Extracting files: 5 of 5 (0.0 MB of 0.0 MB)"
    assert messages[0].startswith("Extracting files: 1 of 5")
    assert store.get("c/f3.bin") == bytes(1024)


def test_safe_filename():
    assert safe_filename("../../etc/My Video.mp4", "x") == "My Video.mp4"
    assert safe_filename("", "media.pdf") == "media.pdf"
    assert safe_filename("a<b>.pdf", "x") == "a_b_.pdf"


def test_storage_used_and_course_counts_per_application(db_session):
    from coursehost.db.models.courses import Course, CourseVersion
    from coursehost.db.models.tenancy import Application, Realm
    from coursehost.domain.courses.catalog import course_counts, storage_used

    realm = Realm(name="r")
    db_session.add(realm)
    db_session.flush()
    apps = [Application(app_id=f"APPSTORE{i}", realm_id=realm.id, name="a") for i in range(2)]
    db_session.add_all(apps)
    db_session.flush()
    for n, size in enumerate((100, 250)):
        course = Course(application_pk=apps[0].pk, course_id=f"c{n}", title="t", learning_standard="SCORM12")
        db_session.add(course)
        db_session.flush()
        db_session.add(CourseVersion(course_pk=course.pk, version=0, title="t", learning_standard="SCORM12",
                                     structure={}, content_prefix=f"p{n}/", size_bytes=size))
    db_session.flush()
    pks = [a.pk for a in apps]
    assert storage_used(db_session, pks) == {apps[0].pk: 350}
    assert course_counts(db_session, pks) == {apps[0].pk: 2}
