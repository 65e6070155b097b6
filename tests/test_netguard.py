"""SSRF that cannot be bypassed: an attacker's DNS (IDNA spelling, rebinding, mixed answers) never gets a
request to a local server, whether for a feed, a redirect hop or a full-text page.

The attacker's DNS is a resolver the fetcher is given. The network is a backend that stands a local
test server in for the attacker's "public" host (so nothing leaves the machine) and dials every other
address for real, so a request that slipped through to 127.0.0.1 would reach the internal server.
"""

import asyncio
import ipaddress
import socket
import ssl
import time

import httpcore
import pytest
import trustme
from pytest_httpserver import HTTPServer

from diplobot.config import IngestConfig
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.models import IngestError
from diplobot.ingest.netguard import GuardedTransport
from diplobot.ingest.urls import check_public_url
from diplobot.poller import poll_due
from diplobot.store import articles, sources

PUBLIC = "93.184.216.34"  # a label for the attacker's public host; never dialled (see World)
LOOPBACK = r"non-public address 127\.0\.0\.1"


class HostileDNS:
    """An attacker's zone: each name has a list of answers given in turn, the last one repeating."""

    def __init__(self, zone: dict[str, list[list[str]]]) -> None:
        self.zone = zone
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.zone:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = self.zone[host]
        return answers[min(self.asked.count(host), len(answers)) - 1]


class World(httpcore.AsyncNetworkBackend):
    """PUBLIC is served by a local stand-in server; any other global address is unreachable; the rest
    (127.0.0.1, ...) is dialled for real."""

    def __init__(self, public_port: int, blackholed: frozenset[str] = frozenset()) -> None:
        self.public_port = public_port
        self.blackholed = blackholed  # addresses whose connection attempts hang (dropped SYNs)
        self.dialled: list[tuple[str, int]] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.dialled.append((host, port))
        if host in self.blackholed:
            await asyncio.sleep(timeout or 30)
            raise httpcore.ConnectTimeout("timed out")
        if host == PUBLIC:
            host, port = "127.0.0.1", self.public_port
        elif ipaddress.ip_address(host).is_global:
            raise httpcore.ConnectError("no network in tests")
        return await self._real.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def sleep(self, seconds):
        await self._real.sleep(seconds)


def local_server(ssl_context: ssl.SSLContext | None = None) -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=ssl_context)
    server.start()
    return server


@pytest.fixture(scope="module")
def servers():
    started = [local_server(), local_server()]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def public(servers):
    """The attacker's public host."""
    servers[0].clear()
    return servers[0]


@pytest.fixture
def internal(servers):
    """A service only reachable from inside (an admin page, cloud metadata...): must never be asked."""
    servers[1].clear()
    servers[1].expect_request("/secret").respond_with_data("internal only")
    return servers[1]


def guarded(dns: HostileDNS, world: World) -> Fetcher:
    return Fetcher(allow_private=False, timeout=3.0, transport=GuardedTransport(dns, inner=world))


async def test_an_idna_name_is_checked_as_the_name_httpx_connects_to(public, internal):
    # IDNA 2003 (Python's codec) spells faß as fass, IDNA 2008 (httpx) as xn--fa-hia: one zone, two names
    dns = HostileDNS({"fass.example": [[PUBLIC]], "xn--fa-hia.example": [["127.0.0.1"]]})
    world = World(public.port)
    url = f"http://faß.example:{internal.port}/secret"

    with pytest.raises(IngestError, match=r"refusing to fetch xn--fa-hia\.example: .* non-public address 127\.0\.0\.1"):
        check_public_url(url, resolver=dns)
    async with guarded(dns, world) as fetcher:
        with pytest.raises(IngestError, match=LOOPBACK):
            await fetcher.get(url)

    assert "fass.example" not in dns.asked and world.dialled == [] and internal.log == []


async def test_dns_rebinding_cannot_reach_a_local_server(public, internal):
    public.expect_request("/secret").respond_with_data("public page")
    dns = HostileDNS({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})  # public for the check, loopback after
    world = World(public.port)
    url = f"http://rebind.example:{internal.port}/secret"

    async with guarded(dns, world) as fetcher:
        first = await fetcher.get(url)
        with pytest.raises(IngestError, match=LOOPBACK):
            await fetcher.get(url)  # a new connection asks again, and the loopback answer is refused

    assert first.body == b"public page"
    assert dns.asked == ["rebind.example", "rebind.example"]  # once per connection, never check-then-connect
    assert {host for host, _ in world.dialled} == {PUBLIC} and internal.log == []


async def test_a_name_with_one_private_address_among_public_ones_is_refused(public, internal):
    dns = HostileDNS({"mixed.example": [[PUBLIC, "127.0.0.1"]]})
    world = World(public.port)

    async with guarded(dns, world) as fetcher:
        with pytest.raises(IngestError, match=LOOPBACK):
            await fetcher.get(f"http://mixed.example:{internal.port}/secret")

    assert world.dialled == [] and internal.log == []


async def test_every_redirect_hop_is_checked(public, internal):
    public.expect_request("/feed.xml").respond_with_data(
        "", status=302, headers={"Location": f"http://inside.example:{internal.port}/secret"}
    )
    dns = HostileDNS({"news.example": [[PUBLIC]], "inside.example": [["127.0.0.1"]]})

    async with guarded(dns, World(public.port)) as fetcher:
        with pytest.raises(IngestError, match=r"refusing to fetch inside\.example: .* 127\.0\.0\.1"):
            await fetcher.get(f"http://news.example:{public.port}/feed.xml")

    assert internal.log == []


async def test_full_text_pages_of_a_feed_are_guarded_too(public, internal, store, clock):
    page = (
        "<html><body><article><p>"
        + "Envoys met in Geneva to discuss a ceasefire. " * 5
        + "</p></article></body></html>"
    )
    links = "".join(
        f"<item><title>Talks {n}</title><link>http://rebind.example:{internal.port}/a/{n}</link>"
        f"<description>Teaser {n}.</description></item>"
        for n in range(1, 5)
    )
    public.expect_request("/feed.xml").respond_with_data(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{links}</channel></rss>'
    )
    for n in range(1, 5):
        public.expect_request(f"/a/{n}").respond_with_data(page, content_type="text/html")
    for n in range(1, 5):
        internal.expect_request(f"/a/{n}").respond_with_data("internal only", content_type="text/html")
    dns = HostileDNS({"news.example": [[PUBLIC]], "rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    world = World(public.port)
    await store.run(
        sources.upsert_source,
        f"http://news.example:{public.port}/feed.xml",
        kind="feed",
        every_s=600,
        full_text=True,
        title=None,
        now=clock.now().isoformat(),
    )

    async with guarded(dns, world) as fetcher:
        (result,) = await poll_due(store, fetcher, IngestConfig(), clock.now())

    assert result.counts.new == 4 and internal.log == []
    assert {host for host, _ in world.dialled} == {PUBLIC}
    bodies = [a["body"] for a in await store.run(articles.latest_articles)]
    assert not any("internal only" in body for body in bodies)


async def test_https_keeps_the_host_name_for_sni_and_the_certificate(tmp_path, monkeypatch):
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("news.example").configure_cert(server_context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # honoured like httpx does
    server = local_server(server_context)
    try:
        server.expect_request("/feed.xml", headers={"Host": f"news.example:{server.port}"}).respond_with_data("ok")
        dns = HostileDNS({"news.example": [[PUBLIC]]})
        async with guarded(dns, World(server.port)) as fetcher:
            result = await fetcher.get(f"https://news.example:{server.port}/feed.xml")
    finally:
        server.stop()

    assert (result.status, result.body) == (200, b"ok")  # the certificate was checked against news.example


async def test_the_fetcher_takes_the_resolver_and_still_honours_allow_private(internal):
    dns = HostileDNS({"inside.example": [["127.0.0.1"]]})
    url = f"http://inside.example:{internal.port}/secret"
    async with Fetcher(allow_private=False, resolver=dns, timeout=3.0) as fetcher:
        with pytest.raises(IngestError, match=LOOPBACK):
            await fetcher.get(url)
    assert dns.asked == ["inside.example"] and internal.log == []

    async with Fetcher(allow_private=True, timeout=3.0) as fetcher:  # `[ingest] allow_private_hosts = true`
        local = await fetcher.get(f"http://127.0.0.1:{internal.port}/secret")
    assert local.body == b"internal only"


async def test_an_address_that_hangs_does_not_hold_up_the_next_one(public):
    public.expect_request("/feed.xml").respond_with_data("ok")
    ipv6 = "2606:2800:220:1::1"
    dns = HostileDNS({"dual.example": [[ipv6, "2606:2800:220:1::2", PUBLIC]]})
    world = World(public.port, blackholed=frozenset({ipv6}))

    started = time.monotonic()
    async with guarded(dns, world) as fetcher:
        result = await fetcher.get(f"http://dual.example:{public.port}/feed.xml")

    assert result.body == b"ok" and time.monotonic() - started < 2  # not the 3 s connect timeout
    assert [host for host, _ in world.dialled] == [ipv6, PUBLIC]  # families alternate: IPv4 comes second


async def test_when_every_address_fails_the_host_is_reported_unreachable(public):
    dns = HostileDNS({"down.example": [["2606:2800:220:1::1", "2606:2800:220:1::2", "93.184.216.35"]]})
    world = World(public.port)

    async with guarded(dns, world) as fetcher:
        with pytest.raises(IngestError, match=r"cannot reach down\.example"):
            await fetcher.get("http://down.example/feed.xml")

    assert len(world.dialled) == 3
