"""Migration 0018 (inv_delivery) links the e-mails of private invitations sent before it to their
addresses: a database whose invitation was sent, taken back to 0016 (the link column dropped) and
upgraded again, shows each address's delivery as before (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import rustici_software_cloud_v2 as cloud
from alembic import command
from sqlalchemy import select

from coursehost.db.migrate import alembic_config, upgrade
from coursehost.db.models.invitations import UserInvitation
from coursehost.db.models.mail import MailMessage
from coursehost.db.session import make_engine, make_sessionmaker
from tests.builders.scorm import scorm12_zip
from tests.databases import create_pg_database, drop_pg_database
from tests.e2e.support import import_course
from tests.servers import running_live_server


def _links(url: str) -> dict[str, tuple[str, str]]:
    """{address: (its message's recipient, status)} through user_invitation.mail_message_pk."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(select(UserInvitation.email, MailMessage.to_address, MailMessage.status)
                                   .join(MailMessage, MailMessage.pk == UserInvitation.mail_message_pk, isouter=True))
            return {email: (to, status) for email, to, status in rows}
    finally:
        engine.dispose()


def test_upgrade_links_the_messages_sent_before_it(database_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'mig.db'}" if database_url.startswith("sqlite") else create_pg_database()
    try:
        upgrade(url)
        addresses = ["una@example.org", "vic@example.org"]
        with running_live_server(url, tmp_path / "data") as server:  # no SMTP server: .eml files
            course = import_course(server, tmp_path, scorm12_zip("Old course", scos=[("sco1", "One", "one.html")]))
            api = cloud.InvitationsApi(server.client())
            api.create_private_invitation(cloud.CreatePrivateInvitationSchema(
                course_id=course, creating_user_email="owner@example.org",
                invitation_email=cloud.InvitationEmailSchema(addresses=addresses)))
            deadline = time.time() + 30
            while _links(url) != {a: (a, "sent") for a in addresses} and time.time() < deadline:
                time.sleep(0.2)
        assert _links(url) == {a: (a, "sent") for a in addresses}

        command.downgrade(alembic_config(url), "0017")
        upgrade(url)
        assert _links(url) == {a: (a, "sent") for a in addresses}
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)
