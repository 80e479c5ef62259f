"""Issue 13, server-side request forgery: the outbound client refuses private and local targets in
every form the resolver accepts, before the first request and after each redirect, connects to the
very address it checked (DNS rebinding), and words its failures so they reveal nothing of the far
side. Real sockets on 127.0.0.1 stand in for the internal services an attacker would aim at."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from coursehost.outbound.client import OutboundClient
from coursehost.outbound.errors import OutboundError
from coursehost.outbound.guard import REFUSED, AddressPolicy, is_public


class Target:
    """A real HTTP server on HOST that records each request's Host header and answers STATUS with
    BODY, or a redirect to LOCATION."""

    def __init__(self, host: str = "127.0.0.1", status: int = 200, body: bytes = b"inside",
                 location: str | None = None):
        self.hits: list[str] = []
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                target.hits.append(self.headers.get("Host", ""))
                if location:
                    self.send_response(302)
                    self.send_header("Location", location.replace("{port}", str(target.port)))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("Server", (http.server.ThreadingHTTPServer,), {"address_family": family})
        self.server = server_class((host, 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def target(**kwargs) -> Iterator[Target]:
    server = Target(**kwargs)
    try:
        yield server
    finally:
        server.stop()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/", "http://2130706433:{port}/", "http://127.1:{port}/",
    "http://0x7f000001:{port}/", "http://[::ffff:127.0.0.1]:{port}/", "http://localhost:{port}/",
])
def test_loopback_in_every_form_is_refused_and_nothing_arrives(url):
    with target() as inside, OutboundClient() as client:
        with pytest.raises(OutboundError) as info:
            client.request("GET", url.format(port=inside.port))
        assert str(info.value) == REFUSED
        assert inside.hits == []


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_ipv6_loopback_is_refused_and_nothing_arrives():
    with target(host="::1") as inside, OutboundClient() as client:
        with pytest.raises(OutboundError, match="private or local"):
            client.request("GET", f"http://[::1]:{inside.port}/")
        assert inside.hits == []


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://192.168.1.1/", "http://172.16.0.1/", "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/", "http://240.0.0.1/", "http://[fe80::1]/",
    "http://[fc00::1]/", "http://[::]/", "http://[ff02::1]/", "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:10.0.0.1]/", "http://[64:ff9b::a00:1]/", "http://[2002:a00:1::]/", "https://10.0.0.1/",
])
def test_private_link_local_and_reserved_addresses_are_refused(url):
    with OutboundClient() as client, pytest.raises(OutboundError) as info:
        client.request("GET", url)
    assert str(info.value) == REFUSED and info.value.kind == "Refused"


def test_a_name_is_refused_when_any_of_its_addresses_is_private():
    policy = AddressPolicy(resolver=lambda host, port: ["93.184.215.14", "10.1.2.3"])
    with OutboundClient(policy=policy) as client, pytest.raises(OutboundError, match="private or local"):
        client.request("GET", "http://two-faced.test/")


def test_public_addresses_pass_the_check():
    assert all(is_public(ipaddress.ip_address(a)) for a in ("93.184.215.14", "2606:4700::1111"))
    AddressPolicy(resolver=lambda host, port: ["93.184.215.14"]).check_url("https://example.test/x.zip")


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://[::1]/", "http://10.0.0.1/",
                                 "http://169.254.169.254/", "http://2130706433/"])
def test_the_request_time_check_refuses_the_same_forms(url):
    with pytest.raises(OutboundError) as info:
        AddressPolicy().check_url(url)
    assert str(info.value) == REFUSED


@pytest.mark.parametrize("location", [
    "http://127.0.0.1:{sink}/", "http://2130706433:{sink}/", "http://[::1]:{sink}/", "http://10.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
])
def test_a_redirect_to_an_inside_address_is_refused_before_it_is_followed(location):
    # The redirector plays a public server: the policy lets its own address (and no other) through.
    with target() as sink, target(location=location.replace("{sink}", str(sink.port))) as redirector:
        policy = AddressPolicy(exempt={("127.0.0.1", redirector.port)})
        with OutboundClient(policy=policy, follow_redirects=True) as client:
            with pytest.raises(OutboundError) as info:
                client.request("GET", f"http://127.0.0.1:{redirector.port}/")
            assert str(info.value) == REFUSED
        assert redirector.hits and sink.hits == []


def test_allow_private_opens_the_check_and_nothing_else():
    with target() as inside, OutboundClient(policy=AddressPolicy(allow_private=True)) as client:
        response = client.request("GET", f"http://2130706433:{inside.port}/")
        assert response.status_code == 200 and response.content == b"inside"


def test_the_connection_goes_to_the_address_that_was_checked():
    # DNS rebinding: the name answers an allowed address first, then an inside one. The check and
    # the connection use the one answer; the server sees the host name in its Host header.
    with target() as checked, target(host="127.0.0.2") as inside:
        answers = iter([["127.0.0.1"], ["127.0.0.2"], ["127.0.0.2"]])
        asked: list[str] = []

        def rebinding(host: str, port: int) -> list[str]:
            asked.append(host)
            return next(answers)

        policy = AddressPolicy(resolver=rebinding, exempt={("127.0.0.1", checked.port)})
        with OutboundClient(policy=policy) as client:
            response = client.request("GET", f"http://rebind.test:{checked.port}/")
        assert response.status_code == 200
        assert checked.hits == [f"rebind.test:{checked.port}"] and inside.hits == []
        assert asked == ["rebind.test"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _raw_server(reply: bytes) -> Iterator[int]:
    """A TCP server that answers every connection with REPLY (not HTTP) and closes it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(4096)
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_connection_failures_all_read_the_same_and_quote_nothing():
    closed = _closed_port()
    with _raw_server(b"SSH-2.0-OpenSSH_9.6 secret-banner\r\n") as ssh, _raw_server(b"") as hangup:
        ports = (closed, ssh, hangup)
        policy = AddressPolicy(exempt={("127.0.0.1", port) for port in ports})
        messages = []
        for port in ports:
            with OutboundClient(policy=policy) as client, pytest.raises(OutboundError) as info:
                client.request("GET", f"http://127.0.0.1:{port}/")
            messages.append(str(info.value))
    assert messages == ["could not connect"] * 3


def test_an_unresolvable_name_says_so_without_the_resolver_s_words():
    def fail(host, port):
        raise socket.gaierror(-2, "Name or service not known")

    with OutboundClient(policy=AddressPolicy(resolver=fail)) as client, pytest.raises(OutboundError) as info:
        client.request("GET", "http://nowhere.test/")
    assert str(info.value) == "the URL's host name could not be resolved"


@pytest.mark.parametrize("url", ["http://0177.0.0.1/", "ftp://example.test/", "http://[::1/"])
def test_urls_the_client_cannot_request_are_an_outbound_error(url):
    with OutboundClient() as client, pytest.raises(OutboundError):
        client.request("GET", url)
    with pytest.raises(OutboundError):
        AddressPolicy().check_url(url)
