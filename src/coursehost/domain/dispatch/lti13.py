"""Dispatches launched over LTI 1.3 (Coursehost as the tool, the destination's LMS as the platform):
the OIDC third-party login, the launch, and scores back through Assignment and Grade Services.

    url = begin_login(session, params=..., public_url=...)        # -> the platform's auth endpoint
    reg = complete_launch(session, id_token=..., state=..., env=...)   # -> the dispatch registration
    send_score(session, outcome, box=..., allow_private_urls=...)      # the "lti13" outcome sender

A login's state and nonce are rows of lti_state (any process may take the launch that follows); the
launch deletes the row, so a state or a nonce works once. Nothing is written when a check fails.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.dispatch import Destination, Dispatch
from coursehost.db.models.lti import LtiState
from coursehost.db.models.registrations import Registration
from coursehost.domain import outbox
from coursehost.domain.crypto import SecretBox
from coursehost.domain.dispatch.access import FarLearner, find_by_key, registration_for
from coursehost.domain.dispatch.outcomes import Outcome
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.lti import keys
from coursehost.domain.lti.tool import (
    AGS_CLAIM,
    ASSERTION_TYPE,
    CLAIM,
    SCORE_SCOPE,
    KeySetCache,
    LtiForbidden,
    LtiRefused,
    PlatformConfig,
    client_assertion,
    outbound,
    verify_id_token,
)
from coursehost.outbound.errors import OutboundError

LOGIN_PATH = "/dispatch/lti13/login"
LAUNCH_PATH = "/dispatch/lti13/launch"
TARGET_PREFIX = "/dispatch/lti13/dispatches/"
JWKS_PATH = "/lti/jwks"
#: how long a login may take between our redirect to the platform and its launch back
STATE_TTL = timedelta(minutes=10)


def target_link_uri(session: Session, *, application_pk: int, dispatch_id: str, public_url: str) -> str:
    """What the platform is given as the dispatch's launch URL (DispatchLti13InfoSchema.targetLinkUri)."""
    dispatch = session.scalars(select(Dispatch).where(Dispatch.application_pk == application_pk,
                                                      Dispatch.dispatch_id == dispatch_id)).first()
    if dispatch is None:
        raise NotFound(f"Dispatch {dispatch_id} was not found.")
    return public_url.rstrip("/") + TARGET_PREFIX + dispatch.dispatch_key


def tool_configuration(session: Session, *, application_pk: int, destination_id: str, public_url: str,
                       box: SecretBox) -> dict:
    """Lti13ToolConfigurationSchema: what the destination's LMS administrator enters to register us as
    a tool (the same for every destination: one key set, one login and launch URL)."""
    found = session.scalars(select(Destination.pk).where(Destination.application_pk == application_pk,
                                                         Destination.destination_id == destination_id)).first()
    if found is None:
        raise NotFound(f"Destination {destination_id} was not found.")
    base = public_url.rstrip("/")
    return {"publicKey": keys.public_pem(session, box), "oidcLoginInitiationsUrl": base + LOGIN_PATH,
            "redirectUri": base + LAUNCH_PATH, "jsonWebKeySetUrl": base + JWKS_PATH}


def _dispatch_key_of(target: str) -> str:
    path = urlsplit(target).path
    if TARGET_PREFIX not in path:
        raise InvalidInput("target_link_uri is not a Coursehost dispatch launch URL.")
    return path.rsplit(TARGET_PREFIX, 1)[1].strip("/")


def _destinations(session: Session, issuer: str, client_id: str) -> list[Destination]:
    stmt = select(Destination).where(Destination.lti13["platformIssuerIdentifier"].as_string() == issuer)
    if client_id:
        stmt = stmt.where(Destination.lti13["clientId"].as_string() == client_id)
    return list(session.scalars(stmt.order_by(Destination.pk)))


def _dispatch_for(session: Session, destinations: list[Destination], dispatch_key: str) -> tuple[Destination, Dispatch]:
    """The dispatch DISPATCH_KEY if it belongs to one of DESTINATIONS (the platform's registrations):
    an LMS registered for one destination never opens another destination's course."""
    try:
        dispatch = find_by_key(session, dispatch_key)
    except NotFound:
        raise LtiForbidden("The launch names a dispatch that does not exist (it may have been deleted).") from None
    for dest in destinations:
        if dest.pk == dispatch.destination_pk:
            return dest, dispatch
    raise LtiForbidden("The launch names a dispatch that was not sent to this LMS.")


def begin_login(session: Session, *, params: dict[str, str], public_url: str, now: datetime | None = None) -> str:
    """OIDC third-party login initiation (LTI Core 1.3 §5.1.1 / Security Framework §5.1.1): the URL
    of the platform's authorization endpoint to send the browser to, with a state and nonce stored."""
    now = now or utcnow()
    iss, login_hint, target = params.get("iss", ""), params.get("login_hint", ""), params.get("target_link_uri", "")
    for name, value in (("iss", iss), ("login_hint", login_hint), ("target_link_uri", target)):
        if not value:
            raise InvalidInput(f"{name} is required to start an LTI 1.3 launch.")
    destinations = _destinations(session, iss, params.get("client_id", ""))
    if not destinations:
        raise LtiForbidden("No destination is configured for this LTI 1.3 platform (issuer and client id).")
    dest, dispatch = _dispatch_for(session, destinations, _dispatch_key_of(target))
    cfg = PlatformConfig.of(dest.lti13)
    if not cfg.auth_endpoint.startswith(("https://", "http://")):
        raise LtiForbidden("This destination has no OIDC authorization endpoint configured.")
    session.execute(delete(LtiState).where(LtiState.expires < now))  # the logins nobody finished
    row = LtiState(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), destination_pk=dest.pk,
                   dispatch_key=dispatch.dispatch_key, expires=now + STATE_TTL, created=now)
    session.add(row)
    session.flush()
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
             "client_id": cfg.client_id, "redirect_uri": public_url.rstrip("/") + LAUNCH_PATH,
             "login_hint": login_hint, "state": row.state, "nonce": row.nonce}
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    sep = "&" if urlsplit(cfg.auth_endpoint).query else "?"
    return cfg.auth_endpoint + sep + urlencode(query)


@dataclass
class LaunchEnv:
    """What a launch needs besides the session: the instance key (learner hashing), the platforms'
    key sets, and the secret box (our signing key)."""

    instance_key: str
    key_sets: KeySetCache
    box: SecretBox


def _login(session: Session, *, state: str | None = None, nonce: str | None = None, now: datetime) -> LtiState:
    """The unfinished, unexpired login of STATE (or NONCE); read only (the key set may be fetched
    next: no write lock is held meanwhile)."""
    column, value = (LtiState.state, state) if state is not None else (LtiState.nonce, nonce)
    row = session.scalars(select(LtiState).where(column == value)).first() if value else None
    if row is None:
        raise LtiRefused("This launch was already used or was never started here (unknown state or nonce); "
                         "launch again from the LMS.")
    expires = row.expires.replace(tzinfo=UTC) if row.expires.tzinfo is None else row.expires
    if expires <= now:
        raise LtiRefused("The login took too long and expired; launch again from the LMS.")
    return row


def _use(session: Session, row: LtiState) -> None:
    """Spend the login ROW: of two launches with one state or nonce, one deletes it, the other is refused."""
    if session.execute(delete(LtiState).where(LtiState.pk == row.pk)).rowcount != 1:
        raise LtiRefused("This launch was already used; launch again from the LMS.")


def _learner(claims: dict) -> FarLearner:
    given, family = str(claims.get("given_name") or ""), str(claims.get("family_name") or "")
    if not given and not family and claims.get("name"):
        given, _, family = str(claims["name"]).partition(" ")
    return FarLearner(learner_id=str(claims["sub"]), first_name=given, last_name=family,
                      email=str(claims.get("email") or ""))


def _outcome(claims: dict, dest: Destination) -> dict:
    """Where the score goes back (AGS), or {} when the platform offers no line item we may score."""
    ags = claims.get(AGS_CLAIM)
    if not isinstance(ags, dict) or not ags.get("lineitem"):
        return {}
    scope = [s for s in ags.get("scope") or [] if isinstance(s, str)]
    if SCORE_SCOPE not in scope:
        return {}
    return {"lineitem": str(ags["lineitem"]), "scope": scope, "sub": str(claims["sub"]),
            "destination_pk": dest.pk, "issuer": str(claims["iss"])}


def _launch(session: Session, *, claims: dict, dest: Destination, dispatch: Dispatch,
            env: LaunchEnv) -> tuple[Registration, str | None]:
    link = claims[CLAIM + "resource_link"]
    keys.signing_key(session, env.box)  # published before any score is sent back (send_score)
    reg = registration_for(session, instance_key=env.instance_key, dispatch=dispatch, learner=_learner(claims),
                           via="lti13", context_key=str(link["id"]), outcome=_outcome(claims, dest))
    presentation = claims.get(CLAIM + "launch_presentation")
    back = presentation.get("return_url") if isinstance(presentation, dict) else None
    return reg, back if isinstance(back, str) and back.startswith(("https://", "http://")) else None


def complete_launch(session: Session, *, id_token: str, state: str, env: LaunchEnv,
                    now: datetime | None = None) -> tuple[Registration, str | None]:
    """The launch (the platform's form_post to our redirect_uri): every check, then the learner's
    registration through the dispatch the login named, and the platform's return URL if any."""
    now = now or utcnow()
    if not id_token or not state:
        raise LtiRefused("The launch lacks its id_token or state.")
    row = _login(session, state=state, now=now)
    dest = session.get(Destination, row.destination_pk)
    dispatch = find_by_key(session, row.dispatch_key)
    claims = verify_id_token(id_token, platform=PlatformConfig.of(dest.lti13), key_sets=env.key_sets,
                             nonce=row.nonce)
    if _dispatch_key_of(str(claims.get(CLAIM + "target_link_uri") or "")) != row.dispatch_key:
        raise LtiForbidden("The launch's target_link_uri is not the one its login named.")
    _use(session, row)
    return _launch(session, claims=claims, dest=dest, dispatch=dispatch, env=env)


def launch_by_id(session: Session, *, dispatch_id: str, jwt_text: str, env: LaunchEnv,
                 now: datetime | None = None) -> tuple[Registration, str | None]:
    """GetLti13DispatchLaunch: the same launch given the id_token and the dispatch's id (no state):
    the nonce must be one of our unfinished logins, for this dispatch, and works once."""
    now = now or utcnow()
    try:  # read unverified only to find the login by its nonce; verify_id_token checks everything
        unverified = jwt.decode(jwt_text, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LtiRefused("jwt is not a readable id_token.") from None
    row = _login(session, nonce=str(unverified.get("nonce") or ""), now=now)
    dest = session.get(Destination, row.destination_pk)
    dispatch = find_by_key(session, row.dispatch_key)
    if dispatch.dispatch_id != dispatch_id:
        raise LtiForbidden("The launch's login was for another dispatch.")
    claims = verify_id_token(jwt_text, platform=PlatformConfig.of(dest.lti13), key_sets=env.key_sets,
                             nonce=row.nonce)
    _use(session, row)
    return _launch(session, claims=claims, dest=dest, dispatch=dispatch, env=env)


def _scores_url(lineitem: str) -> str:
    """{lineitem}/scores with the line item's query kept (AGS 2.0 §3.4: the scores endpoint is the
    line item URL with /scores appended to its path)."""
    parts = urlsplit(lineitem)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/scores", parts.query, ""))


def score_body(registration: Registration, sub: str, now: datetime) -> dict:
    """The AGS score (application/vnd.ims.lis.v1.score+json) of REGISTRATION's current results."""
    completed = registration.completion == "COMPLETED"
    graded = completed or registration.success in ("PASSED", "FAILED")
    body = {"userId": sub, "activityProgress": "Completed" if completed else "InProgress",
            "gradingProgress": "FullyGraded" if graded else "Pending",
            "timestamp": now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if registration.score_scaled is not None:
        body["scoreGiven"] = round(float(registration.score_scaled), 4)
        body["scoreMaximum"] = 100
    return body


def _token(client, cfg: PlatformConfig, assertion: str) -> str:
    form = urlencode({"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                      "client_assertion": assertion, "scope": SCORE_SCOPE})
    resp = client.request("POST", cfg.token_url, content=form.encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    _raise_for(resp.status_code, "the platform's token endpoint")
    try:
        token = resp.json().get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise outbox.RetryJob("the platform's token endpoint answered without an access_token")
    return token


def _raise_for(status: int, what: str) -> None:
    if 200 <= status < 300:
        return
    if status >= 500 or status in (401, 403, 408, 429):  # the platform's trouble, or a token to get again
        raise outbox.RetryJob(f"{what} answered HTTP {status}")
    raise outbox.PermanentJobError(f"{what} refused the score with HTTP {status}")


def send_score(session: Session, outcome: Outcome, *, box: SecretBox, allow_private_urls: bool) -> None:
    """The "lti13" outcome sender: an access token by client credentials with our signed assertion,
    then the registration's score POSTed to the line item's scores endpoint (AGS 2.0 §3.4). Our
    signing key exists and is published since the launch (_launch makes it): a key made here would
    be invisible to the platform's fetch of /lti/jwks until the job's transaction ends."""
    stored = outcome.row.outcome or {}
    dest = session.get(Destination, outcome.dispatch.destination_pk)
    cfg = PlatformConfig.of(dest.lti13 if dest else {})
    if not stored.get("lineitem") or not stored.get("sub"):
        return  # the platform offered no line item: nothing to send
    if not cfg.token_url or not cfg.client_id:
        raise outbox.PermanentJobError("the destination has no LTI 1.3 access token URL or client id")
    kid, key = keys.signing_key(session, box)
    body = score_body(outcome.registration, stored["sub"], utcnow())
    try:
        with outbound(allow_private_urls) as client:
            token = _token(client, cfg, client_assertion(kid, key, client_id=cfg.client_id, token_url=cfg.token_url))
            resp = client.request("POST", _scores_url(stored["lineitem"]), content=json.dumps(body).encode(),
                                  headers={"Content-Type": "application/vnd.ims.lis.v1.score+json",
                                           "Authorization": f"Bearer {token}"})
            _raise_for(resp.status_code, "the platform's scores endpoint")
    except OutboundError as exc:
        raise outbox.RetryJob(f"the platform could not be reached: {exc}") from None
