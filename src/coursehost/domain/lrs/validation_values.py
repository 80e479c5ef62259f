"""xAPI value formats: IRIs, UUIDs, RFC 5646 tags, ISO 8601 timestamps and durations, agents."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import NoReturn

from coursehost.domain.errors import InvalidInput

# xAPI 1.0.3 §2.4.1 / IEEE 9274.1.1 §4.2.4.1: UUIDs in the standard string form (8-4-4-4-12 hex);
# the suite only rejects wrong length and non-hex digits, so any version/variant nibble is accepted.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# RFC 3987 IRI, checked as "scheme ':' then no whitespace or characters excluded from IRIs".
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]+$")
# An IRL is an IRI meant to be dereferenced: we ask for an authority ("scheme://host...").
_IRL = re.compile(
    r"^[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"{}|\\^`\x00-\x1f\x7f/?#]+[^\s<>\"{}|\\^`\x00-\x1f\x7f]*$"
)

# xAPI 1.0.3 §2.4.2.3: mbox is "mailto:" + an email address.
_MBOX = re.compile(r"^mailto:[^@\s<>\"()\[\],;:\\]+@[^@\s<>\"()\[\],;:\\]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")

# RFC 5646 §2.1 ABNF, case-insensitive (langtag / privateuse / grandfathered).
_LANGTAG = re.compile(
    r"""^(?:
      (?:
        (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})   # language (+ extlang)
        (?:-[a-z]{4})?                                          # script
        (?:-(?:[a-z]{2}|[0-9]{3}))?                             # region
        (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*                # variants
        (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*                    # extensions
        (?:-x(?:-[a-z0-9]{1,8})+)?                              # privateuse
      )
      |x(?:-[a-z0-9]{1,8})+
      |en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn
      |i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de
      |art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# xAPI 1.0.3 §4.5: ISO 8601 date-time, extended or basic format; offset optional (1.0.3 says an
# LRS SHOULD read a missing offset as UTC). Fractions of any length are allowed.
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$"
)
_TIMESTAMP_BASIC = re.compile(
    r"^(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(\d{2})?)?$"
)

# xAPI 1.0.3 §4.6: ISO 8601:2004 §4.4.3.2 durations; weeks stand alone (the suite rejects P4W1D).
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?:(?!$)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?|{_NUM}W)$"
)

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
AGENT_KEYS = frozenset({"objectType", "name", *IFIS})
GROUP_KEYS = frozenset({"objectType", "name", "member", *IFIS})
ACCOUNT_KEYS = frozenset({"homePage", "name"})


def fail(path: str, message: str) -> NoReturn:
    """Raise the one error this module raises, naming the JSON path."""
    raise InvalidInput(f"{path}: {message}")


def is_uuid(value: object) -> bool:
    """True for a UUID in standard string form (either case)."""
    return isinstance(value, str) and _UUID.match(value) is not None


def is_iri(value: object) -> bool:
    """True for an absolute IRI (scheme, colon, no whitespace or excluded characters)."""
    return isinstance(value, str) and _IRI.match(value) is not None


def is_irl(value: object) -> bool:
    """True for an IRL: an absolute IRI with an authority part."""
    return isinstance(value, str) and _IRL.match(value) is not None


def is_language_tag(value: object) -> bool:
    """True for a well-formed RFC 5646 language tag."""
    return isinstance(value, str) and _LANGTAG.match(value) is not None


def is_duration(value: object) -> bool:
    """True for an ISO 8601:2004 §4.4.3.2 duration (xAPI 1.0.3 §4.6)."""
    return isinstance(value, str) and _DURATION.match(value) is not None


def parse_timestamp(value: object, path: str = "timestamp") -> datetime:
    """An aware datetime for an ISO 8601 timestamp (UTC when no offset); InvalidInput otherwise."""
    if not isinstance(value, str):
        fail(path, "must be an ISO 8601 timestamp string")
    m = _TIMESTAMP.match(value) or _TIMESTAMP_BASIC.match(value)
    if m is None:
        fail(path, "must be an ISO 8601 timestamp")
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if zulu or sign is None:
        tz = UTC
    else:
        hours, minutes = int(oh), int(om or 0)
        # xAPI 1.0.3 §4.5 / RFC 3339 §4.3: "-00:00" means "offset unknown" and MUST be rejected.
        if sign == "-" and hours == 0 and minutes == 0:
            fail(path, "offset -00:00 is not allowed")
        if hours > 23 or minutes > 59:
            fail(path, "has an invalid timezone offset")
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if sign == "-" else delta)
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro,
            tzinfo=tz,
        )
    except ValueError:
        fail(path, "is not a valid date and time")


def check_object(obj: object, allowed: frozenset[str], path: str) -> dict:
    """The value as a dict whose keys are all allowed and no value is null (xAPI 1.0.3 §2.2)."""
    if not isinstance(obj, dict):
        fail(path, "must be an object")
    for key, val in obj.items():
        if key not in allowed:
            fail(f"{path}.{key}", "is not an allowed property")
        if val is None:
            fail(f"{path}.{key}", "must not be null")
    return obj


def check_string(value: object, path: str) -> str:
    """The value, which must be a string."""
    if not isinstance(value, str):
        fail(path, "must be a string")
    return value


def check_iri(value: object, path: str) -> None:
    """Fail unless the value is an IRI."""
    if not is_iri(value):
        fail(path, "must be an IRI")


def check_irl(value: object, path: str) -> None:
    """Fail unless the value is an IRL."""
    if not is_irl(value):
        fail(path, "must be an IRL")


def check_uuid(value: object, path: str) -> None:
    """Fail unless the value is a UUID string."""
    if not is_uuid(value):
        fail(path, "must be a UUID")


def check_language_map(value: object, path: str) -> None:
    """A language map: RFC 5646 tag keys, string values (xAPI 1.0.3 §4.2)."""
    if not isinstance(value, dict):
        fail(path, "must be a language map object")
    for key, text in value.items():
        if not is_language_tag(key):
            fail(f"{path}.{key}", "key must be an RFC 5646 language tag")
        if not isinstance(text, str):
            fail(f"{path}.{key}", "must be a string")


def check_extensions(value: object, path: str) -> None:
    """Extensions: an object whose keys are IRIs; values may be anything, null included (§4.1)."""
    if not isinstance(value, dict):
        fail(path, "must be an object")
    for key in value:
        if not is_iri(key):
            fail(f"{path}.{key}", "extension key must be an IRI")


def check_account(value: object, path: str) -> None:
    """An account object: homePage IRL and name string, both required (xAPI 1.0.3 §2.4.2.4)."""
    acct = check_object(value, ACCOUNT_KEYS, path)
    if "homePage" not in acct:
        fail(f"{path}.homePage", "is required")
    check_irl(acct["homePage"], f"{path}.homePage")
    if "name" not in acct:
        fail(f"{path}.name", "is required")
    check_string(acct["name"], f"{path}.name")


def _check_ifis(obj: dict, path: str, *, required: bool) -> None:
    """At most (or, when required, exactly) one inverse functional identifier (§2.4.2.3)."""
    found = [k for k in IFIS if k in obj]
    if len(found) > 1:
        fail(path, f"must have exactly one identifier, found {', '.join(found)}")
    if not found:
        if required:
            fail(path, "must have one of mbox, mbox_sha1sum, openid, account")
        return
    key = found[0]
    val = obj[key]
    if key == "mbox":
        if not isinstance(val, str) or _MBOX.match(val) is None:
            fail(f"{path}.mbox", "must be a mailto: IRI")
    elif key == "mbox_sha1sum":
        if not isinstance(val, str) or _SHA1.match(val) is None:
            fail(f"{path}.mbox_sha1sum", "must be 40 hexadecimal characters")
    elif key == "openid":
        if not is_iri(val):
            fail(f"{path}.openid", "must be a URI")
    else:
        check_account(val, f"{path}.account")


def check_agent(value: object, path: str) -> None:
    """An Agent: optional objectType "Agent", optional name, exactly one IFI (§2.4.2.1)."""
    obj = check_object(value, AGENT_KEYS, path)
    if "objectType" in obj and obj["objectType"] != "Agent":
        fail(f"{path}.objectType", 'must be "Agent"')
    if "name" in obj:
        check_string(obj["name"], f"{path}.name")
    _check_ifis(obj, path, required=True)


def check_group(value: object, path: str) -> None:
    """A Group: objectType "Group"; anonymous ones need member; members are Agents (§2.4.2.2)."""
    obj = check_object(value, GROUP_KEYS, path)
    if obj.get("objectType") != "Group":
        fail(f"{path}.objectType", 'must be "Group"')
    if "name" in obj:
        check_string(obj["name"], f"{path}.name")
    identified = any(k in obj for k in IFIS)
    _check_ifis(obj, path, required=False)
    if "member" in obj:
        members = obj["member"]
        if not isinstance(members, list):
            fail(f"{path}.member", "must be an array of Agents")
        for i, member in enumerate(members):
            check_agent(member, f"{path}.member[{i}]")
    elif not identified:
        fail(f"{path}.member", "is required for an anonymous Group")


def check_actor(value: object, path: str) -> None:
    """An Agent or a Group, told apart by objectType (§2.4.2)."""
    if isinstance(value, dict) and value.get("objectType") == "Group":
        check_group(value, path)
    else:
        check_agent(value, path)


def agent_key(agent: dict) -> str | None:
    """Canonical string for the agent's IFI ("mbox:mailto:x@y", ...); None if anonymous."""
    if "mbox" in agent:
        return f"mbox:{agent['mbox']}"
    if "mbox_sha1sum" in agent:
        return f"mbox_sha1sum:{agent['mbox_sha1sum'].lower()}"
    if "openid" in agent:
        return f"openid:{agent['openid']}"
    account = agent.get("account")
    if isinstance(account, dict):
        return f"account:{account.get('homePage')}|{account.get('name')}"
    return None
