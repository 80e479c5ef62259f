"""The LTI 1.3 tool side's checks (domain/lti/tool.py): the platforms' key sets as they are cached (a
platform that rotates its key is refetched on the unknown kid, refetches are rate limited, the cache
holds a bounded number of sets) and the id_token checks the live launch tests do not reach."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from coursehost.domain.lti.tool import CLAIM, KeySetCache, LtiRefused, PlatformConfig, verify_id_token


def _key_set(*kids: str) -> tuple[dict, dict]:
    """(JWKS of new RSA keys named KIDS, kid -> private key)."""
    privates = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in kids}
    keys = []
    for kid, private in privates.items():
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
        keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}, privates


class Platform:
    """A platform's published set, and how often it was fetched."""

    def __init__(self, keys: dict):
        self.keys, self.fetches = keys, []

    def fetch(self, url: str) -> dict:
        self.fetches.append(url)
        return self.keys


def test_a_rotated_platform_key_is_fetched_again_but_not_more_often_than_allowed():
    now = [1000.0]
    first, _ = _key_set("k1")
    platform = Platform(first)
    cache = KeySetCache(platform.fetch, clock=lambda: now[0])
    assert cache.key("https://lms/jwks", "k1").key_id == "k1"
    assert cache.key("https://lms/jwks", "k1").key_id == "k1"
    assert len(platform.fetches) == 1  # cached

    platform.keys, privates = _key_set("k2")
    with pytest.raises(LtiRefused, match="does not publish"):  # asked again within REFETCH_SECONDS: no fetch
        cache.key("https://lms/jwks", "k2")
    assert len(platform.fetches) == 1
    now[0] += KeySetCache.REFETCH_SECONDS + 1
    found = cache.key("https://lms/jwks", "k2")  # the unknown kid refetches the set
    assert len(platform.fetches) == 2
    token = jwt.encode({"sub": "x"}, privates["k2"], algorithm="RS256", headers={"kid": "k2"})
    assert jwt.decode(token, found.key, algorithms=["RS256"])["sub"] == "x"

    now[0] += KeySetCache.TTL + 1  # expired: fetched again even for a known kid
    cache.key("https://lms/jwks", "k2")
    assert len(platform.fetches) == 3


def test_the_cache_holds_a_bounded_number_of_sets_and_needs_a_kid_when_a_set_has_several():
    keys, _ = _key_set("a", "b")
    platform = Platform(keys)
    cache = KeySetCache(platform.fetch)
    for i in range(KeySetCache.MAX_URLS + 5):
        cache.key(f"https://lms{i}/jwks", "a")
    assert len(cache._sets) == KeySetCache.MAX_URLS
    with pytest.raises(LtiRefused):  # no kid and two keys: which one signed is not ours to guess
        cache.key("https://lms0/jwks", None)


CFG = PlatformConfig(client_id="tool-1", issuer="https://lms", deployment_id="dep-1", auth_endpoint="https://lms/auth",
                     jwks_url="https://lms/jwks", token_url="https://lms/token")


def _token(private, **changes) -> str:
    now = int(time.time())
    claims = {"iss": "https://lms", "aud": "tool-1", "sub": "u1", "iat": now, "exp": now + 300, "nonce": "n1",
              CLAIM + "deployment_id": "dep-1", CLAIM + "message_type": "LtiResourceLinkRequest",
              CLAIM + "version": "1.3.0", CLAIM + "resource_link": {"id": "rl-1"}}
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, private, algorithm="RS256",
                      headers={"kid": "k1"})


@pytest.mark.parametrize(("changes", "words"), [
    ({"aud": ["tool-1", "other"]}, "authorized party"),  # several audiences: azp must name us
    ({"aud": ["tool-1", "other"], "azp": "other"}, "authorized party"),
    # times relative to when the test runs (parameters are made at collection, maybe long before)
    (lambda now: {"iat": now - 7200, "exp": now + 300}, "too long ago"),
    ({CLAIM + "message_type": "LtiDeepLinkingRequest"}, "resource link launches"),
    ({CLAIM + "version": "1.1"}, "1.3.0"),
    ({CLAIM + "resource_link": None}, "resource link id"),
    ({"nonce": None}, "nonce claim"),
    ({"nonce": "n2"}, "not the one this login sent"),
    ({"iss": "https://elsewhere"}, "wrong issuer"),
])
def test_an_id_token_failing_a_check_is_refused_in_words(changes, words):
    keys, privates = _key_set("k1")
    cache = KeySetCache(Platform(keys).fetch)
    assert verify_id_token(_token(privates["k1"]), platform=CFG, key_sets=cache, nonce="n1")["sub"] == "u1"
    assert verify_id_token(_token(privates["k1"], aud=["tool-1", "x"], azp="tool-1"), platform=CFG, key_sets=cache,
                           nonce="n1")["sub"] == "u1"
    if callable(changes):
        changes = changes(int(time.time()))
    with pytest.raises(LtiRefused, match=words):
        verify_id_token(_token(privates["k1"], **changes), platform=CFG, key_sets=cache, nonce="n1")
