"""Scopes and tokens in the domain: what a principal may do, what a token carries."""

from __future__ import annotations

import pytest

from coursehost.domain.applications import service as apps
from coursehost.domain.applications.auth import (
    KNOWN_SCOPES,
    Principal,
    authenticate_basic,
    authenticate_token,
    issue_token,
    parse_scopes,
)
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import Forbidden, InvalidInput

KEY = "unit-test-instance-key-" + "k" * 24


def scoped(*scopes):
    return Principal(app_pk=1, app_id="APP", realm_id=1, is_management=False, scopes=frozenset(scopes))


@pytest.mark.parametrize("held,required,ok", [
    (("read",), "read:course", True),
    (("read:course",), "read:course", True),
    (("read:course",), "write:course", False),
    (("read:course",), "read:registration", False),
    (("write",), "read:course", False),
    (("admin",), "delete:dispatch", True),
    (("write:invitation",), "write:invitation", True),
])
def test_scope_rules(held, required, ok):
    assert scoped(*held).allows(required) is ok


def test_basic_principal_holds_every_scope():
    assert Principal(app_pk=1, app_id="A", realm_id=1, is_management=False).allows("delete:course")


def test_parse_scopes():
    assert parse_scopes("read:course  write:registration") == {"read:course", "write:registration"}
    assert "read:ping" in KNOWN_SCOPES and "write:xapipipe" in KNOWN_SCOPES
    for bad in (None, "", "   ", "read:nothing", ["read", "fly"]):
        with pytest.raises(InvalidInput):
            parse_scopes(bad)


def test_token_round_trip_and_narrowing(db_session):
    box = SecretBox(KEY)
    realm = apps.ensure_realm(db_session)
    app, secret = apps.create_application(db_session, box=box, realm_id=realm.id, name="T")
    basic = authenticate_basic(db_session, box=box, app_id=app.app_id, secret=secret)
    assert basic is not None and basic.scopes is None
    token = issue_token(instance_key=KEY, subject=basic, scopes=frozenset({"read:course"}), expires_in=60)
    principal = authenticate_token(db_session, instance_key=KEY, token=token)
    assert principal.app_id == app.app_id and principal.scopes == {"read:course"} and principal.via == "oauth"
    with pytest.raises(Forbidden):
        issue_token(instance_key=KEY, subject=principal, scopes=frozenset({"write:course"}), expires_in=60)
    with pytest.raises(InvalidInput):
        issue_token(instance_key=KEY, subject=basic, scopes=frozenset({"read"}), expires_in=0)
    assert authenticate_token(db_session, instance_key=KEY + "x", token=token) is None


def test_secrets_are_encrypted_at_rest(db_session):
    box = SecretBox(KEY)
    realm = apps.ensure_realm(db_session)
    app, secret = apps.create_application(db_session, box=box, realm_id=realm.id, name="T")
    cred = apps.list_credentials(db_session, app=app)[0]
    assert secret not in cred.secret_encrypted and secret not in cred.secret_digest
    assert box.decrypt(cred.secret_encrypted) == secret
    assert authenticate_basic(db_session, box=SecretBox(KEY + "other"), app_id=app.app_id, secret=secret) is None


def test_principal_cache_serves_hits_and_drops_answers_that_raced_a_revocation():
    from coursehost.domain.applications.auth import PrincipalCache

    cache = PrincipalCache(ttl=60)
    loads = []
    assert cache.get_or_load("k", lambda: loads.append(1) or "alice") == "alice"
    assert cache.get_or_load("k", lambda: loads.append(1) or "other") == "alice"
    assert len(loads) == 1

    def load_then_revoked():  # the credential is disabled while this read is in flight
        cache.invalidate()
        return "stale"

    assert cache.get_or_load("j", load_then_revoked) == "stale"
    assert cache.get_or_load("j", lambda: None) is None  # the stale answer was never stored
    assert cache.get_or_load("k", lambda: "fresh") == "fresh"  # invalidate emptied everything


def test_principal_cache_entries_expire():
    from coursehost.domain.applications.auth import PrincipalCache

    cache = PrincipalCache(ttl=0.01)
    cache.get_or_load("k", lambda: "old")
    import time

    time.sleep(0.02)
    assert cache.get_or_load("k", lambda: "new") == "new"
