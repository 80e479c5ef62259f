"""The statements resource (xAPI 1.0.3 Communication §2.1; 9274.1.1 4.1.6.1): PUT one, POST one
or many (JSON or multipart/mixed with attachments), GET by id, by voided id, or by query."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

from coursehost.db.session import unit_of_work
from coursehost.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from coursehost.domain.lrs import statement_query as sq
from coursehost.domain.lrs.attachments import all_attachments, load_attachments
from coursehost.domain.lrs.multipart import attachment_parts, build_multipart, parse_multipart
from coursehost.domain.lrs.statement_format import parse_accept_language
from coursehost.domain.lrs.statements import Writer, format_timestamp, store_statements
from coursehost.domain.lrs.validation import is_uuid
from coursehost.lrs_http.request import AFTER_STORE
from coursehost.lrs_http.response import XapiResponse, error_result, resource
from coursehost.web import json_input
from coursehost.web.json_input import JsonSyntaxError

SINGLE_EXTRAS = {"format", "attachments"}


def _writer(request) -> Writer:
    principal = request.principal
    if not principal.can_write:
        raise Forbidden("This credential may not write statements")
    return Writer(principal.app_pk, principal.credential_id, principal.authority)


def statements_body(request) -> tuple[object, dict[str, tuple[str, bytes]]]:
    """The statements and the attachment parts of a JSON or multipart/mixed body."""
    if request.content_type == "multipart/mixed":
        parts = parse_multipart(request.body, request.headers.get("content-type", ""))
        if not parts or parts[0].headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise InvalidInput("The first part of a multipart/mixed statement request must be application/json")
        try:
            body = json_input.loads(parts[0].body, what="first part")
        except JsonSyntaxError:
            raise InvalidInput("The first part is not valid JSON") from None
        return body, attachment_parts(parts, require_binary=True)
    if request.content_type != "application/json":
        raise InvalidInput("Statements are sent as application/json or multipart/mixed")
    return request.json(), {}


def _after_store(request, session) -> None:
    """What the request asks to happen in the write's transaction once its statements are stored."""
    hook = request.extra.get(AFTER_STORE)
    if hook is not None:
        hook(session)


@resource("statements", "PUT")
def put_statement(request, services) -> XapiResponse:
    """Store the statement with id ?statementId= (204; 409 when a different one has that id)."""
    writer = _writer(request)
    statement_id = request.require("statementId")
    extra = sorted(set(request.params) - {"statementId"})
    if extra:
        raise InvalidInput(f"PUT statements takes only statementId (got {extra[0]})")
    if not is_uuid(statement_id):
        raise InvalidInput("statementId must be a UUID")
    body, parts = statements_body(request)
    if not isinstance(body, dict):
        raise InvalidInput("PUT statements takes one statement object")
    with unit_of_work(services.session_factory) as session:
        store_statements(session, writer=writer, body=body, version=request.version, attachments=parts,
                         statement_id=statement_id, store=services.store)
        _after_store(request, session)
    return XapiResponse.empty(204)


@resource("statements", "POST")
def post_statements(request, services) -> XapiResponse:
    """Store one statement or an array of them; answers their ids in order."""
    writer = _writer(request)
    if request.params:
        raise InvalidInput(f"POST statements takes no query parameters (got {sorted(request.params)[0]})")
    body, parts = statements_body(request)
    with unit_of_work(services.session_factory) as session:
        ids = store_statements(session, writer=writer, body=body, version=request.version, attachments=parts,
                               store=services.store)
        _after_store(request, session)
    return XapiResponse.json(ids)


@resource("statements", "GET")
def get_statements(request, services) -> XapiResponse:
    """GET statements; errors too carry X-Experience-API-Consistent-Through (Communication
    §2.1.3: "regardless of the code returned", XAPI-00153)."""
    try:
        return _get_statements(request, services)
    except DomainError as exc:
        return error_result(exc, _consistency())


def _consistency() -> dict[str, str]:
    return {"X-Experience-API-Consistent-Through": format_timestamp(datetime.now(UTC))}


def _get_statements(request, services) -> XapiResponse:
    principal = request.principal
    if not principal.can_read:
        raise Forbidden("This credential may not read statements")
    params = request.params
    json_input.check_params(params)
    single = [name for name in sq.SINGLE if name in params]
    if single:
        return _get_one(request, services, single)
    if "more" in params:
        if len(params) != 1:
            raise InvalidInput("more takes no other parameters")
        query = sq.decode_more(params["more"], version=request.version)
        json_input.check_params(query.params)  # a cursor is not signed: its values are input too
    else:
        query = sq.parse_query(params, version=request.version)
    languages = parse_accept_language(request.header("accept-language"))
    with unit_of_work(services.read_session_factory) as session:
        statements, more, stored = sq.find_statements(
            session, app_pk=principal.app_pk, query=query, credential_id=principal.credential_id,
            reads_all=principal.reads_all)
        definitions = sq.canonical_definitions(session, app_pk=principal.app_pk, statements=statements) \
            if query.format == "canonical" else {}
        result = {"statements": sq.present(statements, query, languages=languages, definitions=definitions),
                  "more": f"/lrs/{principal.app_id}/statements?more={sq.encode_more(query, more)}" if more else ""}
        files = _files(session, services.store, principal.app_pk, statements) if query.attachments else None
    last = max(stored) if stored else datetime.now(UTC)
    return _answer(result, files, last)


def _get_one(request, services, single: list[str]) -> XapiResponse:
    params = request.params
    if len(single) > 1:
        raise InvalidInput("statementId and voidedStatementId cannot be used together")
    extra = sorted(set(params) - set(single) - SINGLE_EXTRAS)
    if extra:
        raise InvalidInput(f"{single[0]} can be combined only with format and attachments (got {extra[0]})")
    statement_id = params[single[0]]
    query = sq.parse_query({k: v for k, v in params.items() if k in SINGLE_EXTRAS}, version=request.version)
    if not is_uuid(statement_id):
        raise InvalidInput(f"{single[0]} must be a UUID")
    principal = request.principal
    with unit_of_work(services.read_session_factory) as session:
        found = sq.get_statement(session, app_pk=principal.app_pk, statement_id=statement_id,
                                 voided=single[0] == "voidedStatementId", credential_id=principal.credential_id,
                                 reads_all=principal.reads_all)
        if found is None:
            raise NotFound(f"No statement {statement_id}")
        statement, stored = found
        definitions = sq.canonical_definitions(session, app_pk=principal.app_pk, statements=[statement]) \
            if query.format == "canonical" else {}
        files = _files(session, services.store, principal.app_pk, [statement]) if query.attachments else None
    languages = parse_accept_language(request.header("accept-language"))
    shown = sq.present([statement], query, languages=languages, definitions=definitions)[0]
    return _answer(shown, files, stored)


def _files(session, store, app_pk: int, statements: list[dict]) -> dict[str, tuple[str, bytes]]:
    hashes = {att["sha2"] for st in statements for att in all_attachments(st)}
    return load_attachments(session, store=store, app_pk=app_pk, hashes=hashes) if hashes else {}


def _answer(payload: object, files: dict | None, last: datetime) -> XapiResponse:
    """JSON, or multipart/mixed when attachments=true (Communication §2.1.3), with
    X-Experience-API-Consistent-Through and Last-Modified."""
    headers = {**_consistency(), "Last-Modified": format_datetime(last.astimezone(UTC), usegmt=True)}
    if files is None:
        return XapiResponse.json(payload, 200, headers)
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    body, content_type = build_multipart(data, files)
    return XapiResponse(200, body, content_type, headers)
