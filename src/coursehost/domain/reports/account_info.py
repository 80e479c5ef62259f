"""The realm's account information for ReportingApi GetAccountInfo (ReportageAccountInfoSchema):
who holds the account, its registration limit, and this month's and all-time usage. The same numbers
the console's Account tab shows (limits.get_limits), read in a handful of indexed counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coursehost.db.models.accounts import ConsoleUser, RealmMembership
from coursehost.db.models.courses import Course
from coursehost.db.models.registrations import Registration
from coursehost.db.models.tenancy import Application, Realm
from coursehost.domain import limits
from coursehost.domain.accounts.users import Role


@dataclass(frozen=True)
class AccountUsage:
    month_start: datetime  # the first instant of the current UTC month
    reg_count: int  # registrations created since month_start (sandbox previews never count)
    total_registrations: int  # registrations the realm holds now
    total_courses: int


@dataclass(frozen=True)
class AccountInfo:
    email: str  # the realm's first owner ("" when the realm has no console owner yet)
    first_name: str
    last_name: str
    company: str  # the realm's name
    account_type: str  # "limited" when the operator set a registration limit, else "unlimited"
    reg_limit: int  # 0: no limit
    strict_limit: bool  # registrations past the limit are refused (always so when there is a limit)
    create_date: datetime
    usage: AccountUsage


def _owner(session: Session, realm_id: int) -> tuple[str, str]:
    row = session.execute(
        select(ConsoleUser.email, ConsoleUser.name).join(RealmMembership, RealmMembership.user_id == ConsoleUser.id)
        .where(RealmMembership.realm_id == realm_id, RealmMembership.role == Role.OWNER.value)
        .order_by(RealmMembership.created, RealmMembership.id).limit(1)).first()
    return (row.email, row.name or "") if row else ("", "")


def _usage(session: Session, realm_id: int, now: datetime) -> AccountUsage:
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    apps = select(Application.pk).where(Application.realm_id == realm_id).scalar_subquery()
    regs = select(func.count()).select_from(Registration).where(
        Registration.application_pk.in_(apps), Registration.sandbox.is_(False))
    return AccountUsage(
        month_start=month_start,
        reg_count=int(session.scalar(regs.where(Registration.created >= month_start)) or 0),
        total_registrations=int(session.scalar(regs) or 0),
        total_courses=int(session.scalar(select(func.count()).select_from(Course)
                                         .where(Course.application_pk.in_(apps))) or 0))


def account_info(session: Session, *, realm_id: int, now: datetime | None = None) -> AccountInfo:
    """REALM_ID's account information, limits and usage (NotFound for an unknown realm)."""
    shown = limits.get_limits(session, realm_id=realm_id)
    realm = session.get(Realm, realm_id)
    email, name = _owner(session, realm_id)
    first, _, last = name.strip().partition(" ")
    limit = shown.registration_limit
    return AccountInfo(
        email=email, first_name=first, last_name=last.strip(), company=shown.realm_name,
        account_type="unlimited" if limit is None else "limited", reg_limit=limit or 0,
        strict_limit=limit is not None, create_date=realm.created if realm else datetime.now(UTC),
        usage=_usage(session, realm_id, now or datetime.now(UTC)))
