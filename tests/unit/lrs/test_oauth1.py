"""OAuth 1.0a signatures of activity-provider credentials, checked against oauthlib as the signer."""

from __future__ import annotations

import time

import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_AUTH_HEADER, Client

from coursehost.lrs_http import oauth1

URL = "http://127.0.0.1:8123/lrs/APP/statements"


def _signed(method="GET", url=URL + "?agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D&limit=5", body=None,
            secret="s3cret", method_name=SIGNATURE_HMAC_SHA1, timestamp=None):
    client = Client("KEY1", client_secret=secret, signature_method=method_name,
                    signature_type=SIGNATURE_TYPE_AUTH_HEADER, timestamp=timestamp)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    _, headers, _ = client.sign(url, http_method=method, body=body, headers=headers)
    return headers["Authorization"]


def _verify(auth, *, method="GET", query="agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D&limit=5", form=(),
            secret="s3cret", nonces=None):
    from urllib.parse import parse_qsl

    return oauth1.verify(method=method, url=URL, oauth=oauth1.parse_authorization(auth),
                         other_params=parse_qsl(query, keep_blank_values=True) + list(form),
                         consumer_secret=secret, nonces=nonces or oauth1.NonceCache())


@pytest.mark.parametrize("method_name", [SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256])
def test_a_request_signed_with_the_secret_is_accepted(method_name):
    assert _verify(_signed(method_name=method_name))


def test_a_wrong_secret_a_changed_query_or_a_replay_is_refused():
    auth = _signed()
    assert not _verify(auth, secret="other")
    assert not _verify(auth, query="limit=6")
    nonces = oauth1.NonceCache()
    assert _verify(auth, nonces=nonces)
    assert not _verify(auth, nonces=nonces), "the same nonce twice is a replay"


def test_form_fields_are_part_of_the_signature():
    auth = _signed(method="POST", url=URL + "?method=PUT", body="content=%7B%7D&stateId=s1")
    form = [("content", "{}"), ("stateId", "s1")]
    assert _verify(auth, method="POST", query="method=PUT", form=form)
    assert not _verify(auth, method="POST", query="method=PUT", form=[("content", "{}"), ("stateId", "s2")])


def test_a_stale_timestamp_is_refused():
    auth = _signed(timestamp=str(int(time.time()) - 3600))
    assert not _verify(auth)


def test_malformed_headers_are_not_parsed():
    assert oauth1.parse_authorization("Basic abc") is None
    assert oauth1.parse_authorization('OAuth oauth_consumer_key=KEY') is None


def test_database_nonces_refuse_a_replay_from_any_process_and_sweep_expired_ones(session_factory, monkeypatch):
    """Two stores over one database stand for two processes: the second use of a nonce is refused by
    either; the same nonce under another timestamp, key or LRS is another request."""
    import uuid

    from sqlalchemy import func, select

    from coursehost.db.models.shared_state import LrsOauthNonce
    from coursehost.domain.lrs import oauth_nonces

    app_id = uuid.uuid4().hex[:10]
    one = oauth_nonces.DatabaseNonces(session_factory, app_id=app_id, window=oauth1.TIMESTAMP_WINDOW)
    other = oauth_nonces.DatabaseNonces(session_factory, app_id=app_id, window=oauth1.TIMESTAMP_WINDOW)
    now = time.time()
    stamp = str(int(now))
    assert one.first_use("KEY1", stamp, "n1", now)
    assert not other.first_use("KEY1", stamp, "n1", now)
    assert not one.first_use("KEY1", stamp, "n1", now)
    assert other.first_use("KEY1", str(int(now) + 1), "n1", now)
    assert other.first_use("KEY2", stamp, "n1", now)
    elsewhere = oauth_nonces.DatabaseNonces(session_factory, app_id=app_id + "x", window=oauth1.TIMESTAMP_WINDOW)
    assert elsewhere.first_use("KEY1", stamp, "n1", now)
    old_stamp = str(int(now) - 3 * oauth1.TIMESTAMP_WINDOW)
    assert one.first_use("KEY1", old_stamp, "old", now)  # (verify refuses such a timestamp before asking)
    sweeping = oauth_nonces.DatabaseNonces(session_factory, app_id=app_id, window=oauth1.TIMESTAMP_WINDOW)
    monkeypatch.setattr(oauth_nonces, "SWEEP_EVERY", 1)  # sweep on this use
    assert sweeping.first_use("KEY1", stamp, "n2", now)
    with session_factory() as session:
        left = session.scalar(select(func.count()).select_from(LrsOauthNonce)
                              .where(LrsOauthNonce.consumer_key == f"{app_id}:KEY1", LrsOauthNonce.nonce == "old"))
    assert left == 0
