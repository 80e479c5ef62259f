"""An AU session abandoned by a timeout (cmi5 Quartz §9.3.6: "abandoned" is determined at the next
launch or when the session has been silent too long). Every cmi5 launch queues a check for when
its session would time out (the setting Cmi5SessionTimeout); the check finds the session's last
activity (its last stored statement, results.record) and either queues itself again for the new
deadline or ends the session as abandoned, as the next launch would (launch.end_session)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Launch, RegistrationInstance
from coursehost.domain import outbox
from coursehost.domain.cmi5 import journal
from coursehost.domain.cmi5.launch import OPTION, end_session
from coursehost.domain.registrations import core

SETTING = "Cmi5SessionTimeout"
JOB_KIND = "cmi5_session_timeout"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def timeout_of(session: Session, instance: RegistrationInstance) -> timedelta | None:
    """The effective Cmi5SessionTimeout of INSTANCE's registration; None when it is 0 (no timeout)."""
    value = core.effective_settings(session, registration=instance.registration, setting_ids=(SETTING,),
                                    instance=instance).get(SETTING) or "0"
    minutes = int(value) if value.isdigit() else 0
    return timedelta(minutes=minutes) if minutes > 0 else None


def schedule_check(session: Session, launch: Launch, *, at: datetime) -> None:
    """Queue the timeout check of LAUNCH's session at AT (in SESSION's transaction)."""
    outbox.enqueue(session, kind=JOB_KIND, payload={"launch_pk": launch.pk}, run_after=at, max_attempts=5)


def session_began(session: Session, launch: Launch, *, now: datetime) -> None:
    """A cmi5 session began at NOW: its timeout check is queued, unless the timeout is off."""
    timeout = timeout_of(session, session.get(RegistrationInstance, launch.instance_pk))
    if timeout is not None:
        schedule_check(session, launch, at=now + timeout)


def check_session(session: Session, *, launch_pk: int, now: datetime) -> str:
    """The timeout check of the session of launch LAUNCH_PK at NOW: "ended" when it had already
    ended (terminated, abandoned at a later launch, or by an earlier check; nothing is stated twice),
    "waiting" when it was active within the timeout (the check is queued again for its new deadline),
    "abandoned" when it was silent longer and has been ended now."""
    launch = session.scalars(select(Launch).where(Launch.pk == launch_pk).with_for_update()
                             .execution_options(populate_existing=True)).first()
    if launch is None or launch.exit_time is not None or not (launch.options or {}).get(OPTION):
        return "ended"
    timeout = timeout_of(session, session.get(RegistrationInstance, launch.instance_pk))
    if timeout is None:
        return "ended"  # the timeout was turned off since: the next launch abandons it
    last = _aware(launch.last_runtime_update or launch.launch_time)
    if now < last + timeout:
        schedule_check(session, launch, at=last + timeout)
        return "waiting"
    # The session's duration runs to its last statement, not to this check (cmi5 working group,
    # 23 Dec 2022: an abandoned session's time is measured to the last statement it made).
    end_session(session, launch, base_url=launch.options[OPTION]["actor"]["account"]["homePage"], now=last)
    journal.log(session, launch_id=launch.launch_id, entries=[journal.entry(
        "abandon", activity_id=launch.options[OPTION].get("au", ""), args=[],
        result=f"abandoned by the LMS after {int(timeout.total_seconds() // 60)} minutes without a statement")])
    return "abandoned"
