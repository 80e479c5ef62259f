"""Dispatch shell packages (domain/dispatch/package.py): each type imports with our own importer as a
course of its standard with one SCO per dispatch, every SCO page carries its dispatch's key and a
signature (never the secret), and the signature check refuses what was not made for that dispatch."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile

import pytest

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch
from coursehost.domain.courses import model
from coursehost.domain.courses.packages.detect import parse_package
from coursehost.domain.courses.packages.reader import PackageReader
from coursehost.domain.dispatch import dispatches, package
from coursehost.domain.errors import InvalidInput, NotFound
from tests.unit.test_postback_delivery import BOX, make_course

CONTENT = "https://content.example.org"


def _dispatches(session, n: int = 1, destination: Destination | None = None) -> list[Dispatch]:
    """N dispatches of new courses titled "Course <i> & co" (to DESTINATION, else a new one)."""
    if destination is None:
        app_pk, _ = make_course(session)
        destination = Destination(application_pk=app_pk, destination_id=f"d-{uuid.uuid4().hex[:6]}", name="LMS")
        session.add(destination)
        session.flush()
    out = []
    for i in range(n):
        course = Course(application_pk=destination.application_pk, course_id=f"c-{uuid.uuid4().hex[:8]}",
                        title=f"Course <{i + 1}> & co", learning_standard="SCORM12", latest_version=0)
        session.add(course)
        session.flush()
        d = Dispatch(application_pk=destination.application_pk, dispatch_id=f"x-{uuid.uuid4().hex[:6]}",
                     destination_pk=destination.pk, course_pk=course.pk, course_id=course.course_id,
                     dispatch_key=uuid.uuid4().hex, secret=BOX.encrypt(f"secret-{i}-{uuid.uuid4().hex}"))
        session.add(d)
        session.flush()
        out.append(d)
    return out


def _parse(tmp_path, data: bytes):
    path = tmp_path / f"{uuid.uuid4().hex}.zip"
    path.write_bytes(data)
    with PackageReader(path) as reader:
        return parse_package(reader)


def _configs(data: bytes) -> dict[str, dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        pages = {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".html")}
        assert zf.read("shell.js") == package.SHELL_JS.read_bytes()
    return {n: json.loads(re.search(r'id="coursehost-dispatch">(.*?)</script>', p).group(1)) for n, p in pages.items()}


@pytest.mark.parametrize(("kind", "standard", "via"), [
    ("SCORM_12", model.SCORM12, "scorm12"), ("SCORM_2004_3RD", model.SCORM2004_3RD, "scorm2004"),
    ("AICC", model.AICC, "aicc"), (None, model.SCORM12, "scorm12")])
def test_each_type_imports_as_its_standard_with_the_signed_key(db_session, tmp_path, kind, standard, via):
    [d] = _dispatches(db_session)
    data = package.dispatch_zip(db_session, box=BOX, content_url=CONTENT + "/", dispatches=[d], kind=kind,
                                css_url="https://cdn.example.org/lms.css")
    parsed = _parse(tmp_path, data)
    assert parsed.learning_standard == standard and not parsed.warnings
    leaves = parsed.root.leaves()
    assert [leaf.title for leaf in leaves] == ["Course <1> & co"] and leaves[0].href.startswith("index.html")
    [config] = _configs(data).values()
    assert config["dispatchKey"] == d.dispatch_key and config["contentUrl"] == CONTENT and config["via"] == via
    assert config["cssUrl"] == "https://cdn.example.org/lms.css"
    secret = BOX.decrypt(d.secret)
    assert secret.encode() not in data and secret not in json.dumps(config)
    assert package.check_signature(BOX, d, via=via, css_url=config["cssUrl"], sig=config["sig"])
    # the signature binds the key, the family and the css URL
    assert not package.check_signature(BOX, d, via=via, css_url=None, sig=config["sig"])
    other = "scorm2004" if via != "scorm2004" else "scorm12"
    assert not package.check_signature(BOX, d, via=other, css_url=config["cssUrl"], sig=config["sig"])
    assert not package.check_signature(BOX, d, via="lti11", css_url=config["cssUrl"], sig=config["sig"])
    assert not package.check_signature(BOX, d, via=via, css_url=config["cssUrl"], sig="0" * 64)
    assert not package.check_signature(BOX, d, via=via, css_url=config["cssUrl"], sig="")


def test_a_destination_package_has_one_sco_per_dispatch(db_session, tmp_path):
    first = _dispatches(db_session)[0]
    dest = db_session.get(Destination, first.destination_pk)
    more = _dispatches(db_session, 2, destination=dest)
    found = package.destination_dispatches(db_session, application_pk=dest.application_pk,
                                           destination_id=dest.destination_id)
    assert [d.pk for d in found] == [first.pk] + [d.pk for d in more]
    for kind in package.KINDS:
        data = package.dispatch_zip(db_session, box=BOX, content_url=CONTENT, dispatches=found, kind=kind,
                                    title="Courses for Acme")
        parsed = _parse(tmp_path, data)
        assert parsed.title == "Courses for Acme"
        assert [leaf.title for leaf in parsed.root.leaves()] == ["Course <1> & co", "Course <1> & co", "Course <2> & co"]
        keys = [c["dispatchKey"] for _, c in sorted(_configs(data).items())]
        assert keys == [d.dispatch_key for d in found]


def test_bad_requests_name_the_field(db_session):
    [d] = _dispatches(db_session)
    with pytest.raises(InvalidInput, match="type must be one of SCORM_12, SCORM_2004_3RD, AICC"):
        package.dispatch_zip(db_session, box=BOX, content_url=CONTENT, dispatches=[d], kind="SCORM_2004_4TH")
    with pytest.raises(InvalidInput, match="cssUrl must be an absolute http"):
        package.dispatch_zip(db_session, box=BOX, content_url=CONTENT, dispatches=[d], css_url="javascript:x")
    with pytest.raises(InvalidInput, match="no dispatch"):
        package.dispatch_zip(db_session, box=BOX, content_url=CONTENT, dispatches=[])
    with pytest.raises(NotFound):
        dispatches.get_dispatch(db_session, application_pk=d.application_pk, dispatch_id="nope")
    with pytest.raises(NotFound):  # another application's dispatch is not found
        dispatches.get_dispatch(db_session, application_pk=d.application_pk + 999, dispatch_id=d.dispatch_id)
    with pytest.raises(NotFound):
        package.destination_dispatches(db_session, application_pk=d.application_pk, destination_id="nope")
