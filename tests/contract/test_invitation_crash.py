"""A private invitation survives `kill -9` mid-send (issue 18): a real `coursehost serve` sends a
private invitation to a few hundred addresses (no SMTP server: each e-mail is written as an .eml
file under DATA_DIR/mail), is killed with -9 while the sending job is part-way through, and started
again; the job finishes and every address gets exactly one e-mail and one registration."""

from __future__ import annotations

import email
import email.policy
import time
from collections import Counter

import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.player_http import import_one_sco
from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS

ADDRESSES = [f"learner{i:03d}@example.com" for i in range(300)]


def _status(client, invitation_id: str):
    return cloud.InvitationsApi(client).get_private_invitation_job_status(invitation_id)


def _mails(server) -> dict[str, list[str]]:
    """{address: the .eml files written to it (<time>-<message pk>.eml)}."""
    found: dict[str, list[str]] = {}
    for path in sorted((server.data_dir / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found.setdefault(str(message["To"]), []).append(path.name)
    return found


def _mail_count(server) -> Counter:
    return Counter({a: len(files) for a, files in _mails(server).items()})


@pytest.mark.parametrize("backend", BACKENDS)
def test_private_sending_killed_mid_send_mails_every_address_exactly_once(tmp_path, backend):
    url, cleanup = fresh_database(backend, tmp_path)
    # A short job lease: a batch that -9 cut off is taken up again within seconds of the restart.
    server = ServerProcess(url, tmp_path / "data", env={"COURSEHOST_JOB_LEASE_SECONDS": "3"})
    try:
        server.start()
        client = server.client()
        import_one_sco(client, tmp_path, "crash-course")
        created = cloud.InvitationsApi(client).create_private_invitation(cloud.CreatePrivateInvitationSchema(
            course_id="crash-course", creating_user_email="owner@example.org",
            invitation_email=cloud.InvitationEmailSchema(subject="Crash course", body="Welcome.",
                                                         addresses=ADDRESSES)))
        deadline = time.monotonic() + 60
        while (status := _status(client, created.id)).processed == 0:
            assert time.monotonic() < deadline, "the sending job never started"
            time.sleep(0.02)
        server.kill9()
        assert status.status == "STARTED" and 0 < status.processed < len(ADDRESSES), status
        server.start()
        client = server.client()
        deadline = time.monotonic() + 120
        while (status := _status(client, created.id)).status != "COMPLETE":
            assert time.monotonic() < deadline, f"the job never finished after the restart: {status}"
            time.sleep(0.2)
        assert (status.processed, status.errors) == (len(ADDRESSES), [])
        people = []
        api = cloud.InvitationsApi(client)
        more = None
        while True:
            page = api.get_private_user_invitations(created.id, more=more) if more else \
                api.get_private_user_invitations(created.id)
            people += page.user_invitations
            more = page.more
            if not more:
                break
        assert sorted(p.email for p in people) == ADDRESSES
        assert len({p.registration_id for p in people}) == len(ADDRESSES)
        deadline = time.monotonic() + 120
        while len(counts := _mail_count(server)) < len(ADDRESSES) or sum(counts.values()) < len(ADDRESSES):
            assert time.monotonic() < deadline, f"{len(counts)} of {len(ADDRESSES)} addresses got mail"
            time.sleep(0.3)
        time.sleep(2)  # nothing more arrives: no address gets a second e-mail later either
        mails = _mails(server)
        assert sorted(mails) == ADDRESSES
        assert {a: files for a, files in mails.items() if len(files) != 1} == {}
    finally:
        server.stop()
        cleanup()
