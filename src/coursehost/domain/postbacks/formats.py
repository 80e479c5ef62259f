"""Postback bodies: the GetRegistrationProgress JSON, or SCORM Cloud's legacy (v1) XML report.

The JSON is exactly what GetRegistrationProgress answers for the format (the same shape, written by
the same reporting.wire.to_wire): `course` = the summary,
`activity` = includeChildResults, `full` = child results + interactions/objectives + run-time.
The legacy XML is the v1 `registrationreport` (scorm-cloud-behaviour.md, "Postbacks"); values the
learner has not produced yet are the word `unknown`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Registration
from coursehost.domain.postbacks.config import PostbackConfig
from coursehost.domain.reporting.progress import registration_progress
from coursehost.domain.reporting.wire import to_wire

UNKNOWN = "unknown"
#: The header naming one queued delivery: the same on its retries, so a receiver can deduplicate.
DELIVERY_ID_HEADER = "X-Coursehost-Delivery-Id"
_COMPLETE = {"COMPLETED": "complete", "INCOMPLETE": "incomplete"}
_SUCCESS = {"PASSED": "passed", "FAILED": "failed"}


def progress_options(results_format: str) -> dict:
    """registration_progress keyword arguments for RESULTS_FORMAT (course | activity | full)."""
    full = results_format == "full"
    return {
        "include_child_results": results_format in ("activity", "full"),
        "include_interactions_and_objectives": full,
        "include_runtime": full,
    }


def progress_body(session: Session, *, registration: Registration, results_format: str) -> dict:
    """REGISTRATION's current progress as GetRegistrationProgress answers it for RESULTS_FORMAT."""
    return to_wire(registration_progress(session, registration=registration, **progress_options(results_format)))


# ---------------------------------------------------------------- legacy XML


def _number(value) -> str:
    if value is None or value == "":
        return UNKNOWN
    try:
        f = float(value)
    except (TypeError, ValueError):
        return escape(str(value))
    return str(int(f)) if f.is_integer() else repr(round(f, 4))


def _complete(value) -> str:
    return _COMPLETE.get(str(value or "").upper(), UNKNOWN)


def _success(value) -> str:
    return _SUCCESS.get(str(value or "").upper(), UNKNOWN)


def _score(score) -> str:
    return _number(score.get("scaled")) if isinstance(score, dict) else UNKNOWN


def _text(value) -> str:
    """Element text, XML-escaped; None -> unknown. Characters XML 1.0 forbids are dropped."""
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        value = "true" if value else "false"
    s = str(value)
    s = "".join(ch for ch in s if ch in "\t\n\r" or ord(ch) >= 0x20)
    return escape(s)


def _el(tag: str, value) -> str:
    return f"<{tag}>{_text(value)}</{tag}>"


def _activity_xml(act: dict, full: bool) -> str:
    parts = [
        f"<activity id={quoteattr(str(act.get('id') or ''))}>",
        _el("title", act.get("title") or ""),
        _el("attempts", act.get("attempts") if act.get("attempts") is not None else UNKNOWN),
        f"<complete>{_complete(act.get('activityCompletion'))}</complete>",
        f"<success>{_success(act.get('activitySuccess'))}</success>",
        _el("time", act.get("timeTracked") or UNKNOWN),
        f"<score>{_score(act.get('score'))}</score>",
    ]
    if full:
        parts.append(_objectives_xml(act.get("objectives") or []))
        if act.get("runtime"):
            parts.append(_runtime_xml(act["runtime"]))
    parts.append("<children>")
    parts.extend(_activity_xml(child, full) for child in act.get("children") or [])
    parts.append("</children></activity>")
    return "".join(parts)


def _objectives_xml(objectives: list) -> str:
    out = ["<objectives>"]
    for obj in objectives:
        out.append(f"<objective id={quoteattr(str(obj.get('id') or ''))}>")
        out.append(_el("primary", bool(obj.get("primary"))))
        out.append(f"<score>{_score(obj.get('score'))}</score>")
        out.append(f"<complete>{_complete(obj.get('objectiveCompletion'))}</complete>")
        out.append(f"<success>{_success(obj.get('objectiveSuccess'))}</success>")
        out.append("</objective>")
    out.append("</objectives>")
    return "".join(out)


_RUNTIME_FIELDS = (
    ("completionStatus", "completion_status"), ("credit", "credit"), ("entry", "entry"),
    ("exit", "exit"), ("location", "location"), ("mode", "mode"),
    ("progressMeasure", "progress_measure"), ("scoreScaled", "score_scaled"),
    ("scoreRaw", "score_raw"), ("scoreMin", "score_min"), ("scoreMax", "score_max"),
    ("totalTime", "total_time"), ("timeTracked", "timetracked"),
    ("runtimeSuccessStatus", "success_status"), ("suspendData", "suspend_data"),
)


def _runtime_xml(rt: dict) -> str:
    out = ["<runtime>"]
    for key, tag in _RUNTIME_FIELDS:
        out.append(_el(tag, rt.get(key)))
    out.append("<interactions>")
    for it in rt.get("runtimeInteractions") or []:
        out.append(f"<interaction id={quoteattr(str(it.get('id') or ''))}>")
        for key in ("type", "timestamp", "weighting", "learnerResponse", "result", "latency",
                    "description"):
            out.append(_el(key.lower(), it.get(key)))
        out.append("<correct_responses>")
        out.extend(_el("response", r) for r in it.get("correctResponses") or [])
        out.append("</correct_responses></interaction>")
    out.append("</interactions></runtime>")
    return "".join(out)


def legacy_xml(progress: dict, *, results_format: str) -> str:
    """The v1 `<rsp stat="ok"><registrationreport ...>` for PROGRESS (a RegistrationSchema dict)."""
    head = (f'<?xml version="1.0" encoding="utf-8"?><rsp stat="ok"><registrationreport'
            f' format={quoteattr(results_format)} regid={quoteattr(str(progress.get("id") or ""))}'
            f' instanceid={quoteattr(str(progress.get("instance") or 0))}>')
    if results_format == "course":
        seconds = progress.get("totalSecondsTracked")
        body = (f"<complete>{_complete(progress.get('registrationCompletion'))}</complete>"
                f"<success>{_success(progress.get('registrationSuccess'))}</success>"
                f"<totaltime>{_number(None if seconds is None else round(float(seconds)))}</totaltime>"
                f"<score>{_score(progress.get('score'))}</score>")
    else:
        act = progress.get("activityDetails")
        body = _activity_xml(act, results_format == "full") if act else ""
    return head + body + "</registrationreport></rsp>"


# ---------------------------------------------------------------- the HTTP request


@dataclass(frozen=True)
class PostbackRequest:
    """One ready-to-send POST (headers may carry credentials: never log them)."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict, repr=False)


def render_data(progress: dict, *, results_format: str, legacy: bool) -> tuple[str, str]:
    """(content type, text) of the postback data for PROGRESS."""
    if legacy:
        return "text/xml; charset=utf-8", legacy_xml(progress, results_format=results_format)
    return "application/json", json.dumps(progress, separators=(",", ":"), ensure_ascii=False,
                                          default=str)


def build_request(progress: dict, *, config: PostbackConfig) -> PostbackRequest:
    """The POST that delivers PROGRESS to CONFIG's receiver (form fields or HTTP Basic)."""
    content_type, data = render_data(progress, results_format=config.results_format,
                                     legacy=config.legacy)
    if config.auth_type == "httpbasic":
        headers = {"Content-Type": content_type}
        if config.user_name or config.password:
            token = base64.b64encode(f"{config.user_name}:{config.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return PostbackRequest(config.url, data.encode("utf-8"), headers)
    form = urlencode({"data": data, "userName": config.user_name, "password": config.password})
    return PostbackRequest(config.url, form.encode("ascii"),
                           {"Content-Type": "application/x-www-form-urlencoded"})


# ---------------------------------------------------------------- the sample for postBackTest


def sample_progress(*, results_format: str) -> dict:
    """A made-up registration's progress in RESULTS_FORMAT (what TestRegistrationPostback sends)."""
    opts = progress_options(results_format)
    progress = {
        "id": "postback-test-registration", "instance": 0,
        "xapiRegistrationId": "00000000-0000-4000-8000-000000000000",
        "updated": "2024-01-01T00:05:26.000Z",
        "registrationCompletion": "COMPLETED", "registrationCompletionAmount": 1.0,
        "registrationSuccess": "PASSED", "score": {"scaled": 100.0}, "totalSecondsTracked": 326.0,
        "firstAccessDate": "2024-01-01T00:00:00.000Z", "lastAccessDate": "2024-01-01T00:05:26.000Z",
        "completedDate": "2024-01-01T00:05:26.000Z", "createdDate": "2024-01-01T00:00:00.000Z",
        "course": {"id": "postback-test-course", "title": "Postback test course", "version": 0},
        "learner": {"id": "postback-test-learner", "firstName": "Test", "lastName": "Learner"},
        "tags": [],
    }
    if not opts["include_child_results"]:
        return progress
    sco = {
        "id": "postback-test-sco", "title": "Postback test SCO", "attempts": 1,
        "activityCompletion": "COMPLETED", "activitySuccess": "PASSED", "score": {"scaled": 100.0},
        "timeTracked": "0000:05:26.00", "completionAmount": {"scaled": 100.0}, "suspended": False,
        "children": [],
    }
    if opts["include_interactions_and_objectives"]:
        sco["objectives"] = [{"id": "postback-test-objective", "primary": True,
                              "score": {"scaled": 100.0}, "objectiveCompletion": "COMPLETED",
                              "objectiveSuccess": "PASSED"}]
    if opts["include_runtime"]:
        sco["runtime"] = {
            "completionStatus": "completed", "credit": "Credit", "entry": "AbInitio",
            "exit": "Unknown", "location": None, "mode": "Normal", "progressMeasure": "1",
            "scoreScaled": "1", "scoreRaw": "100", "scoreMin": "0", "scoreMax": "100",
            "totalTime": "0000:05:26.00", "timeTracked": "0000:05:26.00",
            "runtimeSuccessStatus": "Passed", "suspendData": "", "learnerComments": [],
            "lmsComments": [], "runtimeObjectives": [],
            "runtimeInteractions": [{"id": "q1", "type": "Choice", "objectives": [],
                                     "timestamp": "2024-01-01T00:01:00.000Z",
                                     "correctResponses": ["a"], "weighting": "1",
                                     "learnerResponse": "a", "result": "correct",
                                     "latency": "0000:00:05.00", "description": "Question 1"}],
        }
    progress["activityDetails"] = {
        "id": "postback-test-course-root", "title": "Postback test course", "attempts": 1,
        "activityCompletion": "COMPLETED", "activitySuccess": "PASSED", "score": {"scaled": 100.0},
        "timeTracked": "0000:05:26.00", "completionAmount": {"scaled": 100.0}, "suspended": False,
        "children": [sco],
    }
    return progress
