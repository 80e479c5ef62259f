"""An xAPI request as the resources see it: the alternate request syntax already unwrapped, the
version negotiated, the caller authenticated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from coursehost.domain.errors import InvalidInput
from coursehost.domain.lrs.versions import V1
from coursehost.web import json_input
from coursehost.web.json_input import JsonSyntaxError

#: Header names the alternate request syntax may carry in its form (xAPI 1.0.3 Communication §1.3).
ALTERNATE_HEADERS = {
    "authorization", "x-experience-api-version", "content-type", "content-length", "if-match",
    "if-none-match",
}


@dataclass(frozen=True)
class LrsPrincipal:
    """Who is writing or reading: the application's LRS, the activity-provider credential (None for
    the application's own API credentials), its permission level and the authority it stamps."""

    app_pk: int
    app_id: str
    credential_id: str | None
    permissions: str  # DEFAULT | USER | ROOT | READONLY | WRITEONLY
    authority: dict
    cmi5: Any = None  # the cmi5 AU session (domain.cmi5.launch.Cmi5Session) an AU's auth token opens

    @property
    def can_write(self) -> bool:
        return self.permissions != "READONLY"

    @property
    def can_read(self) -> bool:
        return self.permissions != "WRITEONLY"

    @property
    def reads_all(self) -> bool:
        """ROOT and READONLY read every statement; DEFAULT and USER only those they wrote."""
        return self.permissions in ("ROOT", "READONLY")


#: XapiRequest.extra key: a function (session) that a statements write runs in its own transaction
#: once the statements are stored (cmi5: the AU's results, recorded with the statements that made them).
AFTER_STORE = "after_store"


@dataclass
class XapiRequest:
    method: str
    resource: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    version: str = V1
    principal: LrsPrincipal | None = None
    alternate: bool = False
    base_url: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ("" when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON; 400 naming the problem when it is not."""
        try:
            return json_input.loads(self.body, what="request body")
        except JsonSyntaxError as exc:
            raise InvalidInput(f"The request body is not valid JSON: {exc}") from None

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if value is None:
            raise InvalidInput(f"The {name} parameter is required")
        return value


def single_params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Query parameters as a dict; a parameter given twice is a 400 (which one would win?)."""
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise InvalidInput(f"The {key} parameter is given more than once")
        params[key] = value
    return params


def unwrap_alternate(method: str, params: dict[str, str], headers: dict[str, str],
                     body: bytes) -> tuple[str, dict[str, str], dict[str, str], bytes]:
    """The request an alternate-syntax POST stands for (xAPI 1.0.3 Communication §1.3): the method
    comes from the `method` query parameter (the only one allowed), headers and `content` from the
    form body, every other form field is a query parameter."""
    if set(params) != {"method"}:
        extra = sorted(set(params) - {"method"})
        raise InvalidInput(f"With the alternate request syntax the only query parameter allowed is "
                           f"method (got {', '.join(extra)})")
    wanted = params["method"].upper()
    if wanted not in ("GET", "PUT", "POST", "DELETE", "HEAD"):
        raise InvalidInput(f"method={params['method']!r} is not an HTTP method the LRS serves")
    if headers.get("content-type", "").split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise InvalidInput("The alternate request syntax needs Content-Type application/x-www-form-urlencoded")
    try:
        form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise InvalidInput("The alternate request syntax form is not UTF-8") from None
    new_headers = {k: v for k, v in headers.items() if k not in ("content-type", "content-length")}
    new_params: dict[str, str] = {}
    content = b""
    for key, value in form:
        lower = key.lower()
        if lower in ALTERNATE_HEADERS:
            new_headers[lower] = value
        elif key == "content":
            content = value.encode("utf-8")
        elif key in new_params:
            raise InvalidInput(f"The {key} parameter is given more than once")
        else:
            new_params[key] = value
    if content and "content-type" not in new_headers:
        new_headers["content-type"] = "application/json"
    return wanted, new_params, new_headers, content
