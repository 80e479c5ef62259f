"""The pre-fork supervisor's listening sockets: connections accepted on them get TCP_NODELAY from
asyncio (without it, Nagle's algorithm and delayed ACKs held each keep-alive response ~40 ms)."""

from __future__ import annotations

import asyncio
import socket

from coursehost.cli.supervisor import bind_socket
from tests.servers import run_coroutine


def test_connections_accepted_on_a_bound_socket_have_tcp_nodelay():
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(connected, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()
            await writer.wait_closed()

    run_coroutine(main())
    assert seen and seen[0] != 0
