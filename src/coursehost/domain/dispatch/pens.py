"""PENS (Package Exchange Notification Services, AICC CMI010 1.0.0): "publish" a dispatch to a target
system. We send the target a collect request naming a package URL it may fetch until an expiry; the
target answers the request, fetches the package, then POSTs a receipt (and alerts) to our callback URLs.

    pub = publish(session, box=..., application_pk=..., dispatch_id=..., target=PensTarget(url, user, pw))
    # job "dispatch.pens" -> send_collect(...)        (outbound client; RetryJob while the target is down)
    record_callback(session, publication_id=..., kind="receipt"|"alert", form={...})  -> PENS response text

The package URL carries a signed token (instance key, purpose "pens-package", expiry); the callbacks
carry the publication's random id. The package served is the dispatch's course package as imported:
the dispatch shell package (domain/dispatch/package.py, branch r/shell) replaces it once it exists.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.dispatch import Dispatch
from coursehost.db.models.pens import PensPublication
from coursehost.domain import outbox
from coursehost.domain.crypto import SecretBox
from coursehost.domain.dispatch import package
from coursehost.domain.dispatch.dispatches import get_dispatch
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.registrations.launch_tokens import TokenExpired, TokenInvalid, sign, verify
from coursehost.outbound import AddressPolicy, OutboundClient, OutboundError, TargetRefused, Timeouts

JOB_KIND = "dispatch.pens"
MAX_ATTEMPTS = 10
PURPOSE = "pens-package"
#: what is published: the dispatch's shell package, SCORM 1.2 (the type every LMS imports)
SHELL_TYPE_VERSION = "1.2"
PENS_VERSION = "1.0.0"
PACKAGE_LIFETIME = timedelta(days=7)
TIMEOUTS = Timeouts(connect=10.0, read=30.0, write=30.0, pool=10.0)
CALLBACK_KINDS = ("receipt", "alert")
MAX_EVENTS = 100
_FIELD_LIMIT = 4000


@dataclass(frozen=True)
class PensTarget:
    """Where to publish: the target's PENS URL and the account it gave us."""

    url: str
    system_user_id: str = ""
    system_password: str = ""


def _check_target(target: PensTarget) -> None:
    parts = urlsplit(target.url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"targetUrl must be an absolute http(s) URL: [{target.url[:200]}]")
    if len(target.url) > 2000:
        raise InvalidInput("targetUrl is longer than 2000 characters")
    if len(target.system_user_id) > 255 or len(target.system_password) > 1000:
        raise InvalidInput("systemUserId or systemPassword is too long")


def publish(session: Session, *, box: SecretBox, application_pk: int, dispatch_id: str, target: PensTarget,
            now: datetime | None = None) -> PensPublication:
    """Record a publication of the application's dispatch to TARGET and queue its collect request."""
    _check_target(target)
    now = now or utcnow()
    dispatch = get_dispatch(session, application_pk=application_pk, dispatch_id=dispatch_id)
    pub = PensPublication(
        publication_id=secrets.token_hex(16), application_pk=application_pk, dispatch_pk=dispatch.pk,
        target_url=target.url.strip(), system_user_id=target.system_user_id,
        system_password=box.encrypt(target.system_password) if target.system_password else "",
        package_id=f"urn:coursehost:dispatch:{dispatch.dispatch_key}", status="queued", events=[],
        package_expires=now + PACKAGE_LIFETIME, created=now, updated=now)
    session.add(pub)
    session.flush()
    outbox.enqueue(session, kind=JOB_KIND, payload={"publication_pk": pub.pk}, max_attempts=MAX_ATTEMPTS)
    return pub


def history(session: Session, *, application_pk: int, dispatch_id: str) -> list[PensPublication]:
    """Every publication of the dispatch, newest first."""
    dispatch = get_dispatch(session, application_pk=application_pk, dispatch_id=dispatch_id)
    return list(session.scalars(select(PensPublication).where(PensPublication.dispatch_pk == dispatch.pk)
                                .order_by(PensPublication.created.desc(), PensPublication.pk.desc())))


def package_token(instance_key: str, pub: PensPublication) -> str:
    expires = pub.package_expires if pub.package_expires.tzinfo else pub.package_expires.replace(tzinfo=UTC)
    return sign(instance_key, PURPOSE, {"p": pub.publication_id, "exp": int(expires.timestamp())})


def package_url(public_url: str, instance_key: str, pub: PensPublication) -> str:
    return f"{public_url.rstrip('/')}/dispatch/pens/package/{package_token(instance_key, pub)}"


def callback_url(public_url: str, kind: str, pub: PensPublication) -> str:
    return f"{public_url.rstrip('/')}/dispatch/pens/{kind}/{pub.publication_id}"


def _iso(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def collect_request(session: Session, pub: PensPublication, *, box: SecretBox, public_url: str,
                    instance_key: str) -> list[tuple[str, str]]:
    """The collect request's fields (CMI010 §4.1: command collect, the package and where to answer)."""
    return [
        ("command", "collect"), ("pens-version", PENS_VERSION), ("package-type", "scorm-pif"),
        ("package-type-version", SHELL_TYPE_VERSION), ("package-format", "zip"),
        ("package-id", pub.package_id), ("package-url", package_url(public_url, instance_key, pub)),
        ("package-url-expiry", _iso(pub.package_expires)), ("client", "Coursehost"),
        ("system-user-id", pub.system_user_id),
        ("system-password", box.decrypt(pub.system_password) if pub.system_password else ""),
        ("receipt", callback_url(public_url, "receipt", pub)), ("alert", callback_url(public_url, "alert", pub)),
    ]


def parse_response(text: str) -> dict[str, str]:
    """A PENS response body: name=value lines (CMI010 §4.3), error=0 meaning accepted."""
    out: dict[str, str] = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        name, sep, value = line.partition("=")
        if sep and name.strip():
            out[name.strip().lower()] = value.strip()[:_FIELD_LIMIT]
    return out


def send_collect(session: Session, *, publication_pk: int, box: SecretBox, public_url: str, instance_key: str,
                 allow_private_urls: bool = False, client: OutboundClient | None = None, attempt: int = 1) -> None:
    """The job: POST the collect request to the target; its answer is recorded on the publication.

    The target may fetch the package and POST its receipt before it answers us, so nothing is held
    across the call: the fields are read, the transaction ends, and the publication is read again
    after the answer (a receipt already recorded is not overwritten)."""
    pub = session.get(PensPublication, publication_pk)
    if pub is None:
        return
    target = pub.target_url
    fields = collect_request(session, pub, box=box, public_url=public_url, instance_key=instance_key)
    session.rollback()
    try:
        problem = _post_collect(target, fields, allow_private_urls=allow_private_urls, client=client)
    except outbox.RetryJob as exc:  # the target is down: say so on the publication, and when giving up
        pub = session.get(PensPublication, publication_pk)
        if pub is None or pub.status not in ("queued", "retrying"):
            raise
        if attempt >= MAX_ATTEMPTS:
            pub.status, pub.error = "failed", f"Gave up after {attempt} attempts: {exc}"[:1000]
            return
        pub.status, pub.error = "retrying", f"Attempt {attempt} of {MAX_ATTEMPTS}: {exc}"[:1000]
        session.commit()  # kept although the job's own transaction is rolled back for the retry
        raise
    pub = session.get(PensPublication, publication_pk)
    if pub is None:
        return
    if problem:
        pub.status, pub.error = "failed", problem[:1000]
    elif pub.status in ("queued", "retrying"):
        pub.status, pub.error = "sent", None


def _post_collect(url: str, fields: list[tuple[str, str]], *, allow_private_urls: bool,
                  client: OutboundClient | None) -> str | None:
    """Why the target refused the collect request, None when it took it; RetryJob when it is down."""
    own = client is None
    client = client or OutboundClient(timeouts=TIMEOUTS, max_bytes=64 * 1024,
                                      policy=AddressPolicy(allow_private=allow_private_urls))
    try:
        response = client.request("POST", url, content=urlencode(fields).encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    except TargetRefused as exc:
        return f"The target URL is refused: {exc}"
    except OutboundError as exc:
        raise outbox.RetryJob(f"The PENS target could not be reached: {exc}") from None
    finally:
        if own:
            client.close()
    if response.status_code >= 500:
        raise outbox.RetryJob(f"The PENS target answered HTTP {response.status_code}")
    if response.status_code >= 300:
        return f"The target answered HTTP {response.status_code}"
    answer = parse_response(response.content.decode("utf-8", errors="replace"))
    if answer.get("error", "0") not in ("0", ""):
        return f"The target refused the package: error {answer['error'][:10]} {answer.get('error-text', '')}"
    return None


def response_text(error: int = 0, text: str = "") -> str:
    """What we answer a PENS callback (CMI010 §4.3)."""
    return f"error={error}\r\nerror-text={text}\r\nversion={PENS_VERSION}\r\npens-data=\r\n"


def record_callback(session: Session, *, publication_id: str, kind: str, form: list[tuple[str, str]],
                    now: datetime | None = None) -> PensPublication:
    """Keep a receipt or alert the target POSTed about a publication (NotFound for an unknown id)."""
    if kind not in CALLBACK_KINDS:
        raise NotFound("no such PENS callback")
    pub = session.scalars(select(PensPublication).where(PensPublication.publication_id == publication_id)
                          .with_for_update()).first()
    if pub is None:
        raise NotFound("There is no PENS publication with this id.")
    fields = {k: v for k, v in form}
    now = now or utcnow()
    event = {"kind": kind, "at": _iso(now), "error": fields.get("error", "")[:20],
             "errorText": fields.get("error-text", "")[:_FIELD_LIMIT], "pensData": fields.get("pens-data", "")[:_FIELD_LIMIT],
             "command": fields.get("command", "")[:40]}
    pub.events = [*list(pub.events or [])[-(MAX_EVENTS - 1):], event]
    if kind == "receipt":
        pub.status = "received" if event["error"] in ("", "0") else "failed"
        if pub.status == "failed":
            pub.error = f"The target reported error {event['error']}: {event['errorText'][:500]}"
    elif pub.status in ("queued", "retrying", "sent"):  # an alert after the receipt leaves "received" as it is
        pub.status = "alert"
    pub.updated = now
    return pub


def package_for(session: Session, *, instance_key: str, box: SecretBox, content_url: str, token: str,
                now: float | None = None) -> tuple[bytes, str]:
    """(zip bytes, file name) of the package a token names: the dispatch's SCORM 1.2 shell package
    (the target imports the shell; the course stays here). NotFound for a bad or expired token."""
    try:
        payload = verify(instance_key, PURPOSE, token, now=now if now is not None else time.time())
    except TokenExpired:
        raise NotFound("This package link has expired; publish the dispatch again.") from None
    except TokenInvalid:
        raise NotFound("There is no package at this link.") from None
    pub = session.scalars(select(PensPublication).where(PensPublication.publication_id == payload.get("p"))).first()
    if pub is None:
        raise NotFound("There is no package at this link.")
    dispatch = session.get(Dispatch, pub.dispatch_pk)
    data = package.dispatch_zip(session, box=box, content_url=content_url, dispatches=[dispatch], kind="SCORM_12")
    return data, f"{pub.package_id.rsplit(':', 1)[-1]}.zip"


def callback_form(raw: str) -> list[tuple[str, str]]:
    """The fields of a callback body (form-encoded), bounded."""
    return parse_qsl(raw, keep_blank_values=True, max_num_fields=100)
