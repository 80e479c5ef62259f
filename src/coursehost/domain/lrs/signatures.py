"""Signed statements (xAPI 1.0.3 Data §2.6; 9274.1.1 4.2.4.5): a JWS (RFC 7515 compact
serialisation) attached with usageType .../signature and contentType application/octet-stream,
signed with RS256/RS384/RS512, whose payload is the statement before the signature was added."""

from __future__ import annotations

import base64
import json

import jwt
from cryptography import x509

from coursehost.domain.errors import InvalidInput
from coursehost.domain.lrs.comparison import same_statement

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
ALGORITHMS = ("RS256", "RS384", "RS512")


def check_signatures(statements: list[dict], parts: dict[str, tuple[str, bytes]]) -> None:
    """400 for any malformed signature among STATEMENTS (Data §2.6: the LRS MUST reject them)."""
    for stmt in statements:
        for att in stmt.get("attachments") or []:
            if att.get("usageType") != SIGNATURE:
                continue
            if att["contentType"].split(";")[0].strip().lower() != "application/octet-stream":
                raise InvalidInput("A signature attachment must have contentType application/octet-stream")
            part = parts.get(att["sha2"])
            if part is None:
                raise InvalidInput("A signature attachment must be sent as a part, not by fileUrl")
            _check_jws(part[1], stmt, att)


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _check_jws(token: bytes, stmt: dict, signature_att: dict) -> None:
    try:
        header_b64, payload_b64, sig_b64 = token.decode("ascii").strip().split(".")
        header = json.loads(_b64(header_b64))
        payload = json.loads(_b64(payload_b64))
        _b64(sig_b64)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The signature is not a JWS in compact serialisation with a JSON payload") from None
    if not isinstance(header, dict) or header.get("alg") not in ALGORITHMS:
        raise InvalidInput("The signature must use RS256, RS384 or RS512 (Data §2.6)")
    if not isinstance(payload, dict):
        raise InvalidInput("The signature payload must be a statement")
    if "x5c" in header:
        _verify_with_x5c(token.decode("ascii").strip(), header)
    if not same_statement(_unsigned(stmt, signature_att), _unsigned(payload, signature_att),
                          ignore_timestamp="timestamp" not in payload, ignore_id="id" not in payload):
        raise InvalidInput("The signature payload does not match the statement (Data §2.6)")


def _unsigned(stmt: dict, signature_att: dict) -> dict:
    """The statement without the signature attachment (the payload was signed before it was added)."""
    out = dict(stmt)
    kept = [a for a in stmt.get("attachments") or [] if a != signature_att and a.get("usageType") != SIGNATURE]
    if kept:
        out["attachments"] = kept
    else:
        out.pop("attachments", None)
    return out


def _verify_with_x5c(token: str, header: dict) -> None:
    """When the JWS carries its certificate chain, the signature must verify with its first key."""
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        jwt.api_jws.PyJWS().decode(token, cert.public_key(), algorithms=list(ALGORITHMS))
    except Exception:
        raise InvalidInput("The signature does not verify with the key of its x5c certificate") from None
