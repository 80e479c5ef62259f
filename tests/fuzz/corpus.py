"""Hostile request bodies, by hand: each is answered with a 4xx, never a 5xx, and stores nothing.

A case is (id, body bytes). Whole-body cases break the document itself; value cases put one hostile
JSON value (or key) into a place of an otherwise valid body, where it would be stored if let through."""

from __future__ import annotations

import json

DEPTH = 100_000


def hostile_values(depth: int = DEPTH) -> list[tuple[str, str]]:
    """Hostile JSON values, as JSON text (nested DEPTH deep where nesting is the point)."""
    return [
        ("lone-high-surrogate", '"\\ud800"'),
        ("lone-low-surrogate", '"\\udfff"'),
        ("surrogate-inside-text", '"ab\\udbffcd"'),
        ("pair-reversed", '"\\ude00\\ud83d"'),
        ("nan", "NaN"),
        ("infinity", "Infinity"),
        ("minus-infinity", "-Infinity"),
        ("float-overflow", "1e400"),
        ("negative-float-overflow", "-1e400"),
        ("integer-5000-digits", "1" + "0" * 5000),
        ("deep-array", "[" * depth + "]" * depth),
        ("deep-object", '{"a":' * depth + "1" + "}" * depth),
    ]


#: Hostile object keys, as JSON text.
KEYS: list[tuple[str, str]] = [
    ("key-lone-surrogate", '"\\ud800"'),
    ("key-surrogate-inside", '"http://example.com/\\udc80"'),
]


def whole_bodies(valid: bytes) -> list[tuple[str, bytes]]:
    """Cases that break the document VALID itself: truncation, encodings, marks, non-objects."""
    return [
        ("empty", b""),
        ("whitespace", b"  \n\t "),
        ("truncated-half", valid[: len(valid) // 2]),
        ("truncated-last-byte", valid[:-1]),
        ("utf8-bom", b"\xef\xbb\xbf" + valid),
        ("utf16-le-bom", "\ufeff".encode("utf-16-le") + valid.decode().encode("utf-16-le")),
        ("utf16-be", valid.decode().encode("utf-16-be")),
        ("invalid-utf8", valid.replace(b"{", b"{\xff", 1)),
        ("utf8-encoded-surrogate", valid.replace(b'"', b'"\xed\xa0\x80', 1)),
        ("overlong-utf8", valid.replace(b'"', b'"\xc0\xaf', 1)),
        ("nul-bytes", b"\x00" * 16),
        ("null", b"null"),
        ("number", b"42"),
        ("string", b'"x"'),
        ("nan-literal", b"NaN"),
        ("deep-array-body", b"[" * DEPTH + b"]" * DEPTH),
        ("deep-unclosed", b"[" * DEPTH),
        ("trailing-garbage", valid + b"}}"),
        ("two-documents", valid + valid),
    ]


def value_bodies(template: dict, places: list[str], harmless: dict[str, str] | None = None,
                 depth: int = DEPTH) -> list[tuple[str, bytes]]:
    """TEMPLATE with "@P@" strings (values) and "@P@" keys (keys) at PLACES, each filled with every
    hostile value or key in turn; the other places get HARMLESS JSON text (default: the place's name)."""
    harmless = harmless or {}
    text = json.dumps(template)
    cases = []
    for place in places:
        for name, raw in hostile_values(depth) + KEYS:
            is_key = f'"@{place}@":' in text
            if (name.startswith("key-")) != is_key:
                continue
            body = text.replace(f'"@{place}@"', raw)
            for other in places:
                body = body.replace(f'"@{other}@"', harmless.get(other, f'"{other.lower()}"'))
            cases.append((f"{place}-{name}", body.encode()))
    return cases


def filled(template: dict, places: list[str], harmless: dict[str, str] | None = None) -> bytes:
    """TEMPLATE with every place given harmless text: the valid body the cases spoil."""
    text = json.dumps(template)
    for place in places:
        text = text.replace(f'"@{place}@"', (harmless or {}).get(place, f'"{place.lower()}"'))
    return text.encode()


def statement_template() -> tuple[dict, list[str], dict[str, str]]:
    """A valid xAPI statement with places for hostile values."""
    statement = {
        "actor": {"objectType": "Agent", "mbox": "mailto:fuzz@example.com", "name": "@NAME@"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "@DISPLAY@"}},
        "object": {"id": "http://example.com/fuzz", "definition": {"name": {"en-US": "@OBJECTNAME@"}}},
        "result": {"response": "@RESPONSE@", "score": {"raw": "@RAW@"}},
        "context": {"extensions": {"@EXTKEY@": "@EXTVALUE@"}},
    }
    places = ["NAME", "DISPLAY", "OBJECTNAME", "RESPONSE", "RAW", "EXTKEY", "EXTVALUE"]
    return statement, places, {"RAW": "50", "EXTKEY": '"http://example.com/ext"'}


def commit_template(activity_id: str) -> tuple[dict, list[str], dict[str, str]]:
    """A valid SCORM 1.2 player commit with places for hostile values."""
    commit = {
        "seq": 1, "activityId": activity_id, "terminated": False,
        "runtime": {"core": {"lesson_status": "passed", "lesson_location": "@LOCATION@",
                             "score": {"raw": "@RAW@", "min": "0", "max": "100"}},
                    "suspend_data": "@SUSPEND@", "@RUNTIMEKEY@": "x"},
        "log": [{"event": "@LOGEVENT@"}],
    }
    return commit, ["LOCATION", "RAW", "SUSPEND", "RUNTIMEKEY", "LOGEVENT"], {"RAW": '"97"', "RUNTIMEKEY": '"comments"'}


def navigate_template(activity_id: str) -> tuple[dict, list[str], dict[str, str]]:
    """A navigation request with places for hostile values."""
    known = json.dumps(activity_id)
    return ({"request": "@REQUEST@", "activityId": "@ACTIVITY@", "target": "@TARGET@"}, ["REQUEST", "ACTIVITY", "TARGET"],
            {"REQUEST": '"choice"', "ACTIVITY": known, "TARGET": known})
