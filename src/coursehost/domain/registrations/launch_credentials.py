"""Launch-scoped LRS credentials for xAPI (Tin Can) content: the Basic `auth` a launch hands the
content (Tin Can launch convention), valid for the launch's time window and only for the
statements and state of that registration and that learner's actor.

The credential is "launch:<signed token>": the token names the launch and its expiry, signed with a
key derived from the instance key, so nothing is stored and a forged or expired one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Launch, RegistrationInstance
from coursehost.db.models.tenancy import Application
from coursehost.domain.crypto import derive_key
from coursehost.domain.errors import Forbidden
from coursehost.domain.lrs.validation_values import agent_key
from coursehost.domain.registrations.core import registration_uuid

#: The Basic user name of every launch credential (the password is the signed token).
LAUNCH_USER = "launch"
PURPOSE = "xapi-launch-credential"
#: How long a launch credential works after the launch began (one sitting of a course).
WINDOW_SECONDS = 12 * 3600
_EMAIL_LIKE = "@"


@dataclass(frozen=True)
class LaunchScope:
    """What a launch credential may touch: one registration's data, for one learner's actor."""

    app_pk: int
    launch_id: str
    instance_pk: int
    registration: str  # the registration instance's xAPI registration UUID (lower case)
    actor_key: str
    tracking: bool  # a launch without tracking records no results

    @property
    def credential_id(self) -> str:
        """Whom the statements are attributed to: every launch of the registration instance alike,
        so a later launch reads what an earlier one wrote (DEFAULT reads its own statements only)."""
        return f"xapi-registration:{self.registration}"


def learner_actor(learner_id: str, learner: dict, home_page: str) -> dict:
    """The learner as an xAPI Agent: mbox when the learner id is an e-mail address, else an account
    on HOME_PAGE named by the learner id."""
    agent: dict = {"objectType": "Agent"}
    name = " ".join(p for p in (learner.get("firstName"), learner.get("lastName")) if p)
    if name:
        agent["name"] = name
    if _EMAIL_LIKE in learner_id and " " not in learner_id and not learner_id.startswith("mailto:"):
        agent["mbox"] = f"mailto:{learner_id}"
    elif learner_id.startswith("mailto:"):
        agent["mbox"] = learner_id
    else:
        agent["account"] = {"homePage": home_page, "name": learner_id}
    return agent


def issue(instance_key: str, *, launch_id: str, now: float | None = None) -> str:
    """The `auth` value of launch LAUNCH_ID: "Basic " + base64("launch:<token>")."""
    exp = int((now if now is not None else time.time()) + WINDOW_SECONDS)
    body = _b64(f"{launch_id}|{exp}".encode())
    token = f"{body}.{_mac(instance_key, body)}"
    return "Basic " + base64.b64encode(f"{LAUNCH_USER}:{token}".encode()).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _mac(instance_key: str, body: str) -> str:
    return _b64(hmac.new(derive_key(instance_key, PURPOSE), body.encode(), hashlib.sha256).digest())


def _verified_launch_id(instance_key: str, secret: str, now: float | None = None) -> str | None:
    """The launch a credential's SECRET names, or None when it is forged, altered or expired."""
    body, dot, mac = secret.partition(".")
    if not dot or len(secret) > 1000 or not hmac.compare_digest(_mac(instance_key, body).encode(), mac.encode()):
        return None
    try:
        launch_id, _, exp = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().rpartition("|")
        expires = int(exp)
    except (ValueError, UnicodeDecodeError):
        return None
    return launch_id if (now if now is not None else time.time()) <= expires else None


def launch_scope(session: Session, *, instance_key: str, app_id: str, secret: str,
                 home_page: str) -> LaunchScope | None:
    """The scope of a launch credential's SECRET on APP_ID's LRS; None when it is forged, expired,
    for another application, or its launch is gone."""
    launch_id = _verified_launch_id(instance_key, secret)
    if launch_id is None:
        return None
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
    if launch is None:
        return None
    instance = session.get(RegistrationInstance, launch.instance_pk)
    registration = instance.registration if instance is not None else None
    app = session.get(Application, registration.application_pk) if registration is not None else None
    if app is None or app.app_id != app_id:
        return None
    actor = learner_actor(registration.learner_id, dict(registration.learner or {}), home_page)
    return LaunchScope(app_pk=app.pk, launch_id=launch.launch_id, instance_pk=instance.pk,
                       registration=registration_uuid(registration, instance.instance), actor_key=agent_key(actor) or "",
                       tracking=bool(launch.tracking))


def _same_agent(scope: LaunchScope, raw: object) -> bool:
    return isinstance(raw, dict) and agent_key(raw) == scope.actor_key


def check_statements(scope: LaunchScope, statements: object) -> None:
    """Statements a launch credential writes: each by the learner, in this registration (403 else)."""
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict):
            continue  # the LRS's own validation answers 400
        context = st.get("context") if isinstance(st.get("context"), dict) else {}
        if str(context.get("registration") or "").lower() != scope.registration:
            raise Forbidden("This launch's credential writes statements of its own registration only")
        if not _same_agent(scope, st.get("actor")):
            raise Forbidden("This launch's credential writes statements of its own learner only")


def verbs_of(statements: object) -> list[str]:
    """The verb ids of STATEMENTS (one or a list), for the launch's debug log."""
    out = []
    for st in statements if isinstance(statements, list) else [statements]:
        verb = st.get("verb") if isinstance(st, dict) else None
        if isinstance(verb, dict) and isinstance(verb.get("id"), str):
            out.append(verb["id"][:500])
    return out[:100]


def check_params(scope: LaunchScope, resource: str, method: str, params: dict[str, str], agent: object) -> None:
    """A launch credential reads and writes statements and state of its registration and learner
    only (AGENT: the parsed `agent` parameter, None when absent); 403 for anything else."""
    if resource == "statements":
        if "registration" in params and params["registration"].lower() != scope.registration:
            raise Forbidden("This launch's credential reads statements of its own registration only")
        if agent is not None and not _same_agent(scope, agent):
            raise Forbidden("This launch's credential reads statements of its own learner only")
        return
    if resource == "activities/state":
        if params.get("registration", "").lower() != scope.registration:
            raise Forbidden("This launch's credential reaches the state of its own registration only")
        if not _same_agent(scope, agent):
            raise Forbidden("This launch's credential reaches the state of its own learner only")
        return
    if resource in ("activities", "activities/profile") and method in ("GET", "HEAD"):
        return  # activity definitions and profiles are course data, read-only here
    raise Forbidden(f"This launch's credential may not use {resource}")
