"""Connections that go only where the SSRF check allowed: resolve once, check every address, connect to it.

Checking a URL and then letting httpx resolve the name again leaves two gaps: the second answer may
differ (DNS rebinding: public first, 127.0.0.1 a moment later) and the two lookups may not even ask
for the same name (IDNA 2003 vs 2008). Here the check happens inside the connection itself: httpcore
asks the network backend to connect to the host of the request (already encoded by httpx); the
backend resolves that name once, refuses it unless every address is public, and opens the TCP
connection to a checked address. httpcore still sends the original Host header and uses the host
name for TLS SNI and certificate checks, so HTTPS works unchanged. Every new connection passes
here: each redirect hop to a new host, each full-text page, each doctor probe.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from diplobot.ingest.models import IngestError
from diplobot.ingest.urls import IPAddress, Resolver, ip_literal, public_addresses, system_resolver

HAPPY_EYEBALLS_DELAY_S = 0.25  # RFC 8305's recommended connection attempt delay, anyio's default too
# httpx's defaults (httpx.Limits used by AsyncHTTPTransport), kept for the pool we build.
_MAX_CONNECTIONS = 100
_MAX_KEEPALIVE = 20
_KEEPALIVE_EXPIRY_S = 5.0


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to public addresses it resolved and checked itself."""

    def __init__(self, resolver: Resolver | None = None, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._resolver = resolver or system_resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = _interleaved(await self._checked(host, port))

        def attempt(address: IPAddress) -> Awaitable[httpcore.AsyncNetworkStream]:
            return self._inner.connect_tcp(
                str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
            )

        if len(addresses) == 1:
            return await attempt(addresses[0])
        return await _first_connection([functools.partial(attempt, a) for a in addresses])

    async def _checked(self, host: str, port: int) -> list[IPAddress]:
        if ip_literal(host) is not None:  # nothing to look up: no thread hop
            return public_addresses(host, port, self._resolver)
        return await asyncio.to_thread(public_addresses, host, port, self._resolver)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise IngestError("refusing to connect to a local socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _interleaved(addresses: list[IPAddress]) -> list[IPAddress]:
    """Alternate address families, preferred family first (RFC 8305), so one broken family costs little."""
    first = [a for a in addresses if a.version == addresses[0].version]
    other = [a for a in addresses if a.version != addresses[0].version]
    mixed = [a for pair in zip(first, other, strict=False) for a in pair]
    return mixed + first[len(other) :] + other[len(first) :]


async def _first_connection(
    attempts: list[Callable[[], Awaitable[httpcore.AsyncNetworkStream]]],
) -> httpcore.AsyncNetworkStream:
    """Happy eyeballs, as anyio does for a host name: start the next attempt when the previous one failed
    or has not connected within HAPPY_EYEBALLS_DELAY_S; the first connection wins, the rest are closed."""
    waiting = list(attempts)
    running: set[asyncio.Task[httpcore.AsyncNetworkStream]] = set()
    winners: list[httpcore.AsyncNetworkStream] = []
    failure: BaseException | None = None
    try:
        while (waiting or running) and not winners:
            if waiting:
                running.add(asyncio.ensure_future(waiting.pop(0)()))
            done, running = await asyncio.wait(
                running, timeout=HAPPY_EYEBALLS_DELAY_S if waiting else None, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if task.exception() is None:
                    winners.append(task.result())
                else:
                    failure = task.exception()
    finally:
        for task in running:
            task.cancel()
        late = await asyncio.gather(*running, return_exceptions=True)
        for stream in [*winners[1:], *late]:
            if isinstance(stream, httpcore.AsyncNetworkStream):
                await stream.aclose()
    if not winners:
        raise failure or httpcore.ConnectError("no address to connect to")
    return winners[0]


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own HTTP transport (request mapping, errors, TLS) with connections made by GuardedBackend.

    httpx 0.28 cannot be handed a network backend (encode/httpx#3749 adds it), so the transport's
    connection pool is rebuilt with one. The client using it must not take proxies from the
    environment (`trust_env=False`): a proxy resolves the name itself and would defeat the check.
    """

    def __init__(self, resolver: Resolver | None = None, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        ssl_context = httpx.create_ssl_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR as httpx does
        super().__init__(verify=ssl_context)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("this httpx version keeps its connection pool elsewhere: update GuardedTransport")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=_MAX_CONNECTIONS,
            max_keepalive_connections=_MAX_KEEPALIVE,
            keepalive_expiry=_KEEPALIVE_EXPIRY_S,
            network_backend=GuardedBackend(resolver, inner),
        )
