"""The LRS tab in Chromium: each application's endpoint, activity providers created, edited, disabled
and deleted in the console and checked through the official client (XapiApi) and the LRS itself,
the statement viewer and its export checked against the LRS's own answer to GET statements (posted
with httpx and a Basic credential), voided statements marked, statement pipes that really forward;
and who may use which page, and that one realm never sees another's data."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect
from rustici_software_cloud_v2.rest import ApiException

from coursehost.db.session import unit_of_work
from coursehost.domain.applications import service as apps
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in
from tests.servers import AppCreds

XAPI = {"X-Experience-API-Version": "1.0.3"}
VERBS = "http://adlnet.gov/expapi/verbs/"
ALICE = {"objectType": "Agent", "name": "Alice Example", "mbox": "mailto:alice@example.com"}
BOB = {"objectType": "Agent", "name": "Bob Example", "mbox": "mailto:bob@example.com"}
CAROL = {"objectType": "Agent", "name": "Carol", "account": {"homePage": "https://lms.example.com", "name": "carol-7"}}


@dataclass
class App:
    app_id: str
    name: str
    creds: AppCreds
    xapi: cloud.XapiApi
    lrs: str  # the LRS endpoint, ".../lrs/{appId}/"


@dataclass
class Realm:
    id: int
    name: str
    apps: list[App]


def _new_realm(live_server, *, apps_count: int = 1) -> Realm:
    """A realm of its own (a clean page for each test) with APPS_COUNT applications."""
    svc = live_server.services
    found = []
    with unit_of_work(svc.session_factory) as session:
        realm, first = apps.create_realm(session, box=svc.box, name=f"LRS realm {uuid.uuid4().hex[:6]}")
        made = [(first.app_id, first.name, first.secret_key)]
        for n in range(2, apps_count + 1):
            app, secret = apps.create_application(session, box=svc.box, realm_id=realm.id, name=f"Application {n}")
            made.append((app.app_id, app.name, secret))
        realm_id, realm_name = realm.id, realm.name
    for app_id, name, secret in made:
        creds = AppCreds(app_id, secret)
        found.append(App(app_id, name, creds, cloud.XapiApi(live_server.client(creds)),
                         f"{live_server.service_url}/lrs/{app_id}/"))
    return Realm(realm_id, realm_name, found)


def _credential(app: App, level: str = "ROOT", name: str = "Statements tool") -> tuple[str, str]:
    """A Basic activity-provider credential made through the XapiApi: (key, secret)."""
    secret = f"secret-{uuid.uuid4().hex}"
    key = app.xapi.create_xapi_credential(cloud.XapiCredentialPostSchema(
        name=name, secret=secret, is_enabled=True,
        auth=cloud.XapiCredentialAuthTypeSchema(xapi_credential_auth_type="BASICAUTH"),
        permissions_level=cloud.XapiCredentialPermissionsLevelSchema(xapi_credential_permissions_level=level))).result
    return key, secret


def _statement(actor: dict, verb: str, activity: str = "https://example.com/activities/quiz", **extra) -> dict:
    statement = {"id": str(uuid.uuid4()), "actor": actor,
                 "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
                 "object": {"objectType": "Activity", "id": activity,
                            "definition": {"name": {"en-US": activity.rsplit("/", 1)[-1].title()}}}}
    statement.update(extra)
    return statement


def _post(app: App, auth: tuple[str, str], statements: list[dict]) -> list[str]:
    answer = httpx.post(app.lrs + "statements", json=statements, auth=auth, headers=XAPI, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _lrs_get(app: App, auth: tuple[str, str], **params) -> list[dict]:
    """Every statement GET statements answers for PARAMS, following `more`."""
    url, found = app.lrs + "statements", []
    while url:
        answer = httpx.get(url, params=params or None, auth=auth, headers=XAPI, timeout=60)  # {} drops more's query
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found += body["statements"]
        url, params = (urljoin(app.lrs, body["more"]), {}) if body["more"] else (None, {})
    return found


def _lrs_status(app: App, auth: tuple[str, str]) -> int:
    return httpx.get(app.lrs + "statements", auth=auth, headers=XAPI, timeout=30).status_code


def _shown_ids(page) -> list[str]:
    return page.locator("ol.statements .statement-id").all_inner_texts()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def _admin(live_server, realm: Realm, role: str = "administrator"):
    return make_user(live_server, role, realm_id=realm.id, name="Ada Admin")


# ------------------------------------------------------------------------------------------ endpoints


def test_endpoints_page_gives_each_applications_lrs_url_and_how_to_authenticate(live_server, page):
    realm = _new_realm(live_server, apps_count=2)
    first, second = realm.apps
    sign_in(page, live_server, _admin(live_server, realm))
    page.get_by_role("navigation", name="Console").get_by_role("link", name="LRS").click()
    expect(page.get_by_role("heading", name="LRS endpoints", level=1)).to_be_visible()
    expect(page.locator("#endpoint-url")).to_have_text(first.lrs)
    main = page.get_by_role("main")
    expect(main).to_contain_text("Basic")
    expect(main).to_contain_text("OAuth 1.0a")
    expect(main).to_contain_text("1.0.3")
    expect(main).to_contain_text("2.0.0")
    table = page.get_by_role("table", name=re.compile("LRS endpoint of each application"))
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table).to_contain_text(second.lrs)
    check_page(page, "lrs-endpoints")

    # The URL shown is the LRS: its about resource lists the versions the page lists.
    about = httpx.get(first.lrs + "about", timeout=30).json()
    assert set(about["version"]) == {"1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"}
    # ... and an activity provider allowed there (made through the XapiApi) is listed and accepted.
    key, secret = _credential(second, "ROOT", "Grade book")
    page.get_by_label("Application", exact=True).select_option(second.app_id)
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#endpoint-url")).to_have_text(second.lrs)
    expect(page.get_by_role("link", name="Grade book")).to_be_visible()
    assert httpx.get(second.lrs + "statements", auth=(key, secret), headers=XAPI, timeout=30).status_code == 200


# ------------------------------------------------------------------------------------ activity providers


def _provider_form(page, *, name: str | None = None, auth: str | None = None, endpoint: str | None = None,
                   level: str | None = None, secret: str | None = None):
    if name is not None:
        page.get_by_label("Label").fill(name)
    if auth is not None:
        page.get_by_role("radio", name=re.compile(auth)).check()
    if endpoint is not None:
        page.get_by_label("Allowed endpoint").select_option(endpoint)
    if level is not None:
        page.get_by_label("Permission level").select_option(level)
    if secret is not None:
        page.get_by_role("textbox", name=re.compile("secret", re.I)).fill(secret)


def test_activity_providers_created_edited_disabled_and_deleted(live_server, page):
    realm = _new_realm(live_server, apps_count=2)
    first, second = realm.apps
    sign_in(page, live_server, _admin(live_server, realm))
    page.goto(f"{live_server.service_url}/console/lrs/providers")
    expect(page.get_by_role("heading", name="Activity providers", level=1)).to_be_visible()
    expect(page.get_by_text("There is no activity provider yet.")).to_be_visible()

    # A blank label, then a short secret: the field's message, the form kept, nothing created.
    _provider_form(page, name="  ", level="ROOT")
    page.get_by_role("button", name="Add activity provider").click()
    expect(page.get_by_role("alert")).to_contain_text("Label is required.")
    expect(page.get_by_label("Label")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Permission level")).to_have_value("ROOT")
    check_page(page, "lrs-providers-error")
    assert first.xapi.get_xapi_credentials().xapi_credentials == []
    _provider_form(page, name="Quiz tool", secret="short")
    page.get_by_role("button", name="Add activity provider").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 16 characters")
    assert first.xapi.get_xapi_credentials().xapi_credentials == []

    # Created: Basic, on the first application, Root, the secret generated.
    _provider_form(page, name="Quiz tool", auth="Basic", endpoint=first.app_id, level="ROOT", secret="")
    page.get_by_role("button", name="Add activity provider").click()
    expect(page.get_by_role("status")).to_contain_text("was created")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz tool")
    [made] = first.xapi.get_xapi_credentials().xapi_credentials
    assert (made.name, made.is_enabled, made.auth.xapi_credential_auth_type,
            made.permissions_level.xapi_credential_permissions_level) == ("Quiz tool", True, "BASICAUTH", "ROOT")
    key = page.locator("#provider-key").inner_text()
    assert key == made.id
    expect(page.get_by_role("main")).not_to_contain_text(made.secret)  # hidden until asked for
    page.get_by_role("button", name="Show the secret").click()
    expect(page.locator("#provider-secret")).to_have_text(made.secret)
    check_page(page, "lrs-provider")
    assert _lrs_status(first, (key, made.secret)) == 200
    assert _lrs_status(second, (key, made.secret)) == 401

    # Edited: a new label, Read only, allowed on every application of the realm.
    page.goto(f"{live_server.service_url}/console/lrs/providers/{first.app_id}/{key}")
    _provider_form(page, name="Quiz tool (all)", endpoint="all", level="READONLY")
    page.get_by_role("button", name="Save activity provider").click()
    expect(page.get_by_role("status")).to_contain_text("was saved")
    got = first.xapi.get_xapi_credential(key)
    assert (got.name, got.permissions_level.xapi_credential_permissions_level, got.secret) == (
        "Quiz tool (all)", "READONLY", made.secret)  # a blank secret field keeps the secret
    assert _lrs_status(second, (key, made.secret)) == 200
    refused = httpx.post(second.lrs + "statements", json=_statement(ALICE, "completed"), auth=(key, made.secret),
                         headers=XAPI, timeout=30)
    assert refused.status_code == 403  # read only, on the other application's LRS too
    page.goto(f"{live_server.service_url}/console/lrs/providers")
    row = page.get_by_role("row", name=re.compile("Quiz tool"))
    expect(row).to_contain_text("All applications")
    expect(row).to_contain_text("Read only")
    page.goto(f"{live_server.service_url}/console/lrs/providers?app={second.app_id}")
    expect(page.get_by_role("row", name=re.compile("Quiz tool"))).to_be_visible()  # allowed there too
    check_page(page, "lrs-providers")

    # Moved to the second application only: the first one's XapiApi and LRS no longer know it.
    page.goto(f"{live_server.service_url}/console/lrs/providers/{first.app_id}/{key}")
    _provider_form(page, endpoint=second.app_id)
    page.get_by_role("button", name="Save activity provider").click()
    expect(page).to_have_url(re.compile(f"/console/lrs/providers/{second.app_id}/{key}"))
    with pytest.raises(ApiException) as err:
        first.xapi.get_xapi_credential(key)
    assert err.value.status == 404
    assert second.xapi.get_xapi_credential(key).name == "Quiz tool (all)"
    assert _lrs_status(first, (key, made.secret)) == 401
    assert _lrs_status(second, (key, made.secret)) == 200

    # Disabled: the XapiApi says so and the LRS refuses the key at once; enabled again.
    page.get_by_role("button", name="Disable activity provider").click()
    expect(page.get_by_role("status")).to_contain_text("was disabled")
    assert second.xapi.get_xapi_credential(key).is_enabled is False
    assert _lrs_status(second, (key, made.secret)) == 401
    page.get_by_role("button", name="Enable activity provider").click()
    expect(page.get_by_role("status")).to_contain_text("was enabled")
    assert second.xapi.get_xapi_credential(key).is_enabled is True
    assert _lrs_status(second, (key, made.secret)) == 200

    # Deleted after a confirmation page.
    page.get_by_role("link", name="Delete activity provider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete activity provider Quiz tool (all)?")
    check_page(page, "lrs-provider-delete")
    page.get_by_role("button", name="Delete activity provider").click()
    expect(page.get_by_role("status")).to_have_text("The activity provider was deleted.")
    assert second.xapi.get_xapi_credentials().xapi_credentials == []
    assert _lrs_status(second, (key, made.secret)) == 401


def test_an_oauth_provider_with_a_chosen_secret(live_server, page):
    realm = _new_realm(live_server)
    [app] = realm.apps
    sign_in(page, live_server, _admin(live_server, realm, "owner"))
    page.goto(f"{live_server.service_url}/console/lrs/providers")
    _provider_form(page, name="Signed tool", auth="OAuth", level="WRITEONLY", secret="a-chosen-secret-of-length")
    page.get_by_label("Enabled").uncheck()
    page.get_by_role("button", name="Add activity provider").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Signed tool")
    [made] = app.xapi.get_xapi_credentials().xapi_credentials
    assert (made.auth.xapi_credential_auth_type, made.permissions_level.xapi_credential_permissions_level,
            made.secret, made.is_enabled) == ("OAUTH", "WRITEONLY", "a-chosen-secret-of-length", False)
    expect(page.get_by_role("main")).to_contain_text("Refused while disabled")
    # An OAuth key never authenticates with Basic, enabled or not.
    assert _lrs_status(app, (made.id, made.secret)) == 401


# ------------------------------------------------------------------------------------------ the viewer


def _viewer(live_server, page, app: App, **fields):
    page.goto(f"{live_server.service_url}/console/lrs/statements?app={app.app_id}")
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Show statements").click()


def test_viewer_filter_and_export_are_the_lrs_answer(live_server, page):
    realm = _new_realm(live_server)
    [app] = realm.apps
    auth = _credential(app)
    registration = str(uuid.uuid4())
    for batch in (
        [_statement(ALICE, "completed"), _statement(BOB, "completed"), _statement(ALICE, "attempted")],
        [_statement(ALICE, "completed", "https://example.com/activities/survey",
                    context={"registration": registration}, result={"success": True, "score": {"scaled": 0.8}})],
        [_statement(CAROL, "completed"), _statement(CAROL, "attempted"), _statement(ALICE, "completed")],
    ):
        _post(app, auth, batch)
        time.sleep(0.01)  # distinct `stored` times between batches
    sign_in(page, live_server, _admin(live_server, realm))

    _viewer(live_server, page, app, **{"E-mail (mbox)": "alice@example.com",
                                       "Verb (IRI)": VERBS + "completed"})
    expected = _lrs_get(app, auth, verb=VERBS + "completed", agent=json.dumps({"mbox": "mailto:alice@example.com"}))
    assert len(expected) == 3
    expect(page.locator("ol.statements > li")).to_have_count(3)
    assert _shown_ids(page) == [s["id"] for s in expected]
    newest = page.locator("ol.statements > li").first
    expect(newest).to_contain_text("Alice Example (alice@example.com)")
    expect(page.locator("ol.statements > li").nth(1)).to_contain_text("passed, score 80%")
    expect(page.locator("ol.statements > li").nth(1)).to_contain_text(registration)
    newest.locator("summary").click()
    panel = newest.locator("pre.statement-json")
    expect(panel).to_be_visible()
    assert json.loads(panel.inner_text()) == expected[0]
    check_page(page, "lrs-viewer")

    # The export of the same filters: one JSON array, equal to the LRS's answer, in its order.
    with page.expect_download() as info:
        page.get_by_role("link", name="Export these statements as JSON").click()
    download = info.value
    assert download.suggested_filename == f"statements-{app.app_id}.json"
    assert json.loads(Path(download.path()).read_text(encoding="utf-8")) == expected

    # An account, with related agents, and a registration: the same statements the LRS gives.
    _viewer(live_server, page, app, **{"Account home page": "https://lms.example.com", "Account name": "carol-7"})
    carol = _lrs_get(app, auth, agent=json.dumps({"account": CAROL["account"]}))
    assert [s["id"] for s in carol] == _shown_ids(page) and len(carol) == 2
    _viewer(live_server, page, app, **{"Registration (UUID)": registration})
    assert _shown_ids(page) == [s["id"] for s in _lrs_get(app, auth, registration=registration)]
    assert len(_shown_ids(page)) == 1
    # Stored after the first batch and with the verb: the LRS's since and verb.
    since = expected[-1]["stored"]
    page.goto(f"{live_server.service_url}/console/lrs/statements?app={app.app_id}&since={since}"
              f"&verb={VERBS}attempted")
    assert _shown_ids(page) == [s["id"] for s in _lrs_get(app, auth, since=since, verb=VERBS + "attempted")]
    assert len(_shown_ids(page)) == 1

    # A bad filter: the field's message, the form kept filled in, no statement shown.
    _viewer(live_server, page, app, **{"Registration (UUID)": "not-a-uuid", "Verb (IRI)": VERBS + "passed"})
    expect(page.get_by_role("alert")).to_contain_text("The registration must be a UUID.")
    expect(page.get_by_label("Registration (UUID)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Verb (IRI)")).to_have_value(VERBS + "passed")
    expect(page.locator("ol.statements")).to_have_count(0)
    check_page(page, "lrs-viewer-error")


def test_viewer_pages_with_more_and_marks_voided_statements(live_server, page):
    realm = _new_realm(live_server)
    [app] = realm.apps
    auth = _credential(app)
    ids = _post(app, auth, [_statement(BOB, "experienced", f"https://example.com/page/{n}") for n in range(26)])
    voided_id = ids[3]
    voiding = {"id": str(uuid.uuid4()), "actor": BOB, "verb": {"id": VERBS + "voided", "display": {"en-US": "voided"}},
               "object": {"objectType": "StatementRef", "id": voided_id}}
    _post(app, auth, [voiding])
    lrs_ids = [s["id"] for s in _lrs_get(app, auth)]
    assert voided_id not in lrs_ids and len(lrs_ids) == 26

    sign_in(page, live_server, _admin(live_server, realm))
    page.goto(f"{live_server.service_url}/console/lrs/statements?app={app.app_id}")
    first_page = _shown_ids(page)
    assert len(first_page) == 20
    voiding_card = page.locator("ol.statements > li").first
    expect(voiding_card).to_contain_text(f"voided statement {voided_id}")
    expect(voiding_card.locator(".badge")).to_have_text("Voiding")
    page.get_by_role("link", name="Next page").click()
    second_page = _shown_ids(page)
    assert first_page + second_page == lrs_ids  # the LRS's order, through its own more cursor
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    expect(page.get_by_role("link", name="First page")).to_be_visible()
    check_page(page, "lrs-viewer-page-2")

    # Voided statements are left out like the LRS does (the voiding statement stays, by the
    # StatementRef rule), or shown marked when asked for.
    page.goto(f"{live_server.service_url}/console/lrs/statements?app={app.app_id}"
              f"&activity=https://example.com/page/3")
    assert _shown_ids(page) == [s["id"] for s in _lrs_get(app, auth, activity="https://example.com/page/3")]
    assert _shown_ids(page) == [voiding["id"]]
    expect(page.locator("ol.statements .badge")).to_have_text(["Voiding"])
    page.get_by_label(re.compile("Include voided statements")).check()
    page.get_by_role("button", name="Show statements").click()
    expect(page.locator("ol.statements > li")).to_have_count(2)
    assert _shown_ids(page) == [voiding["id"], voided_id]
    voided = page.locator("ol.statements > li").nth(1)
    expect(voided.locator(".badge")).to_have_text("Voided")
    expect(voided).to_have_class(re.compile("is-voided"))
    expect(page.locator("ol.statements > li").first.locator(".badge")).to_have_text("Voiding")
    check_page(page, "lrs-viewer-voided")


def test_export_streams_every_page_of_a_large_result(live_server):
    realm = _new_realm(live_server)
    [app] = realm.apps
    auth = _credential(app)
    for start in range(0, 1010, 250):
        _post(app, auth, [_statement(ALICE if n % 2 else BOB, "experienced", f"https://example.com/p/{n}")
                          for n in range(start, min(start + 250, 1010))])
    admin = _admin(live_server, realm)
    expected = _lrs_get(app, auth, agent=json.dumps({"mbox": "mailto:alice@example.com"}))
    everything = _lrs_get(app, auth)
    assert len(expected) == 505 and len(everything) == 1010
    with http_session(live_server, admin) as client:
        with client.stream("GET", "/console/lrs/statements.json",
                           params={"app": app.app_id, "agent_email": "alice@example.com"}) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-disposition"] == f'attachment; filename="statements-{app.app_id}.json"'
            assert "content-length" not in answer.headers  # streamed, not built in memory first
            chunks = list(answer.iter_bytes())
        assert json.loads(b"".join(chunks)) == expected
        unfiltered = client.get("/console/lrs/statements.json", params={"app": app.app_id})
        assert [s["id"] for s in unfiltered.json()] == [s["id"] for s in everything]
        refused = client.get("/console/lrs/statements.json", params={"app": app.app_id, "verb": "not an iri"})
        assert refused.status_code == 400 and "The verb must be an IRI" in refused.text


# ------------------------------------------------------------------------------------- statement pipes


def _pipe_form(page, *, source: tuple[str, str, str] | None = None, target: tuple[str, str, str] | None = None):
    for side, values in (("Source", source), ("Target", target)):
        if values is None:
            continue
        url, user, password = values
        page.get_by_label(f"{side} URL").fill(url)
        page.get_by_label(f"{side} user name (key)").fill(user)
        page.get_by_label(re.compile(f"{side} password")).fill(password)


def _wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def test_statement_pipes_created_forwarding_edited_and_deleted(live_server, page):
    realm = _new_realm(live_server, apps_count=2)
    first, second = realm.apps
    source_auth = _credential(first, "ROOT", "Pipe reader")
    target_auth = _credential(second, "DEFAULT", "Pipe writer")
    sign_in(page, live_server, _admin(live_server, realm))
    page.goto(f"{live_server.service_url}/console/lrs/pipes")
    expect(page.get_by_role("heading", name="Statement forwarding", level=1)).to_be_visible()
    expect(page.get_by_label("Source URL")).to_have_value(first.lrs)  # the application's own LRS, to start with

    # A target that is not an http(s) URL is refused as the API refuses it; nothing created.
    _pipe_form(page, source=(first.lrs, *source_auth), target=("ftp://lrs.example.com/xapi/", "u", "p"))
    page.get_by_role("button", name="Create statement pipe").click()
    expect(page.get_by_role("alert")).to_contain_text("The target URL is refused")
    expect(page.get_by_label("Target URL")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Target URL")).to_have_value("ftp://lrs.example.com/xapi/")
    check_page(page, "lrs-pipes-error")
    assert first.xapi.get_statement_pipes().xapi_statement_pipes == []

    posted = _post(first, source_auth, [_statement(ALICE, "completed"), _statement(BOB, "attempted"),
                                        _statement(CAROL, "passed")])
    _pipe_form(page, source=(first.lrs, *source_auth), target=(second.lrs, *target_auth))
    page.get_by_role("button", name="Create statement pipe").click()
    expect(page.get_by_role("status")).to_contain_text("The statement pipe was created")
    [pipe] = first.xapi.get_statement_pipes().xapi_statement_pipes
    assert (pipe.source.url, pipe.source.user_name, pipe.target.url, pipe.target.user_name) == (
        first.lrs, source_auth[0], second.lrs, target_auth[0])

    # It forwards: the target LRS gets the statements, the page counts them.
    assert _wait_for(lambda: set(posted) <= {s["id"] for s in _lrs_get(second, target_auth)})

    def forwarded() -> bool:
        page.reload()
        return page.locator(".pipe-forwarded").inner_text() == "3"
    assert _wait_for(forwarded)
    card = page.locator("li.pipe")
    expect(card).to_contain_text(first.lrs)
    expect(card).to_contain_text("password set")
    for secret in (source_auth[1], target_auth[1]):
        expect(page.get_by_role("main")).not_to_contain_text(secret)  # passwords never shown back
    check_page(page, "lrs-pipes")

    # Edited with a wrong target user name (the password field left blank keeps the password): the
    # pipe starts over, the target refuses it, and the page says so.
    card.get_by_role("link", name=re.compile("Edit")).click()
    expect(page.get_by_label("Target user name (key)")).to_have_value(target_auth[0])
    expect(page.get_by_label(re.compile("Target password"))).to_have_value("")
    check_page(page, "lrs-pipe-edit")
    page.get_by_label("Target user name (key)").fill("nobody")
    page.get_by_role("button", name="Save statement pipe").click()
    page.wait_for_load_state()
    if page.get_by_role("alert").count():  # 409: a pass was running; the form is kept, try again
        expect(page.get_by_role("alert")).to_contain_text("forwarding statements right now")
        page.get_by_role("button", name="Save statement pipe").click()
    expect(page.get_by_role("status")).to_contain_text("was saved")
    saved = first.xapi.get_statement_pipe(pipe.id)
    assert (saved.target.user_name, saved.target.password, saved.source.password) == (
        "nobody", target_auth[1], source_auth[1])

    def failing() -> bool:
        page.reload()
        return "Failing" in page.locator(".pipe-status").inner_text()
    assert _wait_for(failing)
    expect(page.locator(".pipe-error")).to_contain_text("401")
    check_page(page, "lrs-pipes-failing")

    # Deleted after a confirmation page.
    page.locator("li.pipe").get_by_role("link", name=re.compile("Delete")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete statement pipe {pipe.id}?")
    check_page(page, "lrs-pipe-delete")
    page.get_by_role("button", name="Delete statement pipe").click()
    expect(page.get_by_role("status")).to_have_text("The statement pipe was deleted; forwarding has stopped.")
    assert first.xapi.get_statement_pipes().xapi_statement_pipes == []


# ------------------------------------------------------------------------------ who may use which page

# (method, path with {app} {cred} {pipe}, form, status for owners and administrators), in an order that
# leaves each step something to act on.
ROUTES = [
    ("GET", "/console/lrs?app={app}", {}, {200}),
    ("GET", "/console/lrs/providers", {}, {200}),
    ("POST", "/console/lrs/providers", {"name": "Matrix tool", "auth": "BASICAUTH", "level": "DEFAULT",
                                        "endpoint": "{app}", "enabled": "on"}, {303}),
    ("GET", "/console/lrs/providers/{app}/{cred}", {}, {200}),
    ("POST", "/console/lrs/providers/{app}/{cred}", {"name": "Matrix renamed", "auth": "BASICAUTH",
                                                     "level": "ROOT", "endpoint": "{app}", "enabled": "on"}, {303}),
    ("POST", "/console/lrs/providers/{app}/{cred}/reveal", {}, {200}),
    ("POST", "/console/lrs/providers/{app}/{cred}/enabled", {"enabled": "false"}, {303}),
    ("GET", "/console/lrs/providers/{app}/{cred}/delete", {}, {200}),
    ("POST", "/console/lrs/providers/{app}/{cred}/delete", {"confirm": "yes"}, {303}),
    ("GET", "/console/lrs/statements?app={app}", {}, {200}),
    ("GET", "/console/lrs/statements.json?app={app}", {}, {200}),
    ("GET", "/console/lrs/pipes", {}, {200}),
    ("POST", "/console/lrs/pipes", {"app": "{app}", "source_url": "http://127.0.0.1:9/lrs/",
                                    "target_url": "http://127.0.0.1:9/other/"}, {303}),
    ("GET", "/console/lrs/pipes/{app}/{pipe}", {}, {200}),
    # 409 is the API's answer too while a forwarding pass of the pipe happens to run.
    ("POST", "/console/lrs/pipes/{app}/{pipe}", {"source_url": "http://127.0.0.1:9/lrs/",
                                                 "target_url": "http://127.0.0.1:9/changed/"}, {303, 409}),
    ("GET", "/console/lrs/pipes/{app}/{pipe}/delete", {}, {200}),
    ("POST", "/console/lrs/pipes/{app}/{pipe}/delete", {"confirm": "yes"}, {303}),
]
ALLOWED = {"owner", "administrator"}


def _state(app: App) -> tuple:
    creds = sorted((c.name, c.is_enabled, c.permissions_level.xapi_credential_permissions_level)
                   for c in app.xapi.get_xapi_credentials().xapi_credentials)
    pipes = sorted((p.id, p.target.url) for p in app.xapi.get_statement_pipes().xapi_statement_pipes)
    return creds, pipes


@pytest.mark.parametrize("role", ["owner", "administrator", "learner"])
def test_role_matrix_of_the_lrs_pages(live_server, role):
    """Owners and administrators may use every LRS page and action; a learner gets 403 for each, and
    nothing changes (checked through the XapiApi)."""
    realm = _new_realm(live_server)
    [app] = realm.apps
    cred, secret = _credential(app, "DEFAULT", "Matrix original")
    pipe = app.xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(
        source=cloud.XapiEndpointSchema(url="http://127.0.0.1:9/lrs/", user_name="a", password="b"),
        target=cloud.XapiEndpointSchema(url="http://127.0.0.1:9/target/", user_name="c", password="d"))).result
    before = _state(app)
    user = make_user(live_server, role, realm_id=realm.id)
    with http_session(live_server, user) as client:
        token = csrf_of(client)
        for method, template, form, statuses in ROUTES:
            path = template.format(app=app.app_id, cred=cred, pipe=pipe)
            data = {"csrf_token": token, **{k: v.format(app=app.app_id) for k, v in form.items()}}
            answer = client.request(method, path, data=data if method == "POST" else None)
            if role in ALLOWED:
                assert answer.status_code in statuses, (role, method, path, answer.text[:300])
            else:
                assert answer.status_code == 403, (role, method, path)
                assert "You do not have access to this page" in answer.text
                assert secret not in answer.text
    if role in ALLOWED:
        creds, pipes = _state(app)
        assert [c[0] for c in creds] == ["Matrix tool"] and pipes[0][1] == "http://127.0.0.1:9/other/"
        assert len(pipes) == 1 and pipes[0][0] != pipe  # the matrix's own pipe was created, the first deleted
    else:
        assert _state(app) == before


def test_a_delete_without_its_confirmation_only_asks_for_it(live_server):
    realm = _new_realm(live_server)
    [app] = realm.apps
    cred, _ = _credential(app)
    with http_session(live_server, _admin(live_server, realm)) as client:
        answer = client.post(f"/console/lrs/providers/{app.app_id}/{cred}/delete", data={"csrf_token": csrf_of(client)})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/lrs/providers/{app.app_id}/{cred}/delete"
    assert [c.id for c in app.xapi.get_xapi_credentials().xapi_credentials] == [cred]


@pytest.mark.parametrize(("method", "template"), sorted({(m, t) for m, t, _, _ in ROUTES}))
def test_every_lrs_route_needs_a_session(live_server, method, template):
    path = template.format(app=live_server.default_app.app_id, cred="anything", pipe="anything")
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/signin")


def test_another_realms_lrs_data_is_never_shown(live_server):
    mine, theirs = _new_realm(live_server), _new_realm(live_server)
    [app], [other] = mine.apps, theirs.apps
    cred, secret = _credential(other, "ROOT", "Their secret tool")
    [statement_id] = _post(other, (cred, secret), [_statement(ALICE, "completed", "https://example.com/theirs")])
    pipe = other.xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(
        source=cloud.XapiEndpointSchema(url=other.lrs, user_name=cred, password=secret),
        target=cloud.XapiEndpointSchema(url="http://127.0.0.1:9/their-target/"))).result
    before = _state(other)
    with http_session(live_server, _admin(live_server, mine)) as client:
        token = csrf_of(client)
        for method, template, form, _ in ROUTES:
            if "{app}" not in template:
                continue
            path = template.format(app=other.app_id, cred=cred, pipe=pipe)
            data = {"csrf_token": token, **{k: v.format(app=other.app_id) for k, v in form.items()}}
            answer = client.request(method, path, data=data if method == "POST" else None)
            assert answer.status_code == 404, (method, path, answer.status_code)
            for leaked in (secret, "Their secret tool", statement_id, "their-target"):
                assert leaked not in answer.text, (method, path, leaked)
        # My own pages list none of theirs.
        for path in ("/console/lrs/providers", "/console/lrs/pipes", f"/console/lrs?app={app.app_id}",
                     f"/console/lrs/statements?app={app.app_id}", f"/console/lrs/statements.json?app={app.app_id}"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            for leaked in (other.app_id, cred, "Their secret tool", statement_id, "their-target"):
                assert leaked not in answer.text, (path, leaked)
    assert _state(other) == before
    # And my application's LRS refuses their activity provider.
    assert _lrs_status(app, (cred, secret)) == 401
