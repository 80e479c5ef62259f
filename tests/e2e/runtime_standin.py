"""A minimal stand-in for coursehost.domain.runtime, used ONLY while that package does not yet
provide start_launch / sco_start_data / apply_commit / exit_launch (another engineer is writing
it). It lets the player be tested end to end; once the real functions exist it is never installed."""

from __future__ import annotations

import importlib
import pkgutil
import uuid

from sqlalchemy import select

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance

NAMES = ("start_launch", "sco_start_data", "apply_commit", "exit_launch")


def domain_missing() -> bool:
    pkg = importlib.import_module("coursehost.domain.runtime")
    found = {n for n in NAMES if hasattr(pkg, n)}
    for mod in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        found |= {n for n in NAMES if hasattr(module, n)}
    return found != set(NAMES)


def start_launch(session, *, registration, instance=None, tracking=True, options, user_agent, now=None):
    inst = instance if isinstance(instance, RegistrationInstance) else session.scalars(select(RegistrationInstance).where(
        RegistrationInstance.registration_pk == registration.pk,
        RegistrationInstance.instance == (registration.instance if instance is None else instance))).one()
    row = Launch(launch_id=uuid.uuid4().hex, instance_pk=inst.pk, tracking=tracking, options=options,
                 user_agent=user_agent, launch_time=now or utcnow(), history_log=[])
    session.add(row)
    session.flush()
    return row


def _state(session, instance_pk, activity_id):
    return session.scalars(select(ActivityState).where(ActivityState.instance_pk == instance_pk,
                                                       ActivityState.activity_id == activity_id)).first()


def sco_start_data(session, *, launch, activity_id):
    inst = session.get(RegistrationInstance, launch.instance_pk)
    reg = session.get(Registration, inst.registration_pk)
    st = _state(session, inst.pk, activity_id)
    runtime = dict(st.runtime) if st else {}
    exit_value = (runtime.get("core") or {}).get("exit") or runtime.get("exit")
    learner = reg.learner or {}
    name = f"{learner.get('lastName', '')}, {learner.get('firstName', '')}".strip(", ")
    return {"runtime": runtime, "entry": "resume" if exit_value == "suspend" else ("" if st else "ab-initio"),
            "credit": "credit", "learner_id": reg.learner_id, "learner_name": name}


def apply_commit(session, *, launch_pk, activity_id, seq, runtime, log, terminated=False, now=None):
    launch = session.get(Launch, launch_pk)
    if seq <= launch.last_seq:
        return {"applied": False, "lastSeq": launch.last_seq}
    launch.last_seq = seq
    launch.history_log = list(launch.history_log or []) + list(log or [])
    if launch.tracking:
        st = _state(session, launch.instance_pk, activity_id)
        if st is None:
            st = ActivityState(instance_pk=launch.instance_pk, activity_id=activity_id, runtime={})
            session.add(st)
        st.runtime = runtime
        launch.last_runtime_update = now or utcnow()
    session.flush()
    return {"applied": True, "lastSeq": seq}


def exit_launch(session, *, launch_pk, now=None):
    session.get(Launch, launch_pk).exit_time = now or utcnow()


def install() -> bool:
    """Point the player at this stand-in if the real domain is not there yet; True if installed."""
    from coursehost.player import runtime_port

    if not domain_missing():
        return False
    runtime_port._domain = lambda name: globals()[name]
    return True
