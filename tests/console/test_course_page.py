"""The course pages in Chromium (console/courses.py, settings_editor.py, course_assets.py): the course with
its versions, parser warnings, outline, tags, package download and deletion; the configuration settings
editor with the cascade; the course's files under the reject / strict / lax policies; creating a
registration for a learner and copying its launch link. Each action is checked through the official
client, and so is what a learner, a signed-out visitor or another realm's administrator cannot do."""

from __future__ import annotations

import re
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect
from rustici_software_cloud_v2.rest import ApiException

from coursehost.db.session import unit_of_work
from coursehost.domain import limits
from coursehost.domain.applications import service as apps
from tests.builders.scorm import Item, scorm12_zip, zip_bytes
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in
from tests.contract.courses import tree_titles, upload
from tests.e2e.support import create_registration, import_course
from tests.servers import AppCreds

TWO_SCOS = [Item("module", "Module one", children=[Item("sco1", "Lesson one", "lesson1.html"),
                                                    Item("sco2", "Lesson two", "lesson2.html")]),
            Item("sco3", "Final quiz", "quiz/index.html")]


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


@pytest.fixture
def courses(live_server) -> cloud.CourseApi:
    return cloud.CourseApi(live_server.client())


def _package(title: str = "Safety at work", **kw) -> bytes:
    return scorm12_zip(title, scos=TWO_SCOS, extra_files={"shared/style.css": "body { color: black; }"}, **kw)


def _course(live_server, tmp_path, title: str = "Safety at work", **kw) -> str:
    return import_course(live_server, tmp_path, _package(title, **kw))


def _url(live_server, course_id: str, tail: str = "", app_id: str | None = None) -> str:
    return f"{live_server.service_url}/console/courses/{app_id or live_server.default_app.app_id}/{course_id}{tail}"


def _admin_on(page, live_server, course_id: str, tail: str = "", role: str = "administrator"):
    sign_in(page, live_server, make_user(live_server, role))
    page.goto(_url(live_server, course_id, tail))


def _status(call) -> int:
    try:
        call()
    except ApiException as exc:
        return exc.status
    return 200


def test_course_page_shows_versions_warnings_outline_and_the_package(live_server, page, courses, tmp_path):
    first = _package(omit_files=["lesson2.html"])  # version 0: a parser warning (a missing launch file)
    course_id = import_course(live_server, tmp_path, first)
    again = upload(courses, tmp_path, _package("Safety at work, revised"), course_id=course_id,
                   may_create_new_version=True)
    assert again.status == "COMPLETE", again.message
    courses.put_course_tags(course_id, cloud.TagListSchema(tags=["safety", "onboarding"]))
    create_registration(live_server, course_id)
    _admin_on(page, live_server, course_id)

    expect(page.get_by_role("heading", level=1)).to_have_text("Safety at work, revised")
    facts = page.locator(".facts")
    expect(facts).to_contain_text(course_id)
    expect(facts).to_contain_text("SCORM 1.2")
    expect(facts.locator("div", has_text="Registrations")).to_contain_text("1")
    expect(facts.locator("div", has_text="Latest version")).to_contain_text("1")

    versions = page.get_by_role("table")
    rows = versions.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Latest")
    expect(rows.nth(0)).to_contain_text("None: the package was read without problems.")
    warnings = courses.get_course_versions(course_id).courses
    assert [v.version for v in warnings] == [0, 1]
    expect(rows.nth(1).locator("ul.warnings li")).not_to_have_count(0)
    expect(rows.nth(1)).to_contain_text("lesson2.html")
    # Each version's Launch posts its number to the sandbox route; the top button the latest.
    launch = rows.nth(1).locator("form", has=page.get_by_role("button", name="Launch version 0 in the sandbox"))
    expect(launch).to_have_attribute("action", f"/console/courses/{live_server.default_app.app_id}/{course_id}/sandbox")
    expect(launch.locator("input[name=version]")).to_have_value("0")
    expect(page.get_by_role("button", name="Test in sandbox")).to_be_visible()

    # The outline: the manifest's tree as nested lists, as GetCourse's rootActivity has it.
    root = courses.get_course(course_id).root_activity
    shown = page.locator("ul.outline").evaluate("""ul => {
        const walk = li => [li.querySelector(':scope > .activity .activity-title').textContent.trim(),
                            [...li.querySelectorAll(':scope > ul > li')].map(walk)];
        return walk(ul.querySelector(':scope > li'));
    }""")
    assert shown == tree_titles(root)
    assert shown[1][0] == ["Module one", [["Lesson one", []], ["Lesson two", []]]]
    expect(page.locator("ul.outline")).to_contain_text("quiz/index.html")
    tags = page.locator("#tags ul.tag-list li")
    expect(tags).to_have_text([re.compile("^safety"), re.compile("^onboarding")])
    check_page(page, "course")

    # Download package: the original zip of the latest version, the API's GetCourseZip bytes.
    with page.expect_download() as info:
        page.get_by_role("link", name="Download package").click()
    saved = Path(info.value.path()).read_bytes()
    assert saved == Path(courses.get_course_zip(course_id)).read_bytes()
    assert "imsmanifest.xml" in zipfile.ZipFile(info.value.path()).namelist()
    with page.expect_download() as info:
        page.get_by_role("link", name="Package of version 0").click()
    assert Path(info.value.path()).read_bytes() == first


def test_tags_are_added_and_removed(live_server, page, courses, tmp_path):
    course_id = _course(live_server, tmp_path)
    _admin_on(page, live_server, course_id)
    page.get_by_label("Add tags").fill("compliance, 2025 , compliance")
    page.get_by_role("button", name="Add tags").click()
    expect(page.get_by_role("status")).to_have_text("The tags were added.")
    assert courses.get_course_tags(course_id).tags == ["compliance", "2025"]

    page.get_by_label("Add tags").fill("x" * 256)
    page.get_by_role("button", name="Add tags").click()
    expect(page.get_by_text("Each tag may be at most 255 characters.")).to_be_visible()
    expect(page.get_by_label("Add tags")).to_have_attribute("aria-invalid", "true")
    assert courses.get_course_tags(course_id).tags == ["compliance", "2025"]
    check_page(page, "course-tags-error")

    page.get_by_role("button", name="Remove tag compliance").click()
    expect(page.get_by_role("status")).to_have_text("The tag was removed.")
    assert courses.get_course_tags(course_id).tags == ["2025"]


def test_a_version_and_then_the_course_are_deleted_after_confirmation(live_server, page, courses, tmp_path):
    course_id = _course(live_server, tmp_path)
    assert upload(courses, tmp_path, _package("Second"), course_id=course_id,
                  may_create_new_version=True).status == "COMPLETE"
    _admin_on(page, live_server, course_id)

    page.get_by_role("link", name="Delete version 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete version 1 of Second?")
    check_page(page, "course-delete-version")
    page.get_by_role("link", name="Cancel").click()  # nothing happens without the confirmation
    assert [v.version for v in courses.get_course_versions(course_id).courses] == [0, 1]

    page.get_by_role("link", name="Delete version 1").click()
    page.get_by_role("button", name="Delete version").click()
    expect(page.get_by_role("status")).to_have_text("The version was deleted.")
    assert [v.version for v in courses.get_course_versions(course_id).courses] == [0]
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety at work")  # version 0's title again

    page.get_by_role("link", name="Delete course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Safety at work?")
    expect(page.get_by_role("main")).to_contain_text("Its 1 version, with its files and original package.")
    check_page(page, "course-delete")
    page.get_by_role("button", name="Delete course").click()
    page.wait_for_url(re.compile(r"/console/library\?app="))
    assert page.url.startswith(f"{live_server.service_url}/console/library?app={live_server.default_app.app_id}")
    expect(page.locator(".notice")).to_contain_text("The course was deleted")
    assert _status(lambda: courses.get_course(course_id)) == 404


def test_a_post_without_the_confirmation_deletes_nothing(live_server, courses, tmp_path):
    course_id = _course(live_server, tmp_path)
    with http_session(live_server, make_user(live_server, "owner")) as client:
        token = csrf_of(client)
        for tail in ("/delete", "/versions/0/delete"):
            path = f"/console/courses/{live_server.default_app.app_id}/{course_id}{tail}"
            answer = client.post(path, data={"csrf_token": token})
            assert (answer.status_code, answer.headers["location"]) == (303, path)
    assert courses.get_course(course_id).id == course_id


def _config(courses, course_id: str) -> dict[str, tuple[str, str]]:
    """{setting id: (effective value, source)} as GetCourseConfiguration answers."""
    return {s.id: (s.effective_value, s.effective_value_source)
            for s in courses.get_course_configuration(course_id).setting_items}


def _setting(page, setting_id: str):
    return page.locator(f"li#setting-{setting_id}")


def test_settings_editor_shows_the_cascade_and_saves_edits(live_server, page, courses, tmp_path):
    course_id = _course(live_server, tmp_path)
    app_config = cloud.ApplicationManagementApi(live_server.client())
    app_config.set_application_configuration(cloud.SettingsPostSchema(settings=[
        cloud.SettingsIndividualSchema(setting_id="PlayerDesiredWidth", value="1200")]))
    try:
        _admin_on(page, live_server, course_id)
        page.get_by_role("link", name="Configuration settings").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Configuration settings of Safety at work")
        width = _setting(page, "PlayerDesiredWidth")
        expect(width.locator(".effective")).to_contain_text("Applies now: 1200, set by application.")
        expect(width).to_contain_text("Valid values: a whole number of pixels, 0 or more.")
        launch = _setting(page, "PlayerLaunchType")
        expect(launch.locator(".effective")).to_contain_text("Applies now: FRAMESET, set by default.")
        expect(launch.get_by_label("PlayerLaunchType")).to_contain_text("NEW_WINDOW: In a new window opened at once.")
        expect(launch).to_contain_text("How the launch link opens the player.")
        # Settings for other standards are listed apart (closed), SCORM 1.2 ones are open.
        expect(page.locator("details.other-settings")).not_to_have_attribute("open", "")
        expect(page.locator("details.other-settings")).to_contain_text("MediaPercentRequired")
        check_page(page, "course-settings")

        launch.get_by_label("PlayerLaunchType").select_option("NEW_WINDOW")
        _setting(page, "PlayerShowNavBar").get_by_label("PlayerShowNavBar").select_option("false")
        width.get_by_label("PlayerDesiredWidth").fill("900")
        page.get_by_role("button", name="Save settings").last.click()
        expect(page.get_by_role("status")).to_have_text("The settings were saved.")
        config = _config(courses, course_id)
        assert config["PlayerLaunchType"] == ("NEW_WINDOW", "course")
        assert config["PlayerShowNavBar"] == ("false", "course")
        assert config["PlayerDesiredWidth"] == ("900", "course")
        assert config["PlayerDesiredHeight"] == ("800", "default")  # untouched fields stay unset
        width = _setting(page, "PlayerDesiredWidth")
        expect(width.locator(".badge")).to_have_text("Set for this course")
        expect(width.locator(".effective")).to_contain_text(
            "Applies now: 900, set by this course. Without the course's value: 1200 (application).")

        # Bad values: each field says what it accepts; nothing is saved, not even the valid change.
        launch = _setting(page, "PlayerLaunchType")
        launch.get_by_label("PlayerLaunchType").select_option("FRAMESET")
        _setting(page, "PlayerDesiredHeight").get_by_label("PlayerDesiredHeight").fill("-5")
        _setting(page, "ApiRollupRegistrationPostBackUrl").get_by_label("ApiRollupRegistrationPostBackUrl").fill(
            "not a url")
        page.get_by_role("button", name="Save settings").last.click()
        expect(page.get_by_role("alert")).to_contain_text("Nothing was saved: 2 settings have a value that is not valid.")
        height = _setting(page, "PlayerDesiredHeight")
        expect(height.locator(".field-error")).to_have_text(
            "“-5” is not a valid value. Allowed: a whole number of pixels, 0 or more.")
        expect(height.get_by_label("PlayerDesiredHeight")).to_have_attribute("aria-invalid", "true")
        expect(height.get_by_label("PlayerDesiredHeight")).to_have_value("-5")  # the form kept as it was sent
        expect(_setting(page, "ApiRollupRegistrationPostBackUrl").locator(".field-error")).to_contain_text(
            "Allowed: an absolute http or https URL.")
        expect(_setting(page, "PlayerLaunchType").get_by_label("PlayerLaunchType")).to_have_value("FRAMESET")
        check_page(page, "course-settings-error")
        assert _config(courses, course_id)["PlayerLaunchType"] == ("NEW_WINDOW", "course")
        assert _config(courses, course_id)["PlayerDesiredHeight"] == ("800", "default")

        # Clear one course value: the application's value shows through again.
        page.goto(_url(live_server, course_id, "/settings"))
        page.get_by_role("button", name="Clear the course's value of PlayerDesiredWidth").click()
        expect(page.get_by_role("status")).to_contain_text("The course's own value was cleared")
        assert _config(courses, course_id)["PlayerDesiredWidth"] == ("1200", "application")
        expect(_setting(page, "PlayerDesiredWidth").locator(".effective")).to_contain_text(
            "Applies now: 1200, set by application.")
        # Emptying a field and saving clears it too; the other course values stay.
        _setting(page, "PlayerShowNavBar").get_by_label("PlayerShowNavBar").select_option("")
        page.get_by_role("button", name="Save settings").last.click()
        expect(page.get_by_role("status")).to_have_text("The settings were saved.")
        config = _config(courses, course_id)
        assert config["PlayerShowNavBar"] == ("true", "default")
        assert config["PlayerLaunchType"] == ("NEW_WINDOW", "course")
    finally:
        app_config.delete_application_configuration_setting("PlayerDesiredWidth")


def _files(courses, course_id: str) -> dict[str, int]:
    return {f.path: f.size for f in courses.get_course_file_list(course_id).files}


def _choose_file(scope, label: str, tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / uuid.uuid4().hex / name
    path.parent.mkdir()
    path.write_bytes(data)
    scope.get_by_label(label, exact=True).set_input_files(str(path))


def test_assets_listed_downloaded_and_written_under_each_policy(live_server, page, courses, tmp_path):
    course_id = _course(live_server, tmp_path)
    _admin_on(page, live_server, course_id)
    page.get_by_role("link", name="Files", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Files of Safety at work")
    table = page.locator("table.files")
    one = page.get_by_role("region", name="Add or replace one file")
    listed = table.locator("tbody tr td:first-child code").all_inner_texts()
    assert listed == sorted(_files(courses, course_id))
    for value, words in (("reject", "is never overwritten"), ("strict", "must already exist"),
                         ("lax", "whether or not it exists")):
        expect(page.locator(f"#policy-{value}-hint")).to_contain_text(words)
    check_page(page, "course-assets")

    # Download one file: the bytes GetCourseAsset answers.
    row = table.locator("tbody tr", has_text="shared/style.css")
    with page.expect_download() as info:
        row.get_by_role("link", name="Download shared/style.css").click()
    assert info.value.suggested_filename == "style.css"
    assert Path(info.value.path()).read_bytes() == Path(courses.get_course_asset(course_id, "shared/style.css")).read_bytes()

    # reject (the default) refuses to overwrite an existing file, in words; nothing changes.
    row.get_by_role("link", name="Replace shared/style.css").click()
    one = page.get_by_role("region", name="Add or replace one file")
    expect(one.get_by_label("Path in the course")).to_have_value("shared/style.css")
    expect(one.get_by_label("Replace only (strict)")).to_be_checked()  # a Replace link picks strict
    one.get_by_label("Add only (reject)").check()
    _choose_file(one, "File", tmp_path, "style.css", b"body { color: navy; }")
    page.get_by_role("button", name="Upload file").click()
    expect(page.locator("#destination-error")).to_have_text(
        "Nothing was changed: the course already has a file [shared/style.css]; the policy reject only adds new "
        "files: choose strict or lax to replace it.")
    expect(one.get_by_label("Path in the course")).to_have_value("shared/style.css")
    check_page(page, "course-assets-error")
    assert Path(courses.get_course_asset(course_id, "shared/style.css")).read_bytes() == b"body { color: black; }"

    # strict replaces an existing file...
    one.get_by_label("Replace only (strict)").check()
    _choose_file(one, "File", tmp_path, "style.css", b"body { color: navy; }")
    page.get_by_role("button", name="Upload file").click()
    expect(page.get_by_role("status")).to_have_text("shared/style.css was replaced (policy strict (replace only)).")
    assert Path(courses.get_course_asset(course_id, "shared/style.css")).read_bytes() == b"body { color: navy; }"
    # ...and refuses a path the course does not have.
    one.get_by_label("Path in the course").fill("shared/new.css")
    one.get_by_label("Replace only (strict)").check()
    _choose_file(one, "File", tmp_path, "new.css", b"p {}")
    page.get_by_role("button", name="Upload file").click()
    expect(page.locator("#destination-error")).to_contain_text("the policy strict only replaces existing files")
    assert "shared/new.css" not in _files(courses, course_id)
    # lax adds it (the file's own name when no path is given).
    one.get_by_label("Path in the course").fill("")
    one.get_by_label("Add or replace (lax)").check()
    _choose_file(one, "File", tmp_path, "extra.js", b"var x = 1;")
    page.get_by_role("button", name="Upload file").click()
    expect(page.get_by_role("status")).to_have_text("extra.js was added (policy lax (add or replace)).")
    assert _files(courses, course_id)["extra.js"] == 10
    expect(page.locator("table.files")).to_contain_text("extra.js")
    # No file chosen: the field says so.
    page.get_by_role("button", name="Upload file").click()
    expect(page.locator("#file-error")).to_have_text("Choose the file to upload.")


def test_a_zip_of_files_is_written_all_or_nothing(live_server, page, courses, tmp_path):
    course_id = _course(live_server, tmp_path)
    _admin_on(page, live_server, course_id, "/assets")
    before = _files(courses, course_id)
    mixed = zip_bytes({"shared/style.css": "h1 {}", "images/new.svg": "<svg/>"})
    # strict: images/new.svg does not exist, so nothing is written (not even style.css).
    _choose_file(page, "Zip file", tmp_path, "files.zip", mixed)
    page.locator("#zip_policy-strict").check()
    page.get_by_role("button", name="Upload zip").click()
    expect(page.locator("#zip-error")).to_have_text(
        "Nothing was changed: the course has no file [images/new.svg] to replace; the policy strict only replaces "
        "existing files: choose reject or lax to add it.")
    assert _files(courses, course_id) == before
    assert Path(courses.get_course_asset(course_id, "shared/style.css")).read_bytes() == b"body { color: black; }"
    # Not a zip: said in words.
    _choose_file(page, "Zip file", tmp_path, "files.zip", b"this is not a zip")
    page.get_by_role("button", name="Upload zip").click()
    expect(page.locator("#zip-error")).to_contain_text("Nothing was changed:")
    assert _files(courses, course_id) == before
    # lax: one added, one replaced.
    _choose_file(page, "Zip file", tmp_path, "files.zip", mixed)
    page.locator("#zip_policy-lax").check()
    page.get_by_role("button", name="Upload zip").click()
    expect(page.get_by_role("status")).to_have_text(
        "2 files written from the zip: 1 added, 1 replaced (policy lax (add or replace)).")
    assert Path(courses.get_course_asset(course_id, "images/new.svg")).read_bytes() == b"<svg/>"
    assert Path(courses.get_course_asset(course_id, "shared/style.css")).read_bytes() == b"h1 {}"


def _registration_form(page):
    return page.get_by_role("region", name="Create a registration")


def _registrations(live_server, course_id: str, creds=None) -> list:
    api = cloud.RegistrationApi(live_server.client(creds))
    return api.get_registrations(course_id=course_id).registrations


def test_a_registration_is_created_and_its_launch_link_copied(live_server, context, page, tmp_path):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.service_url)
    course_id = _course(live_server, tmp_path)
    _admin_on(page, live_server, course_id)
    form = _registration_form(page)
    form.get_by_label("Learner ID").fill("ada-1815")
    form.get_by_label("First name").fill("Ada")
    form.get_by_label("Last name").fill("Lovelace")
    form.get_by_label("E-mail").fill("ada@example.com")
    form.get_by_role("button", name="Create registration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Launch link for Ada Lovelace")
    expect(page.get_by_role("status").first).to_have_text("The registration was created.")
    (reg,) = _registrations(live_server, course_id)
    assert (reg.learner.id, reg.learner.first_name, reg.learner.last_name, reg.learner.email) == (
        "ada-1815", "Ada", "Lovelace", "ada@example.com")
    uuid.UUID(reg.id)  # no id given: a new random one
    cloud.RegistrationApi(live_server.client()).get_registration(reg.id)  # exists (a 404 would raise)
    link = page.get_by_role("textbox", name="Launch link")
    expect(link).to_have_attribute("readonly", "")
    assert link.input_value().startswith(f"{live_server.content_url}/player/launch?token=")
    expect(page.get_by_role("link", name="Registration details")).to_have_attribute(
        "href", f"/console/registrations/{live_server.default_app.app_id}/{reg.id}")
    check_page(page, "course-launch-link")

    page.get_by_role("button", name="Copy the launch link").click()
    expect(page.locator(".copy-status")).to_have_text("Copied to the clipboard.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == link.input_value()
    # The link launches the course in the player on the learner's registration.
    player = context.new_page()
    answer = player.goto(copied)
    assert answer.status == 200
    player.close()

    # A chosen registration id is used as it is.
    page.goto(_url(live_server, course_id))
    form = _registration_form(page)
    form.get_by_label("Learner ID").fill("grace-1906")
    form.get_by_label("Registration ID").fill(f"chosen-{course_id}")
    form.get_by_role("button", name="Create registration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Launch link for grace-1906")
    assert {r.id for r in _registrations(live_server, course_id)} == {reg.id, f"chosen-{course_id}"}


def test_without_javascript_the_launch_link_is_there_to_select(live_server, browser, tmp_path):
    course_id = _course(live_server, tmp_path)
    registration_id = create_registration(live_server, course_id, learner_id="no-js")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        _admin_on(page, live_server, course_id, f"/launch-link?registration={registration_id}")
        expect(page.get_by_role("button", name="Copy the launch link")).to_be_hidden()
        link = page.get_by_role("textbox", name="Launch link")
        expect(link).to_be_visible()
        assert link.input_value().startswith(f"{live_server.content_url}/player/launch?token=")
    finally:
        context.close()


def test_registration_form_errors_are_shown_on_their_fields(live_server, page, tmp_path):
    course_id = _course(live_server, tmp_path)
    taken = create_registration(live_server, course_id, learner_id="first")
    _admin_on(page, live_server, course_id)
    form = _registration_form(page)
    form.get_by_label("First name").fill("Nobody")
    form.get_by_role("button", name="Create registration").click()
    form = _registration_form(page)
    expect(form.locator("#reg-learner_id-error")).to_have_text("Learner ID is required.")
    expect(form.get_by_label("Learner ID")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("First name")).to_have_value("Nobody")  # the form kept filled in
    check_page(page, "course-registration-error")

    form.get_by_label("Learner ID").fill("second")
    form.get_by_label("Registration ID").fill(taken)
    form.get_by_role("button", name="Create registration").click()
    form = _registration_form(page)
    expect(form.locator("#reg-registration_id-error")).to_have_text(
        "A registration with this ID already exists in this application; choose another ID or leave it empty "
        "for a new one.")
    assert [(r.id, r.learner.id) for r in _registrations(live_server, course_id)] == [(taken, "first")]


def test_the_realms_registration_limit_is_said_in_words(live_server, page, tmp_path):
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        realm, new = apps.create_realm(session, box=svc.box, name=f"Limited {uuid.uuid4().hex[:6]}")
        realm_id = realm.id
    creds = AppCreds(new.app_id, new.secret_key)
    course_id = import_course(live_server, tmp_path, _package(), creds)
    create_registration(live_server, course_id, creds)
    with unit_of_work(svc.session_factory) as session:
        limits.set_limits(session, realm_id=realm_id, registrations=1)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    sign_in(page, live_server, owner)
    page.goto(_url(live_server, course_id, app_id=new.app_id))
    form = _registration_form(page)
    form.get_by_label("Learner ID").fill("one-too-many")
    form.get_by_role("button", name="Create registration").click()
    expect(_registration_form(page).get_by_role("alert")).to_contain_text(
        "No registration was created. Registration limit reached:")
    expect(_registration_form(page).get_by_role("alert")).to_contain_text("may create 1 registrations and 1 are used")
    check_page(page, "course-registration-limit")
    assert len(_registrations(live_server, course_id, creds)) == 1


# Every course route, in an order that leaves each one something to act on:
# (method, path after the course's, form, files, status for owners and administrators).
COURSE_ROUTES = [
    ("GET", "", {}, None, 200),
    ("POST", "/tags", {"tags": "matrix"}, None, 303),
    ("POST", "/tags/remove", {"tag": "matrix"}, None, 303),
    ("GET", "/package", {}, None, 200),
    ("GET", "/settings", {}, None, 200),
    ("POST", "/settings", {"setting-PlayerLaunchType": "NEW_WINDOW"}, None, 303),
    ("POST", "/settings/clear", {"clear": "PlayerLaunchType"}, None, 303),
    ("GET", "/assets", {}, None, 200),
    ("GET", "/assets/file?path=shared/style.css", {}, None, 200),
    ("POST", "/assets/file", {"policy": "lax", "destination": "matrix.css"}, {"file": ("m.css", b"p {}")}, 303),
    ("POST", "/assets/zip", {"zip_policy": "lax"}, {"file": ("m.zip", zip_bytes({"m/a.txt": "a"}))}, 303),
    ("POST", "/registrations", {"learner_id": "matrix"}, None, 303),
    ("GET", "/launch-link?registration={reg}", {}, None, 200),
    ("GET", "/versions/1/delete", {}, None, 200),
    ("POST", "/versions/1/delete", {"confirm": "yes"}, None, 303),
    ("GET", "/delete", {}, None, 200),
    ("POST", "/delete", {"confirm": "yes"}, None, 303),
]
ADMIN_ROLES = {"owner", "administrator"}


def _two_version_course(live_server, courses, tmp_path, creds=None) -> tuple[str, str]:
    """A course with versions 0 and 1, the tag "keep" and one registration: (course id, registration id)."""
    api = cloud.CourseApi(live_server.client(creds)) if creds else courses
    course_id = import_course(live_server, tmp_path, _package(), creds)
    assert upload(api, tmp_path, _package("Again"), course_id=course_id, may_create_new_version=True).status == "COMPLETE"
    api.put_course_tags(course_id, cloud.TagListSchema(tags=["keep"]))
    return course_id, create_registration(live_server, course_id, creds)


def _snapshot(live_server, course_id: str, creds=None):
    """What the routes could change, as the official client sees it."""
    api = cloud.CourseApi(live_server.client(creds))
    return (api.get_course_tags(course_id).tags, [v.version for v in api.get_course_versions(course_id).courses],
            {s.id: s.effective_value_source for s in api.get_course_configuration(course_id).setting_items},
            sorted(f.path for f in api.get_course_file_list(course_id).files),
            sorted(r.id for r in _registrations(live_server, course_id, creds)))


def _send(client, method: str, path: str, token: str, data: dict, files):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": token, **data}, files=files)


@pytest.mark.parametrize("role", ["owner", "administrator", "learner"])
def test_role_matrix_of_the_course_pages(live_server, courses, tmp_path, role):
    """Owners and administrators may use every course page and action; a learner gets 403 for each and
    nothing changes (checked through the official client)."""
    course_id, reg = _two_version_course(live_server, courses, tmp_path)
    before = _snapshot(live_server, course_id)
    base = f"/console/courses/{live_server.default_app.app_id}/{course_id}"
    with http_session(live_server, make_user(live_server, role)) as client:
        token = csrf_of(client)
        for method, tail, data, files, status in COURSE_ROUTES:
            path = base + tail.format(reg=reg)
            answer = _send(client, method, path, token, data, files)
            if role in ADMIN_ROLES:
                assert answer.status_code == status, (role, method, path, answer.text[:300])
            else:
                assert answer.status_code == 403, (role, method, path)
                assert "You do not have access to this page" in answer.text
                assert "Safety at work" not in answer.text and "Again" not in answer.text
    if role in ADMIN_ROLES:
        assert _status(lambda: courses.get_course(course_id)) == 404  # the last route deleted it
    else:
        assert _snapshot(live_server, course_id) == before


@pytest.mark.parametrize(("method", "tail"), sorted({(m, t) for m, t, _, _, _ in COURSE_ROUTES}))
def test_every_course_route_needs_a_session(live_server, method, tail):
    path = f"/console/courses/{live_server.default_app.app_id}/any-course{tail.format(reg='any')}"
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, path, follow_redirects=False)
    assert answer.status_code == 303  # to the sign-in page; a POST does nothing
    assert answer.headers["location"].startswith("/console/signin")


def test_another_realms_course_is_not_found(live_server, courses, tmp_path):
    """An administrator of another realm gets 404 for every page and action on this realm's course, with
    none of its data, and changes nothing; nor does their own application id reach it."""
    course_id, reg = _two_version_course(live_server, courses, tmp_path)
    before = _snapshot(live_server, course_id)
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        realm, new = apps.create_realm(session, box=svc.box, name=f"Elsewhere {uuid.uuid4().hex[:6]}")
        realm_id = realm.id
    outsider = make_user(live_server, "administrator", realm_id=realm_id)
    with http_session(live_server, outsider) as client:
        token = csrf_of(client)
        for app_id in (live_server.default_app.app_id, new.app_id):
            base = f"/console/courses/{app_id}/{course_id}"
            for method, tail, data, files, _ in COURSE_ROUTES:
                path = base + tail.format(reg=reg)
                answer = _send(client, method, path, token, data, files)
                assert answer.status_code == 404, (method, path, answer.status_code)
                assert "Safety at work" not in answer.text and "Again" not in answer.text
                assert "shared/style.css" not in answer.text and reg not in answer.text
    assert _snapshot(live_server, course_id) == before
