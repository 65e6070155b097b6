"""Fetching a URL politely and defensively: one place that knows timeouts, caps, redirects and caching.

Everything that can go wrong becomes an IngestError whose message names the host and the reason
(never credentials or secret query values), so a source's `last_error` tells its owner what to fix.
Response headers are untrusted: cache validators are kept only when they are plain ASCII, and
Retry-After is clamped.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urlsplit

import httpx

from diplobot.ingest.models import IngestError
from diplobot.ingest.netguard import GuardedTransport
from diplobot.ingest.urls import Resolver, check_public_url, redact_url

USER_AGENT = "diplobot/0.1 (+https://github.com/diplobot/diplobot)"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER_S = 6 * 3600  # a server asking for more is asking for too much
# An ETag or Last-Modified we store and send back: visible ASCII, of a sane length.
_VALIDATOR = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,1023}")


@dataclass
class FetchResult:
    """A successful response (2xx, or 304 with an empty body when the content is unchanged)."""

    status: int
    body: bytes
    url: str
    etag: str | None
    last_modified: str | None
    content_type: str


class RetryLater(IngestError):
    """The server asked us to slow down (429, or 503 with Retry-After); `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Fetcher:
    """One shared HTTP client with the limits every source fetch must respect.

    `timeout` bounds the whole `get()` (redirects and body included) as well as each connect and
    read. `max_bytes` caps the decoded body. With `allow_private=False`, every connection (first
    URL, each redirect hop, each full-text page) goes only to an address that was resolved once
    and found public (see ingest/netguard.py); `resolver` replaces the system DNS lookup there.
    A `transport` given by the caller (tests) replaces that guard.
    """

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = 20.0,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        allow_private: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        guarded = not allow_private and transport is None
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            transport=GuardedTransport(resolver) if guarded else transport,
            trust_env=not guarded,  # an environment proxy would resolve names past the guard
        )

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET `url`, conditionally when `etag`/`last_modified` are given; raises IngestError."""
        etag, last_modified = safe_validator(etag), safe_validator(last_modified)  # stored by an older version
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).hostname or url
        try:
            async with asyncio.timeout(self.timeout):
                result = await self._follow(url, headers)
        except TimeoutError:
            raise IngestError(f"timed out: no complete answer from {host} within {self.timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _network_error(exc, host, self.timeout) from None
        if result.status == 304:
            result.etag = result.etag or etag
            result.last_modified = result.last_modified or last_modified
        return result

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        visited = [url]
        for _ in range(self.max_redirects + 1):
            await self._check(url)
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code not in _REDIRECT_STATUSES:
                    return await self._result(response)
                url = _redirect_target(response)
            if url in visited:
                raise IngestError("redirect loop: " + " -> ".join(redact_url(u) for u in [*visited, url]))
            visited.append(url)
        raise IngestError(f"too many redirects (more than {self.max_redirects}) from {redact_url(visited[0])}")

    async def _check(self, url: str) -> None:
        """Only the URL's form here; the address is checked when connecting (GuardedTransport)."""
        check_public_url(url, allow_private=True)

    async def _result(self, response: httpx.Response) -> FetchResult:
        status = response.status_code
        where = redact_url(str(response.url))
        if status == 429 or (status == 503 and "retry-after" in response.headers):
            delay = retry_after_seconds(response.headers.get("retry-after"))
            hint = f"; retry after {delay:g} s" if delay is not None else ""
            raise RetryLater(f"HTTP {_status_text(status)} from {where}{hint}", delay)
        if status >= 400:
            raise IngestError(f"HTTP {_status_text(status)} from {where}")
        if status != 304 and not 200 <= status < 300:
            raise IngestError(f"unexpected HTTP {_status_text(status)} from {where}")
        body = b"" if status == 304 else await read_capped(response, self.max_bytes)
        return FetchResult(
            status=status,
            body=body,
            url=str(response.url),
            etag=safe_validator(response.headers.get("etag")),
            last_modified=safe_validator(response.headers.get("last-modified")),
            content_type=response.headers.get("content-type", ""),
        )


def _redirect_target(response: httpx.Response) -> str:
    location = response.headers.get("location")
    if not location:
        raise IngestError(
            f"HTTP {response.status_code} redirect without a Location from {redact_url(str(response.url))}"
        )
    return str(response.url.join(location))


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, refused as soon as it grows past `max_bytes`.

    Decompression is done here rather than by httpx so that each step's output is bounded too: a
    small gzip bomb is stopped at the cap instead of being inflated a whole network chunk at once.
    """
    too_big = IngestError(f"response larger than {_size(max_bytes)} cap from {redact_url(str(response.url))}")
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity") and declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        raise IngestError(f"unsupported content-encoding {encoding!r} from {redact_url(str(response.url))}")
    inflater = None if encoding in ("", "identity") else zlib.decompressobj(32 + zlib.MAX_WBITS)
    body = bytearray()
    try:
        async for raw in response.aiter_raw():
            body += inflater.decompress(raw, max_bytes - len(body) + 1) if inflater else raw
            if len(body) > max_bytes:
                raise too_big
        if inflater:
            body += inflater.flush()
    except zlib.error as exc:
        raise IngestError(
            f"response from {redact_url(str(response.url))} is not valid {encoding} data: {exc}"
        ) from None
    if len(body) > max_bytes:
        raise too_big
    return bytes(body)


def safe_validator(value: str | None) -> str | None:
    """An ETag or Last-Modified fit to store and send back, else None.

    httpx decodes a header it cannot read as ASCII as UTF-8 or Latin-1, but sends only ASCII: a
    `"café"` ETag stored as is would make every later request of that source fail.
    """
    if value is None:
        return None
    value = value.strip()
    return value if _VALIDATOR.fullmatch(value) else None


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as a delay in seconds from now, at most 6 h.

    None when the header is missing or unreadable.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone accepts "²", which float() refuses
        digits = value.lstrip("0") or "0"  # no int() of thousands of digits (Python refuses them)
        return float(MAX_RETRY_AFTER_S if len(digits) > 6 else min(int(digits), MAX_RETRY_AFTER_S))
    try:
        when = parsedate_to_datetime(value)
        delay = (when if when.tzinfo else when.replace(tzinfo=UTC)) - datetime.now(UTC)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, delay.total_seconds()), float(MAX_RETRY_AFTER_S))


def _network_error(exc: httpx.HTTPError | httpx.InvalidURL, host: str, timeout: float) -> IngestError:
    if isinstance(exc, httpx.ConnectTimeout):
        return IngestError(f"timed out connecting to {host} after {timeout:g} s")
    if isinstance(exc, httpx.ReadTimeout):
        return IngestError(f"timed out waiting for data from {host} (nothing for {timeout:g} s)")
    if isinstance(exc, httpx.TimeoutException):
        return IngestError(f"timed out talking to {host}")
    if isinstance(exc, httpx.ConnectError):
        return IngestError(f"cannot reach {host}: {exc or 'connection failed'}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return IngestError(f"not a valid http(s) URL: {exc}")
    return IngestError(f"network error talking to {host}: {type(exc).__name__}: {exc}")


def _status_text(status: int) -> str:
    """`404 Not Found`: the standard wording, not whatever text the server sent."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _size(n: int) -> str:
    return f"{n / 1048576:g} MiB" if n >= 1048576 else f"{n} bytes"
