"""Concurrency rules of the document resources (xAPI 1.0.3 Communication §3.1; 9274.1.1 4.1.4)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from coursehost.domain.errors import Conflict, InvalidInput
from coursehost.domain.lrs.documents import Preconditions, check_preconditions, etag_for
from coursehost.domain.lrs.errors import PreconditionFailed
from coursehost.lrs_http.documents import ACTIVITY_PROFILE, AGENT_PROFILE, STATE, preconditions_for
from coursehost.lrs_http.request import XapiRequest

EXISTING = SimpleNamespace(etag=etag_for(b"{}"))


@pytest.mark.parametrize("pre,existing,error", [
    (Preconditions(if_match='"1234"'), EXISTING, PreconditionFailed),
    (Preconditions(if_match=f'"{EXISTING.etag}"'), EXISTING, None),
    (Preconditions(if_match=f'W/"{EXISTING.etag}", "x"'), EXISTING, None),
    (Preconditions(if_match="*"), None, PreconditionFailed),
    (Preconditions(if_match="*"), EXISTING, None),
    (Preconditions(if_none_match="*"), EXISTING, PreconditionFailed),
    (Preconditions(if_none_match="*"), None, None),
    (Preconditions(required_existing=409, required_new=400), EXISTING, Conflict),
    (Preconditions(required_existing=409, required_new=400), None, InvalidInput),
    (Preconditions(required_existing=409), None, None),
    (Preconditions(), EXISTING, None),
])
def test_put_preconditions(pre, existing, error):
    if error is None:
        check_preconditions(existing, pre, method="PUT")
    else:
        with pytest.raises(error):
            check_preconditions(existing, pre, method="PUT")


def test_post_and_delete_need_no_header():
    pre = Preconditions(required_existing=409, required_new=400)
    check_preconditions(EXISTING, pre, method="POST")
    check_preconditions(EXISTING, pre, method="DELETE")


@pytest.mark.parametrize("version,spec,strict,expected", [
    ("1.0.3", STATE, True, (None, None)),
    ("1.0.3", ACTIVITY_PROFILE, False, (409, 400)),
    ("1.0.3", AGENT_PROFILE, False, (409, 400)),
    ("2.0.0", ACTIVITY_PROFILE, False, (409, None)),
    ("2.0.0", STATE, False, (None, None)),  # Storyline: default accepts a header-less State PUT
    ("2.0.0", STATE, True, (409, None)),
])
def test_which_puts_need_a_header(version, spec, strict, expected):
    request = XapiRequest("PUT", "x", {}, {}, b"", version=version)
    services = SimpleNamespace(settings=SimpleNamespace(lrs_strict_state_concurrency=strict))
    pre = preconditions_for(request, spec, services)
    assert (pre.required_existing, pre.required_new) == expected
