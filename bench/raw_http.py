"""A lean HTTP/1.1 client for the benches' load: keep-alive connections, requests written as
bytes, answers read by Content-Length.

The API bench's writer stands in for ALTUM's systems, which run on their own machines; here it
shares the bot's two cores. aiohttp's client took 0.14-0.22 of a core at 500 writes/s, taken
from the bot and the chat it is measured beside; this one takes 0.07-0.09 (the bench prints
the writer's cores), as little as a load generator should (wrk, for one).
It speaks only what the bot's aiohttp server answers: a status line, headers with
Content-Length, a body; no chunked answers, no redirects.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = _content_length(head)
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[: end + 4 + length]
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the server closed the connection"))


def _content_length(head: bytes) -> int:
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    line_end = head.find(b"\r\n", at + 2)
    return int(head[at + 17 : line_end if line_end >= 0 else len(head)])


class RawHttp:
    """`await http.send("PUT", "/api/v1/…", body)` -> the answer's status."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self._host, self._port = host, port
        self._head = "".join(
            f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items()
        )
        self._idle: deque[_Connection] = deque()
        self._all: list[_Connection] = []

    async def send(self, method: str, path: str, body: Any) -> int:
        payload = json.dumps(body).encode()
        request = (
            f"{method} {path} HTTP/1.1\r\n{self._head}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        connection = await self._connection()
        assert connection.transport is not None
        connection.answer = asyncio.get_running_loop().create_future()
        connection.transport.write(request)
        status = await connection.answer
        self._idle.append(connection)
        return status

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection.transport is not None:
                return connection
        _transport, connection = await asyncio.get_running_loop().create_connection(
            _Connection, self._host, self._port
        )
        self._all.append(connection)
        return connection

    def close(self) -> None:
        for connection in self._all:
            if connection.transport is not None:
                connection.transport.close()
