"""The strict JSON reader every HTTP adapter uses for request bodies and JSON-valued query parameters.

Python's json.loads is lenient where a database or the code after it is not: it accepts "\\ud800"
(a lone surrogate no database can encode), NaN and Infinity (not JSON, RFC 8259 §6), 1e400 (read as
inf) and nesting deep enough to exhaust the stack. Here each is a 400 naming the problem."""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from coursehost.domain.errors import InvalidInput
from coursehost.domain.text import lone_surrogate

#: Deepest nesting accepted. Run-time data, statements and API bodies are a few levels deep; the code
#: that walks a parsed value (validation, serialisation) recurses, so the cap stays far below the stack.
MAX_DEPTH = 100
_BOM = "\ufeff"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonInputError(InvalidInput):
    """A body or parameter that is not acceptable JSON (HTTP 400); the message names the problem."""


class JsonSyntaxError(JsonInputError):
    """Not JSON at all (a syntax error): callers that word this case themselves catch it."""


def loads(raw: bytes | str, *, what: str = "body", max_depth: int = MAX_DEPTH) -> Any:
    """RAW (UTF-8 bytes or text) parsed strictly; JsonInputError naming the problem and WHAT."""
    text = _decode(raw, what)
    # Text decoded from UTF-8 holds no surrogate code point, so a parsed string can hold one only
    # through a \uD800-\uDFFF escape: without one, the walk below checks the depth alone.
    strings = isinstance(raw, str) or _SURROGATE_ESCAPE.search(text) is not None
    if text.startswith(_BOM):
        raise JsonInputError(f"invalid JSON: the {what} starts with a byte order mark (RFC 8259 §8.1)")
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except RecursionError:
        raise _too_deep(what, max_depth) from None
    except JsonInputError:
        raise
    except ValueError as exc:
        raise JsonSyntaxError(f"invalid JSON in the {what}: {exc}") from None
    _check_value(value, what, max_depth, strings=strings)
    return value


def check(raw: bytes | str, *, what: str = "body", max_depth: int = MAX_DEPTH) -> None:
    """JsonInputError when RAW is JSON that must be refused (surrogates, depth, NaN, huge numbers,
    not UTF-8); plain syntax errors pass, for a caller that reports them in its own words."""
    with contextlib.suppress(JsonSyntaxError):
        loads(raw, what=what, max_depth=max_depth)


def check_params(params: dict[str, str], *, json_names: tuple[str, ...] = ("agent",)) -> None:
    """JsonInputError when a query value holds a lone surrogate (a decoded cursor can) or when one of
    JSON_NAMES holds JSON that must be refused; plain syntax errors pass, as in check."""
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        if name in json_names:
            check(value, what=f"{name} parameter")
        else:
            _check_string(value, f"{name} parameter", "$")


def _decode(raw: bytes | str, what: str) -> str:
    if isinstance(raw, str):
        return raw
    if json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):  # json.loads would read UTF-16/32
        raise JsonInputError(f"invalid JSON: the {what} is not UTF-8 (RFC 8259 §8.1)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 2]
        if len(bad) == 2 and bad[0] == 0xED and bad[1] >= 0xA0:  # UTF-8 of U+D800..U+DFFF
            raise JsonInputError(f"invalid JSON: lone surrogate encoded in the {what} at byte {exc.start} "
                                 f"(not valid UTF-8)") from None
        raise JsonInputError(f"invalid JSON: the {what} is not valid UTF-8 (byte {exc.start})") from None


def _constant(name: str) -> Any:
    raise JsonInputError(f"invalid JSON: {name} is not a JSON number (RFC 8259 §6)")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError(f"invalid JSON: the number {text[:40]} is out of range")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        raise JsonInputError(f"invalid JSON: a number of {len(text)} digits is too long") from None


def _too_deep(what: str, max_depth: int) -> JsonInputError:
    return JsonInputError(f"invalid JSON: nested too deeply (JSON nested deeper than {max_depth} levels "
                          f"in the {what})")


def _check_value(value: Any, what: str, max_depth: int, *, strings: bool = True) -> None:
    """Walk VALUE without recursing: its depth, and (STRINGS) every key and string for lone surrogates."""
    if not strings:
        _check_depth(value, what, max_depth)
        return
    stack: list[tuple[Any, int, str]] = [(value, 0, "$")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            _check_string(item, what, path)
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise _too_deep(what, max_depth)
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_string(key, what, f"{path} (a key)")
                    stack.append((child, depth + 1, f"{path}.{key}"))
            else:
                stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(item))


def _check_depth(value: Any, what: str, max_depth: int) -> None:
    """Only the nesting depth of VALUE: containers are visited, scalars never (no paths are built)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        if depth >= max_depth:
            raise _too_deep(what, max_depth)
        depth += 1
        level = [child for item in level for child in (item.values() if isinstance(item, dict) else item)
                 if isinstance(child, dict | list)]


def _check_string(text: str, what: str, path: str) -> None:
    code = lone_surrogate(text)
    if code is not None:
        where = path.encode("utf-8", "backslashreplace").decode("ascii")[:200]
        raise JsonInputError(f"invalid JSON: lone surrogate {code} at {where} in the {what}")


def _json_media_type(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of CONTENT_TYPE as JSON (absent, */json or */*+json)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.endswith("/json") or media.endswith("+json")


class StrictJsonRoute(APIRoute):
    """An API route whose JSON body is checked by this module before FastAPI parses and validates it:
    a lone surrogate, NaN or deep nesting is a 400 naming the problem, never a database error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = self.checked_route_handler()

        async def strict_handler(request: Request) -> Response:
            if request.method not in ("GET", "HEAD") and _json_media_type(request.headers.get("content-type")):
                body = await request.body()  # kept by the request: FastAPI reads the same bytes next
                if body:
                    check(body)
            return await handler(request)

        return strict_handler

    def checked_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """What runs once the body has passed the check: FastAPI's handler (a subclass may wrap it)."""
        return super().get_route_handler()
