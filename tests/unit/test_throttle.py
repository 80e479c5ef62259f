"""The failed-authentication throttle: windows, lockout, Retry-After and its bounded memory."""

from __future__ import annotations

import pytest

from coursehost.domain.applications.throttle import FailureThrottle, TooManyFailures


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: Clock, **kw) -> FailureThrottle:
    return FailureThrottle(per_key=kw.pop("per_key", 3), per_address=kw.pop("per_address", 5), clock=clock, **kw)


def test_a_key_locks_after_its_failures_and_unlocks_when_the_window_ends():
    clock = Clock()
    throttle = _throttle(clock)
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


def test_an_address_locks_across_keys():
    clock = Clock()
    throttle = _throttle(clock, per_key=100)
    for i in range(5):
        throttle.failed(key=f"K{i}", address="10.0.0.1")
    with pytest.raises(TooManyFailures) as err:
        throttle.check(key="FRESH", address="10.0.0.1")
    assert "this address" in str(err.value) and err.value.retry_after == 60
    throttle.check(key="FRESH", address="10.0.0.9")
    throttle.check(key=None, address=None)


def test_memory_is_bounded_and_expired_windows_are_dropped():
    clock = Clock()
    throttle = _throttle(clock, max_entries=100)
    for i in range(1000):
        throttle.failed(key=f"K{i}", address=f"A{i}")
    assert len(throttle) <= 100
    clock.now += 61
    throttle.failed(key="late", address=None)
    assert len(throttle) == 1
