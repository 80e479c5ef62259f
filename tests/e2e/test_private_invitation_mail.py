"""Private invitations end to end, through a real SMTP server (aiosmtpd) and Chromium.

Per-address delivery: the SMTP server refuses one recipient for good (550) and another for now (451);
the other addresses are sent, the refused one is reported Failed with the server's 550 answer by
GetPrivateInvitationJobStatus and on the console's invitation page, the 451 one waits for its retry
and is reported Failed when its last attempt is refused too.
The links: a private invitation to 3 addresses delivers 3 e-mails; each link, opened in a browser of
its own, launches that learner's own registration, the SCORM 1.2 course plays, and
GetRegistrationProgress shows each learner's result."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect
from sqlalchemy import select

from coursehost.db.migrate import upgrade
from coursehost.db.models.invitations import UserInvitation
from coursehost.db.models.jobs import Job
from coursehost.db.session import unit_of_work
from coursehost.domain.mail.messages import JOB_KIND, MAX_ATTEMPTS
from tests.browser import close_context
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, make_user, sign_in
from tests.contract.lms import Inbox, wait_until
from tests.databases import create_pg_database, drop_pg_database
from tests.e2e.support import import_course
from tests.servers import running_live_server, smtp_server

#: The SCO: reads who it is playing for, then passes with a score.
SCO = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize(""), id: api.LMSGetValue("cmi.core.student_id")};
  api.LMSSetValue("cmi.core.score.raw", "75");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.session_time", "00:01:00");
  r.finish = api.LMSFinish("");
  return r;
}"""


class RefusingInbox(Inbox):
    """Keeps every message, but refuses the recipients named in REFUSED ({address: SMTP answer})."""

    def __init__(self):
        super().__init__()
        self.refused: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        answer = self.refused.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(RefusingInbox()) as served:
        yield served


@pytest.fixture(scope="module")
def live_server(database_url, tmp_path_factory, inbox):
    """A service of its own, on a database of its own of this backend, mailing through INBOX."""
    folder = tmp_path_factory.mktemp("privmail")
    url = f"sqlite:///{folder / 'priv.db'}" if database_url.startswith("sqlite") else create_pg_database()
    upgrade(url)
    try:
        with running_live_server(url, folder / "data", smtp_url=f"smtp://127.0.0.1:{inbox[1]}") as server:
            yield server
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("privc"), scorm12_zip(
        "Fire drill", scos=[("sco1", "Lesson one", "one.html")]))


@pytest.fixture(scope="module")
def api(live_server) -> cloud.InvitationsApi:
    return cloud.InvitationsApi(live_server.client())


def _invite(api, course: str, addresses: list[str]) -> str:
    created = api.create_private_invitation(cloud.CreatePrivateInvitationSchema(
        course_id=course, creating_user_email="owner@example.org",
        invitation_email=cloud.InvitationEmailSchema(subject="Fire drill this week", addresses=addresses)))
    wait_until(lambda: api.get_private_invitation_job_status(created.id).status != "STARTED",
               what="the sending job")
    return created.id


def _link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"(http://\S+/invite/\S+/learner/[A-Za-z0-9_-]+)", text).group(1)


def _content_frame(page, name: str):
    deadline = time.time() + 15
    while time.time() < deadline:
        for frame in page.frames:
            if frame.url.endswith("/" + name):
                frame.wait_for_load_state()
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"{name} never loaded; frames: {[f.url for f in page.frames]}")


def test_a_refused_address_is_reported_failed_with_the_servers_answer(live_server, inbox, course, api, context):
    handler, _ = inbox
    tag = uuid.uuid4().hex[:6]
    ok1, gone, later, ok2 = (f"{n}-{tag}@example.org" for n in ("ann", "gone", "later", "bob"))
    handler.refused[gone] = f"550 5.1.1 <{gone}>: Recipient address rejected: User unknown"
    handler.refused[later] = f"451 4.7.1 <{later}>: Greylisted, try again later"
    invitation_id = _invite(api, course, [ok1, gone, later, ok2])

    wait_until(lambda: handler.to(ok1) and handler.to(ok2), what="the two accepted e-mails")
    assert handler.to(gone) == [] and handler.to(later) == []

    def reported():
        return api.get_private_invitation_job_status(invitation_id).errors
    (error,) = wait_until(reported, what="the refusal in the job's errors")
    assert error.startswith(f"{gone}: e-mail not delivered: ")
    assert "550 5.1.1" in error and "User unknown" in error
    status = api.get_private_invitation_job_status(invitation_id)
    assert (status.status, status.total, status.processed) == ("COMPLETE", 4, 4)  # all registered
    users = api.get_private_user_invitations(invitation_id).user_invitations
    assert {u.email for u in users} == {ok1, gone, later, ok2}

    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, make_user(live_server, "administrator"))
    page.goto(f"{live_server.service_url}/console/invitations/{live_server.default_app.app_id}/{invitation_id}")
    expect(page.get_by_role("status").first).to_contain_text("E-mails: 2 sent, 1 waiting, 1 failed.")
    rows = page.locator("table.invitation-people tbody tr")
    expect(rows).to_have_count(4)

    def delivery(address: str):
        return rows.filter(has_text=address).locator("td.delivery")
    expect(delivery(ok1)).to_have_text("Sent")
    expect(delivery(ok2)).to_have_text("Sent")
    expect(delivery(gone)).to_contain_text("Failed: recipient refused: 550 5.1.1")
    expect(delivery(gone)).to_contain_text("User unknown")
    expect(delivery(later)).to_contain_text("Waiting to retry (recipient refused for now: 451 4.7.1")
    check_page(page, "invitations-private-delivery")

    # hours later, the greylisting server still says 451 on the last attempt: given up, and reported
    _skip_to_last_attempt(live_server, later)
    wait_until(lambda: len(reported()) == 2, what="the given-up address in the job's errors")
    last = reported()[1]
    assert last.startswith(f"{later}: e-mail not delivered: gave up after {MAX_ATTEMPTS} attempts: ")
    assert "451 4.7.1" in last
    page.reload()
    expect(page.get_by_role("status").first).to_contain_text("E-mails: 2 sent, 0 waiting, 2 failed.")
    expect(delivery(later)).to_contain_text(f"Failed: gave up after {MAX_ATTEMPTS} attempts")
    assert handler.to(later) == []


def _skip_to_last_attempt(live_server, address: str) -> None:
    """Make the retry of ADDRESS's e-mail its last attempt, due now (the hours of backoff skipped)."""
    with unit_of_work(live_server.services.session_factory) as session:
        (message_pk,) = session.scalars(select(UserInvitation.mail_message_pk).where(UserInvitation.email == address))
        (job,) = [j for j in session.scalars(select(Job).where(Job.kind == JOB_KIND, Job.status == "queued"))
                  if j.payload.get("message_pk") == message_pk]
        job.attempts, job.run_after = MAX_ATTEMPTS - 1, datetime.now(UTC)


def test_each_emailed_link_launches_that_learners_own_registration(live_server, inbox, course, api, browser):
    handler, _ = inbox
    tag = uuid.uuid4().hex[:6]
    addresses = [f"{n}-{tag}@example.org" for n in ("cleo", "dan", "eve")]
    invitation_id = _invite(api, course, addresses)
    wait_until(lambda: all(handler.to(a) for a in addresses), what="three e-mails")
    links = {}
    for address in addresses:
        (mail,) = handler.to(address)
        assert mail["Subject"] == "Fire drill this week"
        links[address] = _link_in(mail)
    assert len(set(links.values())) == 3

    regs = cloud.RegistrationApi(live_server.client())
    users = {u.email: u for u in api.get_private_user_invitations(invitation_id).user_invitations}
    for address, link in links.items():
        learner = browser.new_context()  # nobody signed in: only the link
        try:
            page = learner.new_page()
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(link)
            page.wait_for_function("window.API && typeof window.API.LMSInitialize === 'function'")
            result = _content_frame(page, "one.html").evaluate(SCO)
            assert result == {"init": "true", "id": address, "finish": "true"}
        finally:
            close_context(learner)
        registration_id = users[address].registration_id

        def completed(registration_id=registration_id):
            got = regs.get_registration_progress(registration_id)
            return got if got.registration_completion == "COMPLETED" else None
        progress = wait_until(completed, what=f"{address}'s completion")
        assert (progress.learner.id, progress.registration_success, progress.score.scaled) == \
            (address, "PASSED", 75.0)
    assert len({u.registration_id for u in users.values()}) == 3
    assert all(u.is_started for u in api.get_private_user_invitations(invitation_id).user_invitations)
    for address in addresses:
        assert len(handler.to(address)) == 1
