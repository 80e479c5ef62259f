"""LTI 1.1 Basic Outcomes (LTI 1.1 §6): a dispatch registration's score sent back to the consumer
that launched it, as a replaceResult POX message signed with OAuth 1.0a and the body hash extension.

The score is the registration's scaled score (0.0-1.0); with no score, 1.0 / 0.0 from passed / failed,
else 1.0 once completed; with none of those there is nothing to report yet. The sender is the
"lti11" entry of outcomes.deliver's senders (jobs/handlers.py)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Registration
from coursehost.domain.crypto import SecretBox
from coursehost.domain.dispatch.outcomes import Outcome
from coursehost.domain.lti import oauth1
from coursehost.domain.outbox import PermanentJobError, RetryJob
from coursehost.outbound import AddressPolicy, OutboundClient, OutboundError, TargetRefused, Timeouts

CONTENT_TYPE = "application/xml"
TIMEOUTS = Timeouts(connect=10.0, read=30.0, write=30.0, pool=10.0)
_CODE_MAJOR = re.compile(rb"<(?:\w+:)?imsx_codeMajor>\s*(\w+)\s*</", re.IGNORECASE)


def redact_url(url: str) -> str:
    """URL without user info, query or fragment (those may hold credentials), for error messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def result_score(registration: Registration) -> float | None:
    """The score to report (0.0-1.0), or None when the registration has nothing to report yet."""
    if registration.score_scaled is not None:
        return round(min(max(registration.score_scaled / 100.0, 0.0), 1.0), 4)
    if registration.success in ("PASSED", "FAILED"):
        return 1.0 if registration.success == "PASSED" else 0.0
    if registration.completion == "COMPLETED":
        return 1.0
    return None


def replace_result(sourcedid: str, score: float, message_id: str) -> bytes:
    """The replaceResultRequest POX envelope (IMS LTI 1.1 Outcomes, imsx_POXEnvelopeRequest)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<imsx_POXEnvelopeRequest xmlns="http://www.imsglobal.org/services/ltiv1p1/xsd/imsoms_v1p0">'
        f'<imsx_POXHeader><imsx_POXRequestHeaderInfo><imsx_version>V1.0</imsx_version>'
        f'<imsx_messageIdentifier>{escape(message_id)}</imsx_messageIdentifier>'
        '</imsx_POXRequestHeaderInfo></imsx_POXHeader>'
        '<imsx_POXBody><replaceResultRequest><resultRecord>'
        f'<sourcedGUID><sourcedId>{escape(sourcedid)}</sourcedId></sourcedGUID>'
        f'<result><resultScore><language>en</language><textString>{score:.4f}</textString></resultScore></result>'
        '</resultRecord></replaceResultRequest></imsx_POXBody></imsx_POXEnvelopeRequest>'
    ).encode()


def send_outcome(session: Session, outcome: Outcome, *, box: SecretBox, allow_private_urls: bool = False,
                 client: OutboundClient | None = None) -> None:
    """POST the registration's score to the consumer's outcome service; RetryJob when it is down or
    answers 5xx, PermanentJobError when it refuses the request."""
    url, sourcedid = outcome.row.outcome.get("lis_outcome_service_url"), outcome.row.outcome.get("lis_result_sourcedid")
    score = result_score(outcome.registration)
    if not url or not sourcedid or score is None:
        return
    body = replace_result(sourcedid, score, uuid.uuid4().hex)
    headers = {"Content-Type": CONTENT_TYPE, "Authorization": oauth1.authorization_header(
        "POST", url, consumer_key=outcome.dispatch.dispatch_key, consumer_secret=box.decrypt(outcome.dispatch.secret),
        body=body)}
    where = redact_url(url)
    own = client is None
    client = client or OutboundClient(timeouts=TIMEOUTS, max_bytes=64 * 1024,
                                      policy=AddressPolicy(allow_private=allow_private_urls))
    try:
        response = client.request("POST", url, content=body, headers=headers)
    except TargetRefused as exc:
        raise PermanentJobError(f"Outcome to {where} refused: {exc}") from None
    except OutboundError as exc:
        raise RetryJob(f"Outcome to {where} failed: {exc}") from None
    finally:
        if own:
            client.close()
    status = response.status_code
    if status >= 500 or status == 429:
        raise RetryJob(f"Outcome to {where} failed: the consumer answered HTTP {status}")
    if status >= 300:
        raise PermanentJobError(f"Outcome to {where} refused: the consumer answered HTTP {status}")
    major = _CODE_MAJOR.search(response.content)
    if major is not None and major.group(1).lower() != b"success":
        raise PermanentJobError(f"Outcome to {where} refused: imsx_codeMajor {major.group(1).decode()[:20]}")
