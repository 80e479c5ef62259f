"""The outbound client: redirects hop by hop (each past the guard), size caps, and failures in
words of the client's own (kind names the transport's exception)."""

from __future__ import annotations

import httpx
import pytest

from coursehost.outbound import (
    OutboundClient,
    OutboundError,
    OutboundTimeout,
    ResponseTooLarge,
    Timeouts,
)


def _client(answer, **kwargs) -> tuple[OutboundClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return OutboundClient(transport=httpx.MockTransport(handler), **kwargs), seen


def _redirects(request: httpx.Request) -> httpx.Response:
    hops = {"/a": "/b", "/b": "http://other.example/c"}
    target = hops.get(request.url.path)
    if target:
        return httpx.Response(302, headers={"Location": target})
    return httpx.Response(200, content=b"done")


def test_a_redirect_is_an_answer_unless_the_client_follows_them():
    client, seen = _client(_redirects)
    with client.stream("GET", "http://first.example/a") as response:
        assert response.status_code == 302 and response.reason_phrase == "Found"
    assert [str(r.url) for r in seen] == ["http://first.example/a"]


def test_each_hop_passes_the_guard_and_credentials_stay_on_their_origin():
    admitted: list[str] = []
    client, seen = _client(_redirects, follow_redirects=True, guard=admitted.append)
    response = client.request("GET", "http://first.example/a", auth=("u", "p"))
    assert response.status_code == 200 and response.content == b"done"
    assert response.url == "http://other.example/c"
    assert admitted == ["http://first.example/a", "http://first.example/b", "http://other.example/c"]
    assert ["authorization" in r.headers for r in seen] == [True, True, False]


def test_a_guard_refusal_stops_before_the_request():
    def refuse(url: str) -> None:
        if "other" in url:
            raise OutboundError(f"{url} is not allowed", kind="Refused")

    client, seen = _client(_redirects, follow_redirects=True, guard=refuse)
    with pytest.raises(OutboundError, match="not allowed") as info:
        client.request("GET", "http://first.example/a")
    assert info.value.kind == "Refused" and len(seen) == 2


def test_too_many_redirects():
    client, seen = _client(lambda r: httpx.Response(302, headers={"Location": "/again"}),
                           follow_redirects=True, max_redirects=3)
    with pytest.raises(OutboundError) as info:
        client.request("GET", "http://loop.example/")
    assert info.value.kind == "TooManyRedirects" and len(seen) == 4


def test_a_declared_length_over_the_cap_is_refused_before_reading():
    client, _ = _client(lambda r: httpx.Response(200, content=b"x" * 11), max_bytes=10)
    with client.stream("GET", "http://big.example/") as response, pytest.raises(ResponseTooLarge):
        response.iter_bytes(4)


def test_a_streamed_body_over_the_cap_stops_before_the_chunk_that_passes_it():
    def chunks():
        yield b"x" * 6
        yield b"x" * 6

    client, _ = _client(lambda r: httpx.Response(200, content=chunks()), max_bytes=10)
    got = []
    with client.stream("GET", "http://big.example/") as response, pytest.raises(ResponseTooLarge):
        for chunk in response.iter_bytes(6):
            got.append(chunk)
    assert got == [b"x" * 6]


def test_transport_failures_keep_their_name_but_not_their_words():
    def fail(exc):
        def answer(request):
            raise exc(f"{exc.__name__} happened", request=request)
        return answer

    with pytest.raises(OutboundTimeout) as timeout:
        _client(fail(httpx.ReadTimeout))[0].request("GET", "http://slow.example/")
    assert timeout.value.kind == "ReadTimeout" and str(timeout.value) == "timed out"
    with pytest.raises(OutboundError) as refused:
        _client(fail(httpx.ConnectError))[0].request("GET", "http://down.example/")
    assert refused.value.kind == "ConnectError" and not isinstance(refused.value, OutboundTimeout)
    assert str(refused.value) == "could not connect"  # issue 13: the socket's words would scan ports


def test_json_and_headers():
    client, _ = _client(lambda r: httpx.Response(200, json={"a": 1}, headers={"X-Thing": "v"}))
    response = client.request("POST", "http://lrs.example/", content=b"{}")
    assert response.json() == {"a": 1} and response.headers.get("x-thing") == "v"


def test_timeouts_default_write_and_pool_to_read():
    assert Timeouts(connect=1, read=5).as_httpx() == httpx.Timeout(5, connect=1)
    assert Timeouts(connect=1, read=5, write=5, pool=1).as_httpx() == httpx.Timeout(
        connect=1, read=5, write=5, pool=1)
