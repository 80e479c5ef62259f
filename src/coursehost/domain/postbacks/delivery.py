"""Sending postbacks: the queued delivery (retried by the job queue) and the one-off test send.

Success is any status below 400; redirects are not followed (a 3xx is a success, as on SCORM
Cloud); 4xx, 5xx, timeouts, DNS and connection failures are failures. Queued deliveries raise
RetryJob so the queue retries with its backoff (1 s .. 15 min, jitter, 70 attempts). Messages
never carry the password, the Authorization header or the URL's user info / query string, nor
anything the receiver said beyond its status code. A URL whose host is (or now resolves to) a
private or local address is refused, when it is tested and when it is sent, unless
COURSEHOST_ALLOW_PRIVATE_URLS (issue 13).

Each queued delivery carries an `X-Coursehost-Delivery-Id` header (DELIVERY_ID_HEADER): the same
value on every retry of that delivery, a new one for each new delivery. A worker killed after the
receiver got the request but before the job was marked done leaves the job to another worker once
its lease expires, which sends it again (at least once on the wire): a receiver that must act once
per delivery deduplicates on this header. A delivery that completed is never sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import Registration
from coursehost.domain.errors import InvalidInput
from coursehost.domain.outbox import RetryJob
from coursehost.domain.postbacks.config import PostbackConfig, postback_config
from coursehost.domain.postbacks.formats import (
    DELIVERY_ID_HEADER,
    PostbackRequest,
    build_request,
    progress_body,
    sample_progress,
)
from coursehost.outbound import AddressPolicy, OutboundClient, OutboundError, OutboundTimeout, TargetRefused, Timeouts

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0


class PostbackFailed(Exception):
    """The receiver did not accept the postback; the message is safe to show and to store."""


def redact_url(url: str) -> str:
    """URL without user info, query or fragment (those may hold credentials)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "(unparseable URL)"


def check_url(url: str, *, allow_private_urls: bool | None = None) -> str:
    """URL if it is an absolute http(s) URL, else InvalidInput; when ALLOW_PRIVATE_URLS is given,
    also InvalidInput when its host is a private or local address and that is not allowed."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an absolute http or https URL")
    if allow_private_urls is not None:
        try:
            AddressPolicy(allow_private=allow_private_urls).check_url(url)
        except OutboundError as exc:
            raise InvalidInput(f"url: {exc}") from None
    return url


def send(request: PostbackRequest, *, client: OutboundClient | None = None, allow_private_urls: bool = False,
         connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT) -> int:
    """POST REQUEST once; the status code on success (< 400), else PostbackFailed."""
    where = redact_url(request.url)
    try:
        check_url(request.url)
    except InvalidInput as exc:
        raise PostbackFailed(f"Postback to {where} failed: {exc}") from None
    own = client is None
    client = client or OutboundClient(
        timeouts=Timeouts(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout),
        follow_redirects=False, policy=AddressPolicy(allow_private=allow_private_urls))
    try:
        # Streamed and never read: whatever the receiver answers, only its status matters.
        with client.stream("POST", request.url, content=request.body, headers=request.headers) as response:
            status = response.status_code
    except OutboundTimeout:
        raise PostbackFailed(f"Postback to {where} failed: timed out") from None
    except TargetRefused as exc:
        raise PostbackFailed(f"Postback to {where} failed: {exc}") from None
    except OutboundError as exc:
        # The client's own words: one for every connection failure, nothing the far side said.
        raise PostbackFailed(f"Postback to {where} failed: connection error ({exc})") from None
    finally:
        if own:
            client.close()
    if status >= 400:
        # The status alone: a reason phrase is the receiver's own text.
        raise PostbackFailed(f"Postback to {where} failed: the receiver answered HTTP {status}")
    return status


def prepare_delivery(session: Session, *, registration_pk: int, registration_id: str | None = None,
                     box=None, progress_fn: Callable[..., dict] | None = None,
                     delivery_id: str | None = None) -> PostbackRequest | None:
    """The request that delivers REGISTRATION_PK's current progress (with DELIVERY_ID in its
    DELIVERY_ID_HEADER, when given); None when there is nothing to send (the registration was
    deleted, or its postback URL was removed meanwhile)."""
    registration = session.get(Registration, registration_pk)
    if registration is None:
        return None
    if registration_id is not None and registration.registration_id != registration_id:
        return None  # deleted, and SQLite gave its pk to a newer registration
    config = postback_config(session, registration=registration, box=box)
    if config is None:
        return None
    progress = (progress_fn or progress_body)(
        session, registration=registration, results_format=config.results_format)
    request = build_request(progress, config=config)
    if delivery_id:
        request.headers[DELIVERY_ID_HEADER] = delivery_id
    return request


def deliver_postback(*, read_session_factory: sessionmaker[Session], registration_pk: int,
                     registration_id: str | None = None, box=None,
                     client: OutboundClient | None = None, allow_private_urls: bool = False,
                     delivery_id: str | None = None) -> dict:
    """Send REGISTRATION_PK's progress as it is now, with DELIVERY_ID (the same on every attempt of
    one delivery) in DELIVERY_ID_HEADER; RetryJob when the receiver fails.

    The progress is read in its own short read-only transaction and the HTTP call is made after
    it closes, so a slow receiver never holds a database lock."""
    with read_session_factory() as session:
        request = prepare_delivery(session, registration_pk=registration_pk,
                                   registration_id=registration_id, box=box, delivery_id=delivery_id)
    if request is None:
        return {"skipped": "registration deleted or no postback URL"}
    try:
        status = send(request, client=client, allow_private_urls=allow_private_urls)
    except PostbackFailed as exc:
        raise RetryJob(str(exc)) from None
    log.info("postback for registration pk %s delivered to %s (HTTP %s)", registration_pk,
             redact_url(request.url), status)
    return {"status": status, "deliveredAt": utcnow().isoformat()}


def test_postback(*, config: PostbackConfig, client: OutboundClient | None = None,
                  allow_private_urls: bool = False) -> int:
    """Send a sample progress once with CONFIG (TestRegistrationPostback); InvalidInput on failure."""
    check_url(config.url, allow_private_urls=allow_private_urls)
    request = build_request(sample_progress(results_format=config.results_format), config=config)
    try:
        return send(request, client=client, allow_private_urls=allow_private_urls)
    except PostbackFailed as exc:
        raise InvalidInput(str(exc)) from None


test_postback.__test__ = False  # not a pytest test, whatever the name says
