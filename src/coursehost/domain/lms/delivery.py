"""Delivering a registration's waiting results to its LMS, and the configuration's health.

The job reads what to send in a short read-only transaction, sends with no database lock held,
and records the outcome in a transaction of its own: results delivered, the configuration's
status (OK, CANT_CONNECT, SERVER_ERROR) with its last error and since when, an alert e-mail to the
contact when it goes from OK to an error (once per episode) and a recovery e-mail when it is OK
again. A success re-runs the configuration's other waiting deliveries at once; a failure raises
RetryJob with the retry schedule's delay (results.retry_delay)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course
from coursehost.db.models.lms import LmsConfiguration, LmsResult
from coursehost.db.models.registrations import Registration
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import InvalidInput
from coursehost.domain.lms.configurations import (
    DELIVERED,
    OK,
    PENDING,
    get_configuration,
    pending_count,
    rerun_waiting,
)
from coursehost.domain.lms.results import build_statement, learner_email, retry_delay
from coursehost.domain.lms.types import CANT_CONNECT, DeliveryFailed, lms_type
from coursehost.domain.mail.messages import enqueue_template
from coursehost.domain.outbox import RetryJob
from coursehost.outbound import AddressPolicy, OutboundClient, Timeouts

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
ALERT_TEMPLATE = "lms_alert"
RECOVERY_TEMPLATE = "lms_recovered"
STATUS_WORDS = {
    CANT_CONNECT: "Can't Connect: we cannot connect to the URL you provided",
    "SERVER_ERROR": "Server Error: we can connect to the LMS, but it isn't accepting the activity results",
}


@dataclass(frozen=True)
class Outbox:
    """What one delivery pass sends: the configuration's stored properties and the statements."""

    config_pk: int
    config_type: str
    properties: dict
    items: list[tuple[int, dict]]  # (result pk, statement), oldest first


def _load(session: Session, *, configuration_pk: int, registration_pk: int, home_page: str) -> Outbox | None:
    config = session.get(LmsConfiguration, configuration_pk)
    registration = session.get(Registration, registration_pk)
    if config is None or registration is None:
        return None
    email = learner_email(registration.learner_id)
    results = list(session.scalars(select(LmsResult).where(
        LmsResult.configuration_pk == configuration_pk, LmsResult.registration_pk == registration_pk,
        LmsResult.status == PENDING).order_by(LmsResult.seq)))
    if not results or email is None:
        return None
    course = session.get(Course, registration.course_pk)
    app = session.get(Application, registration.application_pk)
    items = [(r.pk, build_statement(r, registration=registration, email=email, app_id=app.app_id,
                                    course_title=course.title if course else "", home_page=home_page))
             for r in results]
    return Outbox(config.pk, config.type, dict(config.properties or {}), items)


def send_all(box: SecretBox, outbox: Outbox, client: OutboundClient) -> tuple[list[int], DeliveryFailed | None]:
    """Send OUTBOX's statements in order, stopping at the first failure: (delivered pks, failure)."""
    kind = lms_type(outbox.config_type)
    delivered: list[int] = []
    for pk, statement in outbox.items:
        try:
            kind.send_statement(outbox.properties, statement, box=box, client=client)
        except DeliveryFailed as exc:
            return delivered, exc
        delivered.append(pk)
    return delivered, None


def record_outcome(session: Session, *, configuration_pk: int, delivered: list[int],
                   failed_pk: int | None, failure: DeliveryFailed | None, now: datetime | None = None) -> int:
    """Store one pass's outcome and the health it shows; the failed result's failure count (0 if none)."""
    now = now or utcnow()
    config = session.scalars(select(LmsConfiguration).where(LmsConfiguration.pk == configuration_pk)
                             .with_for_update()).first()  # one health transition at a time (PostgreSQL)
    if config is None:
        return 0
    if delivered:
        session.execute(update(LmsResult).where(LmsResult.pk.in_(delivered), LmsResult.status == PENDING)
                        .values(status=DELIVERED, delivered=now, last_error=None))
    failures = 0
    if failure is not None:
        row = session.get(LmsResult, failed_pk)
        if row is not None:
            row.attempts = (row.attempts or 0) + 1
            row.last_error = str(failure)
            failures = row.attempts
        if config.status == OK:
            config.error_since = now
            _mail(session, config, ALERT_TEMPLATE, status=failure.status, error=str(failure))
        config.status, config.last_error = failure.status, str(failure)
    elif delivered:
        if config.status != OK:
            _mail(session, config, RECOVERY_TEMPLATE, status=OK, error=config.last_error or "")
            config.status, config.error_since, config.last_error = OK, None, None
        # The LMS takes results again: what waits for it goes now, not at its backed-off time.
        rerun_waiting(session, configuration_pk=config.pk, now=now)
    session.flush()
    return failures


def _mail(session: Session, config: LmsConfiguration, template: str, *, status: str, error: str) -> None:
    enqueue_template(session, to=config.contact_email, template=template, values={
        "name": config.name, "url": lms_type(config.type).public_properties(config.properties or {}).get("url"),
        "status": STATUS_WORDS.get(status, status), "error": error, "pending": pending_count(session, config.pk),
        "since": config.error_since.strftime("%Y-%m-%d %H:%M UTC") if config.error_since else "",
    })


def deliver_results(*, session_factory: sessionmaker[Session], read_session_factory: sessionmaker[Session],
                    box: SecretBox, configuration_pk: int, registration_pk: int, home_page: str,
                    allow_private_urls: bool = False, client: OutboundClient | None = None) -> dict:
    """Send the registration's waiting results to the configuration, oldest first; RetryJob when
    one fails (the ones after it wait behind it)."""
    with read_session_factory() as session:
        outbox = _load(session, configuration_pk=configuration_pk, registration_pk=registration_pk,
                       home_page=home_page)
    if outbox is None:
        return {"skipped": "nothing waits (delivered, deleted, or not sendable)"}
    own = client is None
    client = client or OutboundClient(
        timeouts=Timeouts(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT, pool=CONNECT_TIMEOUT),
        follow_redirects=False, policy=AddressPolicy(allow_private=allow_private_urls))
    try:
        delivered, failure = send_all(box, outbox, client)
    finally:
        if own:
            client.close()
    failed_pk = outbox.items[len(delivered)][0] if failure is not None else None
    with unit_of_work(session_factory) as session:
        failures = record_outcome(session, configuration_pk=configuration_pk, delivered=delivered,
                                  failed_pk=failed_pk, failure=failure)
    if failure is not None:
        raise RetryJob(str(failure), delay_seconds=retry_delay(failures))
    log.info("lms configuration pk %s: %s result(s) of registration pk %s delivered", configuration_pk,
             len(delivered), registration_pk)
    return {"delivered": len(delivered)}


def send_test_statement(session: Session, *, realm_id: int, config_id: str, box: SecretBox, home_page: str,
                        allow_private_urls: bool = False, client: OutboundClient | None = None) -> str:
    """Send one test statement (actor: the contact address) to the configuration now; its id, or
    InvalidInput saying in words why the LMS did not take it. The health is left as it is."""
    config = get_configuration(session, realm_id=realm_id, config_id=config_id)
    statement = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{config.contact_email}", "name": config.name},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"objectType": "Activity", "id": f"{home_page.rstrip('/')}/xapi/lms-configurations/test",
                   "definition": {"name": {"en-US": "Coursehost LMS configuration test"}}},
        "timestamp": utcnow().isoformat(),
    }
    own = client is None
    client = client or OutboundClient(
        timeouts=Timeouts(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT, pool=CONNECT_TIMEOUT),
        follow_redirects=False, policy=AddressPolicy(allow_private=allow_private_urls))
    try:
        lms_type(config.type).send_statement(dict(config.properties or {}), statement, box=box, client=client)
    except DeliveryFailed as exc:
        raise InvalidInput(f"{STATUS_WORDS.get(exc.status, exc.status)} ({exc})") from None
    finally:
        if own:
            client.close()
    return statement["id"]
