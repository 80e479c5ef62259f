"""The platform's opaque values: a learner's sub, lineitem keys and access tokens, and the access log."""

from __future__ import annotations

import pytest

from coursehost.cli.serving import redact
from coursehost.domain.lti import platform


def test_sub_is_stable_per_learner_and_application_and_reveals_nothing():
    sub = platform.learner_sub("k" * 40, application_pk=1, learner_id="ada@example.com")
    assert sub == platform.learner_sub("k" * 40, application_pk=1, learner_id="ada@example.com")
    assert sub != platform.learner_sub("k" * 40, application_pk=2, learner_id="ada@example.com")
    assert "ada" not in sub and len(sub) == 32


def test_lineitem_keys_and_access_tokens_are_ours_only():
    url = platform.lineitem_url("k" * 40, issuer="https://ch.example/", instance_pk=7, connector_pk=3)
    key = url.rsplit("/", 1)[1]
    assert url.startswith("https://ch.example/lti/platform/lineitems/")
    assert platform.read_lineitem("k" * 40, key) == platform.Lineitem(instance_pk=7, connector_pk=3)
    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), "x.y"):
        with pytest.raises(platform.LtiRefused) as err:
            platform.read_lineitem("k" * 40, bad)
        assert err.value.status == 404
    with pytest.raises(platform.LtiRefused):
        platform.read_lineitem("another-instance-key-xxxxxxxxxxxxxxxxxxx", key)
    for header in (None, "", "Basic abc", "Bearer " + key):  # a lineitem key is no access token
        with pytest.raises(platform.LtiRefused) as err:
            platform.read_access_token("k" * 40, header)
        assert err.value.status == 401


def test_the_login_hint_token_is_kept_out_of_the_access_log():
    assert redact("/lti/platform/auth?login_hint=l&lti_message_hint=abc.def&nonce=n") == \
        "/lti/platform/auth?login_hint=l&lti_message_hint=REDACTED&nonce=n"
