"""The platforms' key sets as the LTI 1.3 tool side caches them (domain/lti/tool.py KeySetCache):
a platform that rotates its key is refetched on the unknown kid, refetches are rate limited, the
cache holds a bounded number of sets, and a token signed with an unpublished key is refused."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from coursehost.domain.lti.tool import KeySetCache, LtiRefused


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
