"""CourseApi after import, through the official client: lists, titles, tags, versions, files,
assets, configuration, the original zip, deletion; and one app never sees another's courses."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.contract.courses import course_api, upload
from tests.contract.helpers import message, new_child_app
from tests.contract.test_course_import_basics import scorm12


def _imported(api, tmp_path, course_id: str, **kw):
    status = upload(api, tmp_path, scorm12(), course_id=course_id, **kw)
    assert status.status == "COMPLETE", status.message
    return status


def _status_of(call) -> int:
    with pytest.raises(ApiException) as err:
        call()
    return err.value.status


def test_get_courses_pages_filters_tags_and_counts(app_api, tmp_path, live_server):
    for n in range(12):
        _imported(app_api, tmp_path, f"list-{n:02d}", tags=["odd"] if n % 2 else ["even"])
    first = app_api.get_courses(include_total_count=True)
    assert len(first.courses) == 10 and first.more  # page size 10 in the test server
    ids = [c.id for c in first.courses] + [c.id for c in app_api.get_courses(more=first.more).courses]
    assert ids == [f"list-{n:02d}" for n in reversed(range(12))]  # created_desc by default
    odd = app_api.get_courses(tags=["odd"]).courses
    assert sorted(c.id for c in odd) == [f"list-{n:02d}" for n in range(1, 12, 2)]
    assert all(c.tags == ["odd"] for c in odd)
    found = app_api.get_courses(filter="list-03", filter_by="course_id").courses
    assert [c.id for c in found] == ["list-03"]
    resp = app_api.get_courses_with_http_info(include_total_count=True)
    assert resp[2]["X-Total-Count"] == "12"
    assert _status_of(lambda: app_api.get_courses(order_by="sideways")) == 400
    with_meta = app_api.get_courses(include_course_metadata=True, include_registration_count=True).courses[0]
    assert with_meta.registration_count == 0 and with_meta.metadata is not None


def test_title_tags_and_batch_tags(app_api, tmp_path):
    _imported(app_api, tmp_path, "t1")
    _imported(app_api, tmp_path, "t2")
    app_api.set_course_title("t1", cloud.TitleSchema(title="Renamed"))
    assert app_api.get_course("t1").title == "Renamed"
    app_api.put_course_tags("t1", cloud.TagListSchema(tags=["a", "b"]))
    assert app_api.get_course_tags("t1").tags == ["a", "b"]
    app_api.delete_course_tags("t1", cloud.TagListSchema(tags=["a"]))
    assert app_api.get_course_tags("t1").tags == ["b"]
    app_api.put_course_tags_batch(cloud.BatchTagsSchema(ids=["t1", "t2"], tags=["batch"]))
    assert app_api.get_course_tags("t2").tags == ["batch"] and app_api.get_course_tags("t1").tags == ["batch"]
    # All or nothing: an unknown id in the batch changes no course.
    with pytest.raises(ApiException) as err:
        app_api.put_course_tags_batch(cloud.BatchTagsSchema(ids=["t1", "missing"], tags=["x"]))
    assert err.value.status == 404 and "missing" in message(err.value)
    assert app_api.get_course_tags("t1").tags == ["batch"]


def test_versions_files_assets_and_zip(app_api, tmp_path):
    _imported(app_api, tmp_path, "assets")
    info = app_api.get_course_version_info("assets", 0)
    assert info.version == 0 and info.title == "Basics course"
    assert [f.path for f in app_api.get_course_version_file_list("assets", 0).files] == ["imsmanifest.xml", "index.html"]
    # reject (the default): a new file only
    asset = tmp_path / "extra.css"
    asset.write_bytes(b"body{color:red}")
    made = app_api.upload_course_asset_file("assets", "css/extra.css", file=str(asset))
    assert (made.filename, made.destination) == ("extra.css", "css/extra.css")
    assert _status_of(lambda: app_api.upload_course_asset_file("assets", "css/extra.css", file=str(asset))) == 409
    # strict: must exist; lax: anything
    assert _status_of(lambda: app_api.upload_course_version_asset_file(
        "assets", 0, "css/none.css", file=str(asset), update_asset_policy="strict")) == 404
    asset.write_bytes(b"body{color:blue}")
    app_api.upload_course_version_asset_file("assets", 0, "css/extra.css", file=str(asset),
                                             update_asset_policy="lax")
    path = app_api.get_course_asset("assets", "css/extra.css")
    assert Path(path).read_bytes() == b"body{color:blue}"
    path = app_api.get_course_version_asset("assets", 0, "index.html")
    assert b"lesson" in Path(path).read_bytes()
    assert _status_of(lambda: app_api.get_course_asset("assets", "../../etc/passwd")) == 400
    assert _status_of(lambda: app_api.upload_course_asset_file("assets", "../x.css", file=str(asset))) == 400
    app_api.delete_course_asset("assets", "css/extra.css")
    assert _status_of(lambda: app_api.get_course_asset("assets", "css/extra.css")) == 404
    app_api.upload_course_asset_file("assets", "b.css", file=str(asset))
    app_api.delete_course_version_asset("assets", 0, "b.css")
    zip_path = app_api.get_course_zip("assets")
    with zipfile.ZipFile(zip_path) as z:
        assert sorted(z.namelist()) == ["imsmanifest.xml", "index.html"]
    assert Path(app_api.get_versioned_course_zip("assets", 0)).read_bytes() == Path(zip_path).read_bytes()


def test_import_asset_from_a_url(app_api, tmp_path, http_files):
    _imported(app_api, tmp_path, "fetch-asset")
    # The official client decodes every non-zip download as UTF-8, so the asset here is text.
    base = http_files({"/logo.svg": b"<svg/>"})
    made = app_api.import_course_asset_file(
        "fetch-asset", cloud.ImportAssetRequestSchema(fetch_url=base + "/logo.svg", destination="img/logo.svg"))
    assert made.destination == "img/logo.svg"
    assert Path(app_api.get_course_asset("fetch-asset", "img/logo.svg")).read_bytes() == b"<svg/>"
    app_api.import_course_version_asset_file(
        "fetch-asset", 0, cloud.ImportAssetRequestSchema(fetch_url=base + "/logo.svg", destination="img/2.svg"))
    assert _status_of(lambda: app_api.import_course_asset_file(
        "fetch-asset", cloud.ImportAssetRequestSchema(fetch_url=base + "/nope.png", destination="n.png"))) == 400


def test_course_and_version_configuration_cascade(app_api, tmp_path):
    _imported(app_api, tmp_path, "cfg")
    setting = "PlayerLaunchType"

    def effective(items):
        item = next(i for i in items.setting_items if i.id == setting)
        return item.effective_value, item.effective_value_source

    assert effective(app_api.get_course_configuration("cfg")) == ("FRAMESET", "default")
    app_api.set_course_configuration("cfg", cloud.SettingsPostSchema(
        settings=[cloud.SettingsIndividualSchema(setting_id=setting, value="NEW_WINDOW")]))
    assert effective(app_api.get_course_configuration("cfg")) == ("NEW_WINDOW", "course")
    assert effective(app_api.get_course_version_configuration("cfg", 0)) == ("NEW_WINDOW", "course")
    app_api.set_course_version_configuration("cfg", 0, cloud.SettingsPostSchema(
        settings=[cloud.SettingsIndividualSchema(setting_id=setting, value="NEW_WINDOW_AFTER_CLICK")]))
    assert effective(app_api.get_course_version_configuration("cfg", 0))[0] == "NEW_WINDOW_AFTER_CLICK"
    app_api.delete_course_version_configuration_setting("cfg", 0, setting)
    assert effective(app_api.get_course_version_configuration("cfg", 0))[0] == "NEW_WINDOW"
    app_api.delete_course_configuration_setting("cfg", setting)
    assert effective(app_api.get_course_configuration("cfg"))[0] == "FRAMESET"
    assert _status_of(lambda: app_api.set_course_configuration("cfg", cloud.SettingsPostSchema(
        settings=[cloud.SettingsIndividualSchema(setting_id=setting, value="SIDEWAYS")]))) == 400


def test_delete_course_removes_it_and_its_files(app_api, tmp_path, live_server):
    status = _imported(app_api, tmp_path, "gone")
    prefix = status.import_result.web_path_to_course
    store = live_server.services.store
    assert list(store.list(prefix))
    app_api.delete_course("gone")
    assert _status_of(lambda: app_api.get_course("gone")) == 404
    import time

    deadline = time.monotonic() + 10
    while list(store.list(prefix)):
        assert time.monotonic() < deadline, "the deleted course's files were not removed"
        time.sleep(0.05)
    assert _status_of(lambda: app_api.delete_course("gone")) == 404


def test_one_application_never_sees_anothers_courses(app_api, tmp_path, live_server):
    _imported(app_api, tmp_path, "private")
    _, other_creds = new_child_app(live_server)
    other = course_api(live_server, other_creds)
    assert other.get_courses().courses == []
    for call in (lambda: other.get_course("private"), lambda: other.get_course_zip("private"),
                 lambda: other.get_course_asset("private", "index.html"),
                 lambda: other.delete_course("private"), lambda: other.get_course_tags("private")):
        assert _status_of(call) == 404
    assert app_api.get_course("private").id == "private"


def test_read_course_token_reads_but_cannot_import_or_delete(live_server, tmp_path, app_api):
    _imported(app_api, tmp_path, "scoped")
    creds = app_api.api_client.configuration
    owner = live_server.client(type(live_server.default_app)(creds.username, creds.password))
    token = cloud.AuthenticationApi(owner).get_app_token("read:course", expiration=120)
    reader = cloud.CourseApi(live_server.client(token=token.access_token))
    assert reader.get_course("scoped").id == "scoped"
    assert _status_of(lambda: reader.delete_course("scoped")) == 403
    assert _status_of(lambda: reader.set_course_title("scoped", cloud.TitleSchema(title="x"))) == 403
    assert _status_of(lambda: upload(reader, tmp_path, scorm12(), course_id="nope")) == 403
