"""What every run-time call needs about a launch: its registration, instance, course version,
data-model family, the activity, its stored state and the effective Player* settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.registrations import core
from coursehost.domain.postbacks.config import SETTING_IDS as POSTBACK_SETTING_IDS
from coursehost.domain.runtime import rollup
from coursehost.domain.runtime.datamodel import SUSPEND_DATA_LIMITS, family, number

SETTING_IDS = (
    "PlayerResetRunTimeData", "PlayerLaunchCompletedRegsAsNoCredit", "PlayerSuspendDataMaxLength",
    "PlayerScoreOverridesStatus", "PlayerScaleRawScore", "PlayerAllowCompleteStatusChange",
    *rollup.SETTING_IDS,
    *POSTBACK_SETTING_IDS,  # read with the rest: a commit that moves the results may queue a postback
)
#: Key in Launch.options recording that the launch runs in no-credit mode (decided once, at launch).
NO_CREDIT_OPTION = "noCredit"
#: Key in RegistrationInstance.state: {"attemptStartSeconds": {activity id: total seconds when the
#: current attempt began}} so SCORM 2004 cmi.total_time covers the current attempt only (RTE 4.2.26).
RUNTIME_STATE_KEY = "runtime"


@dataclass
class LaunchContext:
    registration: Registration
    instance: RegistrationInstance
    version: CourseVersion
    fam: str  # "1.2" | "2004"

    @property
    def is_current(self) -> bool:
        """Whether the instance is the registration's current one (whose summary it mirrors)."""
        return self.instance.instance == self.registration.instance


def load_context(session: Session, launch: Launch) -> LaunchContext:
    """The registration side of LAUNCH, or NotFound / InvalidInput when it cannot run SCORM."""
    inst = session.get(RegistrationInstance, launch.instance_pk)
    if inst is None:
        raise NotFound("This launch's registration no longer exists")
    reg = session.get(Registration, inst.registration_pk)
    _, version = core.instance_course(session, inst)
    fam = family(version.learning_standard)
    if fam is None:
        raise InvalidInput(f"{version.learning_standard} courses have no SCORM run-time")
    return LaunchContext(reg, inst, version, fam)


def launchable(ctx: LaunchContext, activity_id: str) -> dict:
    """The launchable activity ACTIVITY_ID of the course, or NotFound."""
    node = rollup.find_activity(ctx.version.structure or {}, activity_id) if activity_id else None
    if node is None or node.get("children") or not node.get("href"):
        raise NotFound(f"The course has no launchable activity [{activity_id}]")
    return node


def find_state(session: Session, instance_pk: int, activity_id: str) -> ActivityState | None:
    return session.scalars(select(ActivityState).where(
        ActivityState.instance_pk == instance_pk, ActivityState.activity_id == activity_id)).first()


def new_state(session: Session, instance_pk: int, activity_id: str) -> ActivityState:
    state = ActivityState(instance_pk=instance_pk, activity_id=activity_id, attempts=0, runtime={},
                          base_seconds=0.0, total_seconds=0.0, completion="UNKNOWN", success="UNKNOWN",
                          attempt_completion="UNKNOWN")
    session.add(state)
    return state


def settings_for(session: Session, ctx: LaunchContext) -> dict[str, str]:
    return core.effective_settings(session, registration=ctx.registration, setting_ids=SETTING_IDS,
                                   instance=ctx.instance)


def suspend_data_limit(settings: dict[str, str], fam: str) -> int:
    """PlayerSuspendDataMaxLength, else the standard's minimum (4096 for 1.2, 64000 for 2004)."""
    value = number(settings.get("PlayerSuspendDataMaxLength"))
    return int(value) if value is not None and value > 0 else SUSPEND_DATA_LIMITS[fam]


def attempt_starts(instance: RegistrationInstance) -> dict[str, float]:
    return dict(((instance.state or {}).get(RUNTIME_STATE_KEY) or {}).get("attemptStartSeconds") or {})


def set_attempt_start(instance: RegistrationInstance, activity_id: str, seconds: float) -> None:
    state = dict(instance.state or {})
    runtime = dict(state.get(RUNTIME_STATE_KEY) or {})
    starts = dict(runtime.get("attemptStartSeconds") or {})
    starts[activity_id] = seconds
    runtime["attemptStartSeconds"] = starts
    state[RUNTIME_STATE_KEY] = runtime
    instance.state = state  # a new dict, so the JSON column is seen as changed
