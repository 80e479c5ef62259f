"""The xAPI LMS type: statements PUT to the LMS's LRS endpoint with its key and secret (Basic).

Each statement is PUT with its own id (xAPI 1.0.3 Communication §2.1.1), so sending it again is
never a duplicate: the LRS answers 204 (or 200), or 409 when it holds that id already, which
counts as delivered."""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit, urlunsplit

from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import InvalidInput
from coursehost.domain.lms.types.base import CANT_CONNECT, SERVER_ERROR, DeliveryFailed, PropertyInput
from coursehost.outbound import AddressPolicy, OutboundClient, OutboundError

XAPI_VERSION = "1.0.3"
MAX_URL = 2000
MAX_KEY = 255
MAX_SECRET = 1000


def redact(url: str) -> str:
    """URL without user info, query or fragment (those may hold credentials)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return urlunsplit((parts.scheme, f"{host}:{parts.port}" if parts.port else host, parts.path, "", ""))
    except ValueError:
        return "(unparseable URL)"


def check_url(url: str | None, *, allow_private_urls: bool) -> str:
    """URL if it is an absolute http(s) URL the outbound guard allows, else InvalidInput."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        raise InvalidInput("xapiUrl must be an absolute http or https URL (the LRS endpoint)")
    try:
        AddressPolicy(allow_private=allow_private_urls).check_url(url)
    except OutboundError as exc:
        raise InvalidInput(f"xapiUrl: {exc}") from None
    return url


class XapiType:
    name = "xapi"

    def stored_properties(self, given: PropertyInput, *, previous: dict | None, box: SecretBox,
                          allow_private_urls: bool) -> dict:
        previous = previous or {}
        url = check_url(given.url if given.url is not None else previous.get("url"),
                        allow_private_urls=allow_private_urls)
        key = (given.key if given.key is not None else previous.get("key") or "").strip()
        if not key or len(key) > MAX_KEY or any(ch in key for ch in ":\r\n"):
            raise InvalidInput(f"xapiKey is required: the LRS key, at most {MAX_KEY} characters, no colon")
        if given.secret is not None:
            if not given.secret or len(given.secret) > MAX_SECRET or any(ch in given.secret for ch in "\r\n"):
                raise InvalidInput(f"xapiSecret is required: the LRS key's secret, at most {MAX_SECRET} characters")
            secret = box.encrypt(given.secret)
        elif previous.get("secretEncrypted"):
            secret = previous["secretEncrypted"]
        else:
            raise InvalidInput("xapiSecret is required: the LRS key's secret")
        return {"url": url, "key": key, "secretEncrypted": secret}

    def public_properties(self, stored: dict) -> dict:
        return {"url": stored.get("url"), "key": stored.get("key")}

    def send_statement(self, stored: dict, statement: dict, *, box: SecretBox, client: OutboundClient) -> None:
        url = stored["url"].rstrip("/") + "/statements"
        where = redact(url)
        try:
            secret = box.decrypt(stored.get("secretEncrypted") or "")
        except ValueError as exc:
            raise DeliveryFailed(SERVER_ERROR, f"the xAPI secret cannot be read: {exc}") from None
        body = json.dumps(statement, separators=(",", ":")).encode()
        headers = {"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"}
        try:
            with client.stream("PUT", url + "?" + urlencode({"statementId": statement["id"]}), content=body,
                               headers=headers, auth=(stored.get("key") or "", secret)) as response:
                status = response.status_code
        except OutboundError as exc:  # the client's words: DNS, refused, timeout, TLS, refused target
            raise DeliveryFailed(CANT_CONNECT, f"cannot connect to {where}: {exc}") from None
        if status in (200, 204, 409):  # 409: the LRS holds this statement id already
            return
        raise DeliveryFailed(SERVER_ERROR, f"{where} answered HTTP {status}")


TYPE = XapiType()
