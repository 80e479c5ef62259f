"""A pipe's source credentials never follow a `more` URL to another origin."""

from __future__ import annotations

import httpx
import pytest

from coursehost.domain.lrs.forwarding import Cursor, ForwardError, read_page
from coursehost.domain.lrs.pipes import Endpoint
from coursehost.outbound import OutboundClient

SOURCE = Endpoint(url="http://127.0.0.1:9/lrs/APP/", user_name="key", password="secret")


def _client(more: str, seen: list[str]) -> OutboundClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"statements": [], "more": more})

    return OutboundClient(transport=httpx.MockTransport(answer))  # stands in for a foreign LRS


def test_a_relative_more_url_is_followed_on_the_source():
    seen: list[str] = []
    _, more, _, _ = read_page(_client("/lrs/APP/statements?more=abc", seen), SOURCE, Cursor(None, None, None))
    assert more == "http://127.0.0.1:9/lrs/APP/statements?more=abc"


@pytest.mark.parametrize("more", ["http://127.0.0.2:9/steal?more=1", "https://127.0.0.1:9/x", "//evil.example/x"])
def test_a_more_url_on_another_origin_is_refused(more):
    with pytest.raises(ForwardError, match="another origin"):
        read_page(_client(more, []), SOURCE, Cursor(None, None, None))
