"""The failed-authentication throttle: windows, lockout, Retry-After, counters shared through the
database by every process, and expired windows swept."""

from __future__ import annotations

import uuid

import pytest

from coursehost.domain.applications.throttle import FailureThrottle, TooManyFailures


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def scope():
    return uuid.uuid4().hex[:16]  # each test's counters are its own


def _throttle(session_factory, scope: str, clock: Clock, **kw) -> FailureThrottle:
    return FailureThrottle(session_factory, scope=scope, per_key=kw.pop("per_key", 3),
                           per_address=kw.pop("per_address", 5), clock=clock, **kw)


def test_a_key_locks_after_its_failures_and_unlocks_when_the_window_ends(session_factory, scope):
    clock = Clock()
    throttle = _throttle(session_factory, scope, clock)
    for _ in range(3):
        throttle.check(key="APP", address="10.0.0.1")
        throttle.failed(key="APP", address="10.0.0.1")
    clock.now += 20.5
    with pytest.raises(TooManyFailures) as err:
        throttle.check(key="APP", address="10.0.0.2")
    assert err.value.status == 429 and err.value.retry_after == 40
    assert err.value.headers == {"Retry-After": "40"} and "this credential" in str(err.value)
    throttle.check(key="OTHER", address="10.0.0.1")  # other keys are not locked
    clock.now += 40
    throttle.check(key="APP", address="10.0.0.1")  # a new window
    throttle.failed(key="APP", address=None)
    throttle.check(key="APP", address=None)


def test_an_address_locks_across_keys(session_factory, scope):
    clock = Clock()
    throttle = _throttle(session_factory, scope, clock, per_key=100)
    for i in range(5):
        throttle.failed(key=f"K{i}", address="10.0.0.1")
    with pytest.raises(TooManyFailures) as err:
        throttle.check(key="FRESH", address="10.0.0.1")
    assert "this address" in str(err.value) and err.value.retry_after == 60
    throttle.check(key="FRESH", address="10.0.0.9")
    throttle.check(key=None, address=None)


def test_failures_counted_by_one_process_lock_the_key_in_another(session_factory, scope):
    """Two throttles over one database stand for two processes: their counts add up, and a check
    sees the other's failures once its cached read is older than fresh_seconds."""
    clock = Clock()
    one, other = _throttle(session_factory, scope, clock), _throttle(session_factory, scope, clock)
    other.check(key="APP", address=None)  # other has read (and cached) "no failures"
    one.failed(key="APP", address=None)
    one.failed(key="APP", address=None)
    other.failed(key="APP", address=None)  # the third failure, counted through the other process
    with pytest.raises(TooManyFailures):
        other.check(key="APP", address=None)  # its own write told it at once
    clock.now += other.fresh_seconds
    with pytest.raises(TooManyFailures):
        one.check(key="APP", address=None)  # read again after fresh_seconds


def test_long_names_are_counted_under_a_digest(session_factory, scope):
    clock = Clock()
    throttle = _throttle(session_factory, scope, clock, per_key=1)
    name = "reset:" + "x" * 400 + "@example.com"
    throttle.failed(key=name, address=None)
    with pytest.raises(TooManyFailures):
        throttle.check(key=name, address=None)
    throttle.check(key=name[:-1], address=None)


def test_expired_windows_are_swept(session_factory, scope):
    clock = Clock()
    throttle = _throttle(session_factory, scope, clock)
    for i in range(50):
        throttle.failed(key=f"K{i}", address=f"A{i}")
    assert throttle.count_rows() == 100
    clock.now += 61
    throttle.failed(key="late", address=None)
    assert throttle.count_rows() == 1
