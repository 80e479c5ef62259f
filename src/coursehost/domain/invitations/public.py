"""Public invitations: create, read, update, list; and the sign-up of the public page, which creates
(or resumes, by e-mail address) the learner's registration under a row lock on the invitation, so
that registrationCap holds however many people sign up at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.invitations import Invitation, UserInvitation
from coursehost.db.models.registrations import Registration
from coursehost.domain.accounts.users import check_email
from coursehost.domain.courses import catalog
from coursehost.domain.errors import DomainError, InvalidInput, NotFound
from coursehost.domain.limits import LimitExceeded
from coursehost.domain.paging import dated_list
from coursehost.domain.registrations import core, lifecycle
from coursehost.domain.reports import summary as reports
from coursehost.domain.tags import add_tags, clean_tags, keys_with_any_tag

TAG_KIND = "invitation"
MAX_NAME = 255
MAX_CAP = 1_000_000_000

INVITATION_LIST = dated_list(  # with SCORM Cloud's creation_date_* orders
    Invitation, creation_date=True,
    filter_by={"invitation_id": Invitation.invitation_id, "course_id": Invitation.course_id},
    default_filter_by="invitation_id",
)
USER_INVITATION_LIST = dated_list(
    UserInvitation, creation_date=True,
    filter_by={"email": UserInvitation.email, "registration_id": UserInvitation.registration_id},
    default_filter_by="email",
)


class InvitationRefused(DomainError):
    """The public page may not register or launch this person now (expired, closed, full); the
    message says why in words a learner understands."""

    status = 403


#: The refusal when the realm may create no more registrations (the owner sees the limit and the counts
#: in `coursehost realm limits`; a stranger on the public page is not told them).
REALM_FULL = ("This course cannot take more learners at the moment: its site has reached its limit of "
              "registrations. Ask the person who gave you this link.")


@dataclass
class NewInvitation:
    """CreatePublicInvitation, parsed from the wire (postback password already encrypted)."""

    course_id: str
    creating_user_email: str
    registration_cap: int | None = None
    expiration_date: datetime | None = None
    postback: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


@dataclass
class InvitationChanges:
    """UpdatePublicInvitation: only the fields given (None: unchanged)."""

    allow_launch: bool | None = None
    allow_new_registrations: bool | None = None
    expiration_date: datetime | None = None
    registration_cap: int | None = None
    postback: dict | None = None


def _cap(value: int | None) -> int:
    if value is None:
        return 0
    if value < 0 or value > MAX_CAP:
        raise InvalidInput(f"registrationCap must be between 0 (no cap) and {MAX_CAP}")
    return value


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def create_public_invitation(session: Session, *, application_pk: int, new: NewInvitation) -> Invitation:
    """CreatePublicInvitation: an open link to the course's latest version (NotFound for an unknown course)."""
    email = check_email(new.creating_user_email)
    cap = _cap(new.registration_cap)
    tags = clean_tags(new.tags)
    course = catalog.get_course(session, application_pk=application_pk, course_id=new.course_id)
    now = utcnow()
    inv = Invitation(invitation_id=str(uuid.uuid4()), application_pk=application_pk, course_pk=course.pk,
                     course_id=course.course_id, is_public=True, creating_user_email=email, allow_launch=True,
                     allow_new_registrations=True, registration_cap=cap,
                     expiration_date=aware(new.expiration_date), postback=new.postback or {},
                     created=now, updated=now)
    session.add(inv)
    session.flush()
    if tags:
        add_tags(session, application_pk=application_pk, kind=TAG_KIND, key=inv.invitation_id, tags=tags)
    return inv


def invitation_url(base_url: str, invitation_id: str) -> str:
    """A public invitation's page (on the service origin)."""
    return f"{base_url.rstrip('/')}/invite/{invitation_id}"


def find_invitation(session: Session, *, invitation_id: str, application_pk: int | None = None,
                    public: bool | None = None, lock: bool = False) -> Invitation | None:
    stmt = select(Invitation).where(Invitation.invitation_id == invitation_id)
    if application_pk is not None:
        stmt = stmt.where(Invitation.application_pk == application_pk)
    if public is not None:
        stmt = stmt.where(Invitation.is_public == public)
    if lock:  # PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write transaction (BEGIN IMMEDIATE) serializes
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).first()


def get_invitation(session: Session, *, application_pk: int, invitation_id: str,
                   public: bool | None = None) -> Invitation:
    """The application's invitation, else NotFound."""
    inv = find_invitation(session, invitation_id=invitation_id, application_pk=application_pk, public=public)
    if inv is None:
        kind = {True: "Public invitation", False: "Private invitation"}.get(public, "Invitation")
        raise NotFound(f"{kind} [{invitation_id}] not found")
    return inv


def update_public_invitation(session: Session, *, invitation: Invitation, changes: InvitationChanges) -> Invitation:
    """UpdatePublicInvitation: the fields given, the others kept."""
    c = changes
    if c.allow_launch is not None:
        invitation.allow_launch = c.allow_launch
    if c.allow_new_registrations is not None:
        invitation.allow_new_registrations = c.allow_new_registrations
    if c.expiration_date is not None:
        invitation.expiration_date = aware(c.expiration_date)
    if c.registration_cap is not None:
        invitation.registration_cap = _cap(c.registration_cap)
    if c.postback is not None:
        invitation.postback = c.postback
    invitation.updated = utcnow()
    session.flush()
    return invitation


def invitation_list_query(application_pk: int, *, public: bool | None, course_id: str | None = None,
                          tags: list[str] | None = None) -> Select:
    """The application's invitations (public, private or both), narrowed to a course and any of TAGS."""
    stmt = select(Invitation).where(Invitation.application_pk == application_pk)
    if public is not None:
        stmt = stmt.where(Invitation.is_public == public)
    if course_id:
        stmt = stmt.where(Invitation.course_id == course_id)
    if tags:
        stmt = stmt.where(Invitation.invitation_id.in_(keys_with_any_tag(application_pk, TAG_KIND, tags)))
    return stmt


def registration_counts(session: Session, invitations: list[Invitation]) -> dict[int, int]:
    """{invitation pk: the people registered through it} in one query."""
    if not invitations:
        return {}
    rows = session.execute(select(UserInvitation.invitation_pk, func.count()).where(
        UserInvitation.invitation_pk.in_([i.pk for i in invitations])).group_by(UserInvitation.invitation_pk))
    return dict(rows.all())


def course_titles(session: Session, invitations: list[Invitation]) -> dict[int, str]:
    """{course pk: title} of the invitations' courses."""
    pks = {i.course_pk for i in invitations}
    if not pks:
        return {}
    return dict(session.execute(select(Course.pk, Course.title).where(Course.pk.in_(pks))).all())


def user_invitation_query(invitation: Invitation) -> Select:
    return select(UserInvitation).where(UserInvitation.invitation_pk == invitation.pk)


def registrations_of(session: Session, *, invitation: Invitation, rows: list[UserInvitation]) -> dict[str, Registration]:
    """{registration id: registration} of ROWS (a deleted registration is missing)."""
    ids = [r.registration_id for r in rows]
    if not ids:
        return {}
    regs = session.scalars(select(Registration).where(
        Registration.application_pk == invitation.application_pk, Registration.registration_id.in_(ids)))
    return {r.registration_id: r for r in regs}


# --- the public page -------------------------------------------------------------------------------

@dataclass
class InvitationPage:
    """What the public page shows about an invitation."""

    invitation_id: str
    course_title: str
    course_description: str
    refusal: str | None  # why nobody may start the course now, or None


def refusal_of(invitation: Invitation, now: datetime, *, new: bool) -> str | None:
    expires = invitation.expiration_date
    if expires is not None and aware(expires) <= now:
        return "This invitation has expired. Ask whoever sent you the link for a new one."
    if not invitation.allow_launch:
        return "This course cannot be started through this invitation at the moment."
    if new and not invitation.allow_new_registrations:
        return "This invitation is closed to new learners."
    return None


def public_page(session: Session, *, invitation_id: str, now: datetime | None = None) -> InvitationPage:
    """The course title and description behind a public invitation, and why it is closed if it is."""
    inv = find_invitation(session, invitation_id=invitation_id, public=True)
    if inv is None:
        raise NotFound("There is no invitation at this address. Check the link you were given.")
    version = session.scalars(select(CourseVersion).join(Course, Course.pk == CourseVersion.course_pk).where(
        Course.pk == inv.course_pk, CourseVersion.version == Course.latest_version)).first()
    meta = (version.course_metadata if version is not None else None) or {}
    title = version.title if version is not None else inv.course_id
    description = meta.get("description") if isinstance(meta.get("description"), str) else ""
    return InvitationPage(inv.invitation_id, title, description or "", refusal_of(inv, now or utcnow(), new=False))


@dataclass
class SignUp:
    first_name: str
    last_name: str
    email: str


def check_sign_up(first_name: str | None, last_name: str | None, email: str | None) -> tuple[SignUp, dict[str, str]]:
    """The form's fields, cleaned; and {field: message} for the ones that are wrong."""
    errors: dict[str, str] = {}
    first, last = (first_name or "").strip(), (last_name or "").strip()
    for name, value, label in (("first_name", first, "First name"), ("last_name", last, "Last name")):
        if not value:
            errors[name] = f"{label} is required"
        elif len(value) > MAX_NAME:
            errors[name] = f"{label} must be at most {MAX_NAME} characters"
    try:
        address = check_email(email)
    except InvalidInput as exc:
        errors["email"], address = str(exc), (email or "").strip()
    return SignUp(first, last, address), errors


def sign_up(session: Session, *, invitation_id: str, person: SignUp, now: datetime | None = None) -> Registration:
    """The public page's "Start course": PERSON's registration through the invitation, created
    (learner id = the e-mail address) or resumed by e-mail address. InvitationRefused when expired,
    not launchable, closed to new registrations or at its registrationCap: the count and the insert
    happen under a row lock on the invitation, so concurrent sign-ups never exceed the cap."""
    now = now or utcnow()
    inv = find_invitation(session, invitation_id=invitation_id, public=True, lock=True)
    if inv is None:
        raise NotFound("There is no invitation at this address. Check the link you were given.")
    refusal = refusal_of(inv, now, new=False)
    if refusal:
        raise InvitationRefused(refusal)
    email = person.email.lower()
    row = session.scalars(select(UserInvitation).where(UserInvitation.invitation_pk == inv.pk,
                                                       UserInvitation.email == email)).first()
    if row is not None:
        reg = core.find_registration(session, application_pk=inv.application_pk, registration_id=row.registration_id)
        if reg is not None:
            row.updated = now
            return reg
    else:
        refusal = refusal_of(inv, now, new=True)
        if refusal:
            raise InvitationRefused(refusal)
        taken = session.scalar(select(func.count()).select_from(UserInvitation).where(
            UserInvitation.invitation_pk == inv.pk))
        if inv.registration_cap and taken >= inv.registration_cap:
            raise InvitationRefused("This invitation has reached its limit of learners; no more can register.")
    try:
        reg = lifecycle.enrol(session, application_pk=inv.application_pk, enrolment=lifecycle.Enrolment(
            registration_id=str(uuid.uuid4()), course_id=inv.course_id, postback=dict(inv.postback or {}),
            learner={"id": email, "firstName": person.first_name, "lastName": person.last_name, "email": email}))
    except LimitExceeded:  # the realm's registration limit: a stranger is told so, not the realm's name or counts
        raise InvitationRefused(REALM_FULL) from None
    reports.record_source(session, registration=reg, invitation_id=inv.invitation_id)
    if row is None:
        session.add(UserInvitation(invitation_pk=inv.pk, email=email, registration_id=reg.registration_id,
                                   created=now, updated=now))
    else:  # the registration made before was deleted: the same person starts again
        row.registration_id, row.updated = reg.registration_id, now
    session.flush()
    return reg
