"""The official API's paging on the wire: filters as query parameters, an opaque signed `more`
token that carries them to the next page, and X-Total-Count on the first page; and the since /
until / more of the statement operations of CourseApi and RegistrationApi (XapiStatementResult)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request, Response
from sqlalchemy import Select
from sqlalchemy.orm import Session

from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.schemas.xapi import XapiStatementResult
from coursehost.domain.crypto import derive_key
from coursehost.domain.lrs import reports
from coursehost.domain.paging import ListQuery, ListSpec, Page, fetch_page
from coursehost.web import services

FILTER_PARAMS = ("since", "until", "datetimeFilter", "filter", "filterBy", "orderBy")
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


def parse_bool(request: Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter; anything but true/false is a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ApiError(400, f"Invalid value for {name}: [{raw}]; expected true or false")


def parse_datetime(name: str, raw: str | None) -> datetime | None:
    """ISO 8601; a time without a zone is UTC (as the official API documents)."""
    if raw is None or raw == "":
        return None
    text = raw.strip().replace(" ", "+") if "T" in raw else raw.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"Invalid value for {name}: [{raw}]; expected an ISO 8601 timestamp") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass
class ListRequest:
    """A parsed list request: the filters and where the page starts."""

    query: ListQuery
    after: list | None
    include_total: bool


def _signer(request: Request) -> bytes:
    return derive_key(services(request).instance_key, "paging-token")


def encode_more(request: Request, query: ListQuery, after: list, scope: str) -> str:
    """An opaque token: the filters and keyset, signed so it cannot be altered or moved to another list."""
    body = {
        "s": scope,
        "q": {
            "since": query.since.isoformat() if query.since else None,
            "until": query.until.isoformat() if query.until else None,
            "dt": query.datetime_filter, "f": query.filter, "fb": query.filter_by,
            "ob": query.order_by, "x": query.extra,
        },
        "a": after,
    }
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(_signer(request), raw, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac + raw).decode().rstrip("=")


def decode_more(request: Request, token: str, scope: str) -> tuple[ListQuery, list]:
    """The filters and keyset of a `more` token issued for SCOPE, else a 400."""
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        mac, raw = blob[:16], blob[16:]
        ok = hmac.compare_digest(mac, hmac.new(_signer(request), raw, hashlib.sha256).digest()[:16])
        body = json.loads(raw) if ok else None
    except (ValueError, json.JSONDecodeError):
        body = None
    if not body or body.get("s") != scope:
        raise ApiError(400, "Invalid value for more: not a paging token issued for this list")
    q = body["q"]
    query = ListQuery(
        since=datetime.fromisoformat(q["since"]) if q["since"] else None,
        until=datetime.fromisoformat(q["until"]) if q["until"] else None,
        datetime_filter=q["dt"], filter=q["f"], filter_by=q["fb"], order_by=q["ob"], extra=q["x"] or {},
    )
    return query, body["a"]


def parse_list_request(request: Request, spec: ListSpec, *, scope: str, extra: dict | None = None) -> ListRequest:
    """Read the filters from the query string, or from `more` (which may not be combined with them)."""
    params = request.query_params
    more = params.get("more")
    if more:
        given = [p for p in (*FILTER_PARAMS, *(extra or {})) if params.get(p) not in (None, "")]
        if given:
            raise ApiError(400, f"more cannot be combined with other filters ({', '.join(given)})")
        query, after = decode_more(request, more, scope)
        return ListRequest(query=query, after=after, include_total=False)
    query = ListQuery(
        since=parse_datetime("since", params.get("since")),
        until=parse_datetime("until", params.get("until")),
        datetime_filter=params.get("datetimeFilter") or None,
        filter=params.get("filter") or None,
        filter_by=params.get("filterBy") or None,
        order_by=params.get("orderBy") or None,
        extra=extra or {},
    ).validated(spec)
    return ListRequest(query=query, after=None, include_total=parse_bool(request, "includeTotalCount"))


def run_list(
    request: Request, response: Response, session: Session, stmt: Select, spec: ListSpec,
    listing: ListRequest, *, scope: str,
) -> tuple[list, str | None]:
    """Fetch one page for LISTING; set X-Total-Count when asked; return the rows and the `more` token."""
    page: Page = fetch_page(
        session, stmt, spec=spec, query=listing.query, after=listing.after,
        limit=services(request).settings.page_size, count_total=listing.include_total,
    )
    if page.total is not None:
        response.headers["X-Total-Count"] = str(page.total)
    more = encode_more(request, listing.query, page.after, scope) if page.after else None
    return page.rows, more


def statement_result(request: Request, session: Session, *, app_pk: int, registration_ids: Select | list[str],
                     window: tuple[datetime, datetime | None] | None = None) -> XapiStatementResult:
    """One page of the statements of REGISTRATION_IDS (since / until / more from the query string)."""
    statements, more = reports.statements_page(
        session, app_pk=app_pk, registration_ids=registration_ids, window=window,
        since=parse_datetime("since", request.query_params.get("since")),
        until=parse_datetime("until", request.query_params.get("until")),
        more=request.query_params.get("more"))
    return XapiStatementResult(statements=statements, more=more)
