"""Private invitations: a course sent by e-mail to a list of addresses. CreatePrivateInvitation
checks everything and records the invitation with a sending job (outbox); the job works through the
addresses in batches, each batch in one transaction: per address the registration (learner id = the
address), the row that remembers it and the e-mail with the learner's own link. A worker that dies
mid-batch leaves nothing of that batch, and the next run skips the addresses already done, so each
address gets exactly one e-mail however often the job is retried."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models import mail as mail_model
from coursehost.db.models.invitations import Invitation, UserInvitation
from coursehost.db.models.mail import MailMessage
from coursehost.db.models.registrations import Registration
from coursehost.domain import outbox
from coursehost.domain.accounts.users import check_email
from coursehost.domain.courses import catalog
from coursehost.domain.errors import DomainError, InvalidInput, NotFound
from coursehost.domain.invitations.public import TAG_KIND, InvitationRefused, aware, find_invitation, refusal_of
from coursehost.domain.mail.messages import MAX_SUBJECT, check_address, enqueue_template
from coursehost.domain.mail.templates import RenderedMail
from coursehost.domain.mail.templates import render as render_template
from coursehost.domain.registrations import core, lifecycle
from coursehost.domain.reports import summary as reports
from coursehost.domain.tags import add_tags, clean_tags

JOB_KIND = "invitation.private_send"
BATCH = 50
MAX_BODY = 20_000
MAX_ADDRESSES = 10_000
TEMPLATE = "private_invitation"
DUPLICATE_OPTIONS = ("FAIL", "INSTANCE_EXISTING", "SEND_EXISTING", "CREATE_NEW")
STARTED, COMPLETE, ERROR = "STARTED", "COMPLETE", "ERROR"


@dataclass
class NewPrivateInvitation:
    """CreatePrivateInvitation, parsed from the wire (postback password already encrypted)."""

    course_id: str
    creating_user_email: str
    subject: str | None
    body: str | None
    addresses: list[str]
    expiration_date: datetime | None = None
    postback: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    duplicate_option: str | None = None


def check_subject(subject: str | None) -> str | None:
    if subject is None:
        return None
    subject = subject.strip()
    if len(subject) > MAX_SUBJECT or any(ch in subject for ch in "\r\n\0"):
        raise InvalidInput(f"invitationEmail.subject must be one line of at most {MAX_SUBJECT} characters")
    return subject or None


def check_body(body: str | None) -> str | None:
    if body is not None and len(body) > MAX_BODY:
        raise InvalidInput(f"invitationEmail.body must be at most {MAX_BODY} characters")
    return body or None


def _addresses(values: list[str]) -> list[str]:
    if not values:
        raise InvalidInput("invitationEmail.addresses must name at least one e-mail address")
    if len(values) > MAX_ADDRESSES:
        raise InvalidInput(f"invitationEmail.addresses may hold at most {MAX_ADDRESSES} addresses per invitation")
    out: list[str] = []
    for value in values:
        try:
            address = check_address(check_email(value), field="address in invitationEmail.addresses").lower()
        except InvalidInput:
            raise InvalidInput(f"invitationEmail.addresses: [{value}] is not an e-mail address") from None
        if address not in out:
            out.append(address)
    return out


def create_private_invitation(session: Session, *, application_pk: int, new: NewPrivateInvitation) -> Invitation:
    """CreatePrivateInvitation: check everything, record the invitation and queue its sending job
    (nothing is created when anything is wrong)."""
    email = check_email(new.creating_user_email)
    subject, body = check_subject(new.subject), check_body(new.body)
    addresses = _addresses(new.addresses)
    option = (new.duplicate_option or "SEND_EXISTING").upper()  # the official client's default
    if option not in DUPLICATE_OPTIONS:
        raise InvalidInput(f"Invalid value for duplicateRegistrationOption: [{new.duplicate_option}]; "
                           f"allowed: {', '.join(DUPLICATE_OPTIONS)}")
    tags = clean_tags(new.tags)
    course = catalog.get_course(session, application_pk=application_pk, course_id=new.course_id)
    now = utcnow()
    inv = Invitation(invitation_id=str(uuid.uuid4()), application_pk=application_pk, course_pk=course.pk,
                     course_id=course.course_id, is_public=False, creating_user_email=email, allow_launch=True,
                     allow_new_registrations=True, registration_cap=0, expiration_date=aware(new.expiration_date),
                     postback=new.postback or {}, email_subject=subject, email_body=body, addresses=addresses,
                     duplicate_option=option, job_status=STARTED, job_processed=0, job_errors=[],
                     created=now, updated=now)
    session.add(inv)
    session.flush()
    if tags:
        add_tags(session, application_pk=application_pk, kind=TAG_KIND, key=inv.invitation_id, tags=tags)
    outbox.enqueue(session, kind=JOB_KIND, payload={"invitation_pk": inv.pk})
    return inv


@dataclass
class PrivateChanges:
    allow_launch: bool | None = None
    subject: str | None = None
    body: str | None = None
    expiration_date: datetime | None = None
    postback: dict | None = None


def update_private_invitation(session: Session, *, invitation: Invitation, changes: PrivateChanges) -> Invitation:
    """UpdatePrivateInvitation: the fields given (the e-mail text for messages not sent yet)."""
    c = changes
    if c.allow_launch is not None:
        invitation.allow_launch = c.allow_launch
    if c.subject is not None:
        invitation.email_subject = check_subject(c.subject)
    if c.body is not None:
        invitation.email_body = check_body(c.body)
    if c.expiration_date is not None:
        invitation.expiration_date = aware(c.expiration_date)
    if c.postback is not None:
        invitation.postback = c.postback
    invitation.updated = utcnow()
    session.flush()
    return invitation


def learner_link(base_url: str, invitation_id: str, token: str) -> str:
    """A private invitation's link for one learner (on the service origin)."""
    return f"{base_url.rstrip('/')}/invite/{invitation_id}/learner/{token}"


def launched_counts(session: Session, invitations: list[Invitation]) -> dict[int, int]:
    """{invitation pk: its registrations that were launched}."""
    if not invitations:
        return {}
    rows = session.execute(
        select(UserInvitation.invitation_pk, func.count()).join(Invitation, Invitation.pk == UserInvitation.invitation_pk)
        .join(Registration, (Registration.application_pk == Invitation.application_pk)
              & (Registration.registration_id == UserInvitation.registration_id))
        .where(UserInvitation.invitation_pk.in_([i.pk for i in invitations]), Registration.first_access.is_not(None))
        .group_by(UserInvitation.invitation_pk))
    return dict(rows.all())


def email_values(*, subject: str | None, body: str | None, course_title: str, link: str,
                 expires: datetime | None) -> dict:
    """The values of the private_invitation e-mail template for one learner."""
    return {"subject": subject or f"You are invited to {course_title}", "body": body or "",
            "course_title": course_title, "link": link,
            "expires": expires.strftime("%Y-%m-%d %H:%M UTC") if expires else None}


def preview_email(session: Session, *, application_pk: int, course_id: str, subject: str | None, body: str | None,
                  expiration_date: datetime | None, base_url: str) -> RenderedMail:
    """The e-mail a learner would receive (with a sample link), rendered by the template the job sends;
    InvalidInput for a subject or body CreatePrivateInvitation would refuse, NotFound for an unknown course."""
    subject, body = check_subject(subject), check_body(body)
    course = catalog.get_course(session, application_pk=application_pk, course_id=course_id)
    link = learner_link(base_url, "INVITATION-ID", "YOUR-OWN-LINK")
    return render_template(TEMPLATE, email_values(subject=subject, body=body, course_title=course.title,
                                                  link=link, expires=aware(expiration_date)))


# --- the sending job -------------------------------------------------------------------------------

def _registration_for(session: Session, inv: Invitation, address: str) -> Registration:
    option = inv.duplicate_option or "SEND_EXISTING"
    if option != "CREATE_NEW":
        existing = session.scalars(select(Registration).where(
            Registration.application_pk == inv.application_pk, Registration.course_id == inv.course_id,
            Registration.learner_id == address, Registration.sandbox.is_(False)).order_by(Registration.pk.desc())).first()
        if existing is not None:
            if option == "FAIL":
                raise InvalidInput("already has a registration on this course")
            if option == "INSTANCE_EXISTING":
                lifecycle.new_instance(session, registration=existing)
            return existing
    return lifecycle.enrol(session, application_pk=inv.application_pk, enrolment=lifecycle.Enrolment(
        registration_id=str(uuid.uuid4()), course_id=inv.course_id, postback=dict(inv.postback or {}),
        learner={"id": address, "email": address}))


def send_batch(session: Session, *, invitation_pk: int, base_url: str, course_title: str | None = None,
               batch: int = BATCH) -> bool:
    """One batch of a private invitation's addresses (registration, row, e-mail each), in SESSION's
    transaction; queues the next batch when addresses remain. True when the invitation is done."""
    inv = session.scalars(select(Invitation).where(Invitation.pk == invitation_pk).with_for_update()).first()
    if inv is None or inv.job_status != STARTED:
        return True
    done = set(session.scalars(select(UserInvitation.email).where(UserInvitation.invitation_pk == inv.pk)))
    failed = {e.split(":", 1)[0] for e in inv.job_errors or []}
    todo = [a for a in inv.addresses if a not in done and a not in failed][:batch]
    title = course_title or catalog.get_course(session, application_pk=inv.application_pk,
                                               course_id=inv.course_id).title
    errors = list(inv.job_errors or [])
    for address in todo:
        try:
            with session.begin_nested():
                reg = _registration_for(session, inv, address)
                reports.record_source(session, registration=reg, invitation_id=inv.invitation_id)
                token = secrets.token_urlsafe(32)
                mail = enqueue_template(session, to=address, template=TEMPLATE, values=email_values(
                    subject=inv.email_subject, body=inv.email_body, course_title=title,
                    link=learner_link(base_url, inv.invitation_id, token), expires=inv.expiration_date))
                session.add(UserInvitation(invitation_pk=inv.pk, email=address, registration_id=reg.registration_id,
                                           token=token, mail_message_pk=mail.pk))
        except DomainError as exc:
            errors.append(f"{address}: {exc}")
    inv.job_errors = errors
    inv.job_processed = len(done) + len(failed) + len(todo)
    finished = inv.job_processed >= len(inv.addresses)
    if finished:
        inv.job_status = COMPLETE
    else:
        outbox.enqueue(session, kind=JOB_KIND, payload={"invitation_pk": inv.pk})
    session.flush()
    return finished


# --- what became of each e-mail ----------------------------------------------------------------------

#: An address's e-mail: waiting in the outbox (first attempt, or a retry after a temporary failure),
#: accepted by the SMTP server (or written as an .eml file), given up on, or accepted and then bounced
#: (a delivery status notification came back: coursehost.domain.mail.bounces).
QUEUED, SENT, FAILED, BOUNCED = "queued", "sent", "failed", "bounced"
_STATES = {mail_model.PENDING: QUEUED, mail_model.SENT: SENT, mail_model.FAILED: FAILED,
           mail_model.BOUNCED: BOUNCED}


@dataclass(frozen=True)
class Delivery:
    """The state of the e-mail to one address; ERROR is the SMTP server's answer (for a queued message,
    the temporary failure it will be retried after), or a bounce's status and diagnostic code."""

    state: str
    error: str | None = None


def deliveries(session: Session, rows: list[UserInvitation]) -> dict[int, Delivery]:
    """{user_invitation pk: its e-mail's delivery} for the ROWS of a private invitation, in one query
    (a row whose message is gone is missing)."""
    pks = {r.mail_message_pk: r.pk for r in rows if r.mail_message_pk is not None}
    if not pks:
        return {}
    found = session.execute(select(MailMessage.pk, MailMessage.status, MailMessage.last_error)
                            .where(MailMessage.pk.in_(pks)))
    return {pks[pk]: Delivery(_STATES.get(status, QUEUED), error) for pk, status, error in found}


def failed_deliveries(session: Session, invitation: Invitation) -> list[str]:
    """"address: the server's answer" for each of INVITATION's e-mails that were given up on or bounced,
    in the order of its addresses (what GetPrivateInvitationJobStatus adds to the job's errors)."""
    rows = session.execute(select(UserInvitation.email, MailMessage.status, MailMessage.last_error)
                           .join(MailMessage, MailMessage.pk == UserInvitation.mail_message_pk)
                           .where(UserInvitation.invitation_pk == invitation.pk,
                                  MailMessage.status.in_((mail_model.FAILED, mail_model.BOUNCED)))).all()
    order = {a: i for i, a in enumerate(invitation.addresses or [])}
    return [f"{email}: e-mail bounced: {error}" if status == mail_model.BOUNCED
            else f"{email}: e-mail not delivered: {error or 'refused'}"
            for email, status, error in sorted(rows, key=lambda r: order.get(r[0], len(order)))]


def delivery_counts(session: Session, invitation: Invitation) -> dict[str, int]:
    """{queued | sent | failed | bounced: how many of INVITATION's e-mails} (the console's summary line)."""
    rows = session.execute(select(MailMessage.status, func.count())
                           .join(UserInvitation, MailMessage.pk == UserInvitation.mail_message_pk)
                           .where(UserInvitation.invitation_pk == invitation.pk).group_by(MailMessage.status))
    counts = {QUEUED: 0, SENT: 0, FAILED: 0, BOUNCED: 0}
    for status, n in rows:
        counts[_STATES.get(status, QUEUED)] += n
    return counts


# --- the learner's link ----------------------------------------------------------------------------

def open_learner_link(session: Session, *, invitation_id: str, token: str, now: datetime | None = None) -> Registration:
    """The registration behind a private invitation's learner link; InvitationRefused when expired or
    not launchable, NotFound for a link that is not one."""
    inv = find_invitation(session, invitation_id=invitation_id, public=False)
    row = None
    if inv is not None:
        row = session.scalars(select(UserInvitation).where(UserInvitation.invitation_pk == inv.pk,
                                                           UserInvitation.token == token)).first()
    if inv is None or row is None:
        raise NotFound("This invitation link is not valid. Check the link in your e-mail.")
    refusal = refusal_of(inv, now or utcnow(), new=False)
    if refusal:
        raise InvitationRefused(refusal)
    reg = core.find_registration(session, application_pk=inv.application_pk, registration_id=row.registration_id)
    if reg is None:
        raise InvitationRefused("The registration this invitation made no longer exists.")
    return reg
