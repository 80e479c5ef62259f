"""multipart/mixed bodies of statements with attachments (xAPI 1.0.3 Communication §1.5.2;
9274.1.1 4.1.6.1): the first part is the statements' JSON, each further part one attachment's raw
content named by its X-Experience-API-Hash header."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from coursehost.domain.errors import InvalidInput

_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)


@dataclass
class Part:
    headers: dict[str, str]
    body: bytes


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a multipart Content-Type; 400 when missing."""
    m = _BOUNDARY.search(content_type or "")
    if not m:
        raise InvalidInput("multipart/mixed needs a boundary parameter")
    return m.group(1) or m.group(2)


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """The parts of a multipart body (RFC 2046 §5.1.1); 400 when it is not well formed."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise InvalidInput("The multipart body is not terminated by its closing boundary")
    parts = []
    for chunk in chunks[1:-1]:
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        elif chunk.startswith(b"\n"):
            chunk = chunk[1:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        elif chunk.endswith(b"\n"):
            chunk = chunk[:-1]
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = chunk.partition(b"\n\n")
        if not sep:
            if chunk.startswith(b"\r\n") or chunk.startswith(b"\n"):
                head, content = b"", chunk.lstrip(b"\r\n")
            else:
                raise InvalidInput("A multipart part has no header block")
        headers = {}
        for line in head.decode("latin-1").splitlines():
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        parts.append(Part(headers, content))
    return parts


def attachment_parts(parts: list[Part], *, require_binary: bool) -> dict[str, tuple[str, bytes]]:
    """{sha2: (content type, content)} of the attachment parts (all parts but the first); each
    needs X-Experience-API-Hash and Content-Transfer-Encoding: binary (1.0.3 §1.5.2; 9274.1.1
    4.1.5.2, XAPI-00135)."""
    found: dict[str, tuple[str, bytes]] = {}
    for part in parts[1:]:
        sha2 = part.headers.get("x-experience-api-hash")
        if not sha2:
            raise InvalidInput("An attachment part has no X-Experience-API-Hash header")
        encoding = part.headers.get("content-transfer-encoding")
        if require_binary and (encoding or "").lower() != "binary":
            raise InvalidInput("An attachment part needs Content-Transfer-Encoding: binary")
        found[sha2] = (part.headers.get("content-type", "application/octet-stream"), part.body)
    return found


def build_multipart(statements_json: bytes, attachments: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/mixed body: the JSON first, then each attachment; returns (body, content type)."""
    boundary = uuid.uuid4().hex
    out = [b"--" + boundary.encode() + b"\r\nContent-Type: application/json\r\n\r\n" + statements_json]
    for sha2, (ctype, content) in attachments.items():
        out.append(b"--" + boundary.encode() + (
            f"\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n").encode("latin-1") + content)
    body = b"\r\n".join(out) + b"\r\n--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/mixed; boundary={boundary}"
