"""Who may open which console page: a role x route matrix over real HTTP, and the 403 page a learner
sees in Chromium (checked with axe-core)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect

from coursehost.db.session import unit_of_work
from coursehost.domain.accounts import users
from coursehost.domain.applications import service as apps
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in

ROLES = ["owner", "administrator", "learner"]
# (method, path) -> the roles that may use it; every other role gets 403 and nothing is done.
ROUTES = {
    ("GET", "/console/"): {"owner", "administrator", "learner"},
    ("GET", "/console/users"): {"owner", "administrator"},
    ("POST", "/console/signout"): {"owner", "administrator", "learner"},
    ("POST", "/console/signout-everywhere"): {"owner", "administrator", "learner"},
    ("GET", "/console/account"): {"owner"},
    ("GET", "/console/account/usage"): {"owner"},
    ("GET", "/console/account/usage.csv"): {"owner"},
    # Without the confirmation form's "confirm" field the POST only redirects to the confirmation step.
    ("POST", "/console/account/registrations/clear"): {"owner"},
    ("GET", "/console/realms"): {"owner", "administrator", "learner"},
    ("POST", "/console/realms"): {"owner"},
    ("POST", "/console/realms/{realm}/rename"): {"owner"},
    ("POST", "/console/realms/switch"): {"owner", "administrator", "learner"},
    ("POST", "/console/users"): {"owner", "administrator"},
    ("POST", "/console/users/{member}/role"): {"owner", "administrator"},
    ("GET", "/console/users/{member}/remove"): {"owner", "administrator"},
    ("POST", "/console/users/{member}/remove"): {"owner", "administrator"},
}
# The form each POST sends ({realm}: the user's realm; {realm_name}: its name; {email}: a new address).
FORMS = {
    "/console/realms": {"name": "Matrix realm"},
    "/console/realms/{realm}/rename": {"name": "{realm_name}"},
    "/console/realms/switch": {"realm_id": "{realm}"},
    "/console/users": {"email": "{email}", "role": "learner"},
    "/console/users/{member}/role": {"role": "administrator"},
    "/console/users/{member}/remove": {"confirm": "yes"},
}


def _membership_count(live_server, realm_id: int) -> int:
    with unit_of_work(live_server.services.session_factory) as session:
        return len(users.realm_members(session, realm_id=realm_id))

# The Apps/API pages (console/apps.py), in an order that leaves each one something to act on:
# (method, path with {app} and {cred}, form data, status for owners and administrators).
APP_ROUTES = [
    ("GET", "/console/apps", {}, 200),
    ("POST", "/console/apps", {"name": "Matrix app"}, 303),
    ("GET", "/console/apps/{app}", {}, 200),
    ("POST", "/console/apps/{app}/rename", {"name": "Matrix renamed"}, 303),
    ("POST", "/console/apps/{app}/credentials", {"name": "Matrix credential"}, 303),
    ("POST", "/console/apps/{app}/credentials/{cred}/reveal", {}, 200),
    ("POST", "/console/apps/{app}/credentials/{cred}/rename", {"name": "Matrix renamed"}, 303),
    ("POST", "/console/apps/{app}/credentials/{cred}/enabled", {"enabled": "false"}, 303),
    ("GET", "/console/apps/{app}/credentials/{cred}/delete", {}, 200),
    ("POST", "/console/apps/{app}/credentials/{cred}/delete", {}, 303),
    ("POST", "/console/apps/{app}/allow-delete", {"allow": "true"}, 303),
    ("GET", "/console/apps/{app}/delete", {}, 200),
    ("POST", "/console/apps/{app}/delete", {}, 303),
]
APP_ROLES = {"owner", "administrator"}


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_of_the_apps_pages(live_server, role):
    """Owners and administrators may do everything on the Apps/API pages; a learner gets 403 for
    each page and action, and nothing changes (checked through the official client)."""
    mgmt = cloud.ApplicationManagementApi(live_server.client(live_server.management_app))
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=f"Matrix {role}"))
    cred = mgmt.create_credential(app.id, cloud.CredentialRequestSchema(name="second", active=True))
    before = len(mgmt.get_application_list().applications)
    user = make_user(live_server, role)
    with http_session(live_server, user) as client:
        token = csrf_of(client)
        for method, template, data, status in APP_ROUTES:
            path = template.format(app=app.id, cred=cred.id)
            answer = client.request(method, path, data={"csrf_token": token, **data} if method == "POST" else None)
            if role in APP_ROLES:
                assert answer.status_code == status, (role, method, path, answer.text[:300])
            else:
                assert answer.status_code == 403, (role, method, path)
                assert "You do not have access to this page" in answer.text
                assert cred.credential not in answer.text
    if role in APP_ROLES:
        assert app.id not in [a.id for a in mgmt.get_application_list().applications]
        assert len(mgmt.get_application_list().applications) == before  # one created, one deleted
    else:
        info = mgmt.get_application_info(app.id)
        assert (info.name, info.allow_delete) == (f"Matrix {role}", False)
        assert [(c.name, c.status) for c in mgmt.get_credentials(app.id).credentials] == [
            ("Default", "Enabled"), ("second", "Enabled")]
        assert len(mgmt.get_application_list().applications) == before


@pytest.mark.parametrize(("method", "template"), sorted({(m, t) for m, t, _, _ in APP_ROUTES}))
def test_every_apps_route_needs_a_session(live_server, method, template):
    path = template.format(app=live_server.default_app.app_id, cred="anything")
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/signin")


@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(live_server, role):
    with unit_of_work(live_server.services.session_factory) as session:
        realm = apps.create_realm(session, box=live_server.services.box, name=f"Matrix {uuid.uuid4().hex[:6]}")[0]
        realm_id, realm_name = realm.id, realm.name
    user = make_user(live_server, role, realm_id=realm_id)
    for (method, template), allowed in ROUTES.items():
        member = make_user(live_server, "learner", password=None, realm_id=realm_id)  # one to change or remove
        with unit_of_work(live_server.services.session_factory) as session:
            member_id = users.find_user(session, member.email).id
        values = {"realm": str(realm_id), "realm_name": realm_name, "member": str(member_id),
                  "email": f"new-{uuid.uuid4().hex[:8]}@example.com"}
        path = template.format(**values)
        form = {k: v.format(**values) for k, v in FORMS.get(template, {}).items()}
        before = _membership_count(live_server, realm_id)
        with http_session(live_server, user) as client:  # a fresh session: sign-outs end theirs
            answer = client.request(method, path, headers={"X-CSRF-Token": csrf_of(client)}, data=form or None)
            if role in allowed:
                assert answer.status_code == (200 if method == "GET" else 303), (role, method, path, answer.text)
            else:
                assert answer.status_code == 403, (role, method, path)
                assert "You do not have access to this page" in answer.text
                assert client.get("/console/").status_code == 200  # still signed in, nothing done
                assert _membership_count(live_server, realm_id) == before


@pytest.mark.parametrize(("method", "template"), sorted(ROUTES))
def test_every_route_needs_a_session(live_server, method, template):
    path = template.format(realm=1, member=1)
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, path, follow_redirects=False)
    assert answer.status_code == 303  # to the sign-in page; a POST does nothing
    assert answer.headers["location"].startswith("/console/signin")


def test_learner_sees_no_administrator_page(live_server, context):
    learner = make_user(live_server, "learner", name="Lee Learner")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, learner)
    expect(page.locator(".facts")).to_contain_text("Learner")
    expect(page.get_by_role("navigation", name="Console").get_by_role("link", name="Users")).to_have_count(0)
    response = page.goto(f"{live_server.service_url}/console/users")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"your role in {learner.realm_name} is Learner")
    check_page(page, "forbidden")


def test_administrator_sees_the_realms_users(live_server, context):
    admin = make_user(live_server, "administrator", name="Ada Admin")
    learner = make_user(live_server, "learner")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, admin)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name=re.compile("Users of"))).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile(re.escape(admin.email)))).to_contain_text("Administrator")
    expect(table.get_by_role("row", name=re.compile(re.escape(learner.email)))).to_contain_text("Learner")
    check_page(page, "users")


def test_users_of_another_realm_are_not_listed(live_server):
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        other_realm = users.find_realm(session, "Other realm").id
    outsider = make_user(live_server, "owner", realm_id=other_realm)
    admin = make_user(live_server, "administrator")
    with http_session(live_server, admin) as client:
        listing = client.get("/console/users").text
    assert admin.email in listing and outsider.email not in listing
    with http_session(live_server, outsider) as client:
        home = client.get("/console/").text
    assert "Other realm" in home and admin.email not in home
