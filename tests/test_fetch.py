"""Fetching feeds from a real local HTTP server: caching, redirects, errors, timeouts and size caps."""

import gzip
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from netutil import free_port
from werkzeug import Response

from diplobot.ingest.fetch import USER_AGENT, Fetcher, RetryLater, retry_after_seconds
from diplobot.ingest.models import IngestError
from diplobot.ingest.pages import fetch_page

PAGE = b"""<html><head><title>Talks | Wire</title></head><body><nav>Home</nav><article><h1>Talks in Paris</h1>
<p>Advisers from Britain, France, Germany and Italy met the US special envoy in Paris on Thursday to discuss
security guarantees for Ukraine.</p><p>They also discussed sanctions pressure on Russia.</p></article></body></html>"""
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


@pytest.fixture
def release():
    """An event that slow handlers wait on; set at teardown so the (single-threaded) server moves on."""
    event = threading.Event()
    yield event
    event.set()


async def test_fetch_returns_body_final_url_and_cache_validators(httpserver, fetcher):
    httpserver.expect_request("/feed.xml", headers={"User-Agent": USER_AGENT}).respond_with_data(
        FEED, content_type="application/rss+xml", headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Sep 2025"}
    )

    result = await fetcher.get(httpserver.url_for("/feed.xml"))

    assert (result.status, result.body) == (200, FEED)
    assert result.url == httpserver.url_for("/feed.xml")
    assert (result.etag, result.last_modified) == ('"v1"', "Mon, 01 Sep 2025")
    assert result.content_type.startswith("application/rss+xml")


async def test_unchanged_feed_answers_304_with_an_empty_body_and_keeps_the_etag(httpserver, fetcher):
    httpserver.expect_request("/feed.xml", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)

    result = await fetcher.get(httpserver.url_for("/feed.xml"), etag='"v1"')

    assert (result.status, result.body, result.etag) == (304, b"", '"v1"')


async def test_if_modified_since_is_sent_when_only_a_date_is_known(httpserver, fetcher):
    stamp = "Mon, 01 Sep 2025 10:00:00 GMT"
    httpserver.expect_request("/feed.xml", headers={"If-Modified-Since": stamp}).respond_with_data("", status=304)

    result = await fetcher.get(httpserver.url_for("/feed.xml"), last_modified=stamp)

    assert (result.status, result.last_modified) == (304, stamp)


async def test_gzip_responses_are_decoded(httpserver, fetcher):
    httpserver.expect_request("/feed.xml").respond_with_data(gzip.compress(FEED), headers={"Content-Encoding": "gzip"})

    assert (await fetcher.get(httpserver.url_for("/feed.xml"))).body == FEED


async def test_redirects_are_followed_to_the_final_url(httpserver, fetcher):
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/moved"})
    httpserver.expect_request("/moved").respond_with_data("", status=302, headers={"Location": "/feed.xml"})
    httpserver.expect_request("/feed.xml").respond_with_data(FEED)

    result = await fetcher.get(httpserver.url_for("/old"))

    assert (result.body, result.url) == (FEED, httpserver.url_for("/feed.xml"))


async def test_a_redirect_loop_is_reported_as_such(httpserver, fetcher):
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})

    with pytest.raises(IngestError, match=r"redirect loop: .*/a -> .*/b -> .*/a"):
        await fetcher.get(httpserver.url_for("/a"))


async def test_more_than_five_redirects_is_too_many(httpserver, fetcher):
    for n in range(7):
        httpserver.expect_request(f"/r{n}").respond_with_data("", status=307, headers={"Location": f"/r{n + 1}"})

    with pytest.raises(IngestError, match=r"too many redirects \(more than 5\)"):
        await fetcher.get(httpserver.url_for("/r0"))


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error")])
async def test_http_errors_name_the_status(httpserver, fetcher, status, reason):
    httpserver.expect_request("/feed.xml").respond_with_data("oops", status=status)

    with pytest.raises(IngestError, match=f"HTTP {status} {reason} from http://.*/feed.xml"):
        await fetcher.get(httpserver.url_for("/feed.xml"))


async def test_error_messages_leave_out_credentials_and_query_strings(httpserver, fetcher):
    httpserver.expect_request("/feed.xml").respond_with_data("", status=403)
    url = httpserver.url_for("/feed.xml?token=s3cret").replace("http://", "http://user:hunter2@")

    with pytest.raises(IngestError) as failed:
        await fetcher.get(url)

    assert "HTTP 403" in str(failed.value)
    assert "s3cret" not in str(failed.value) and "hunter2" not in str(failed.value)


async def test_429_says_when_to_retry(httpserver, fetcher):
    httpserver.expect_request("/feed.xml").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})

    with pytest.raises(RetryLater, match=r"HTTP 429 Too Many Requests .*retry after 120 s") as failed:
        await fetcher.get(httpserver.url_for("/feed.xml"))

    assert failed.value.retry_after == 120
    assert isinstance(failed.value, IngestError)


def test_retry_after_may_be_an_http_date():
    in_two_minutes = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)

    assert 100 < retry_after_seconds(in_two_minutes) <= 120
    assert retry_after_seconds("soon") is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("300000000000", 6 * 3600),
        ("9" * 5000, 6 * 3600),
        ("000120", 120),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 6 * 3600),
        ("²", None),
        ("-5", None),
        ("1e9", None),
        ("Sun, 31 Feb 2025 99:99:99 GMT", None),
        ("", None),
    ],
)
def test_retry_after_is_clamped_to_six_hours_and_garbage_is_ignored(value, seconds):
    assert retry_after_seconds(value) == seconds


async def test_a_huge_retry_after_is_reported_clamped(httpserver, fetcher):
    httpserver.expect_request("/feed.xml").respond_with_data("", status=429, headers={"Retry-After": "300000000000"})

    with pytest.raises(RetryLater, match="retry after 21600 s") as failed:
        await fetcher.get(httpserver.url_for("/feed.xml"))

    assert failed.value.retry_after == 21600


@pytest.mark.parametrize("etag", ['"caf\u00e9"', '"a\x01b"', "W/" + '"' + "x" * 5000 + '"'])
async def test_validators_that_cannot_be_sent_back_are_dropped(httpserver, fetcher, etag):
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED, headers={"ETag": etag.encode().decode("latin-1"), "Last-Modified": "Mon, 01 Sep 2025\x7f"}
    )

    result = await fetcher.get(httpserver.url_for("/feed.xml"))
    again = await fetcher.get(httpserver.url_for("/feed.xml"), etag=etag, last_modified="lundi 1 septembre \u00e9")

    assert (result.etag, result.last_modified) == (None, None)
    assert again.status == 200
    assert "If-None-Match" not in httpserver.log[-1][0].headers


async def test_a_server_that_never_answers_times_out(httpserver, release):
    httpserver.expect_request("/slow").respond_with_handler(lambda request: release.wait(5) and Response(FEED))
    async with Fetcher(timeout=0.3) as fetcher:
        with pytest.raises(IngestError, match="timed out"):
            await fetcher.get(httpserver.url_for("/slow"))


async def test_a_body_dripping_slowly_hits_the_overall_deadline(httpserver, release):
    def drip():
        for _ in range(50):
            if release.wait(0.05):
                return
            yield b"<"

    httpserver.expect_request("/drip").respond_with_handler(lambda request: Response(drip()))
    async with Fetcher(timeout=0.5) as fetcher:
        with pytest.raises(IngestError, match=r"timed out: no complete answer from localhost within 0\.5 s"):
            await fetcher.get(httpserver.url_for("/drip"))


async def test_a_streamed_body_without_length_is_cut_at_the_10_mib_cap(httpserver, fetcher):
    chunk = b"x" * 65536
    httpserver.expect_request("/huge").respond_with_handler(lambda request: Response(chunk for _ in range(200)))

    with pytest.raises(IngestError, match="response larger than 10 MiB cap"):
        await fetcher.get(httpserver.url_for("/huge"))


async def test_a_gzip_bomb_is_stopped_at_the_cap_of_decoded_bytes(httpserver):
    bomb = gzip.compress(bytes(32 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    async with Fetcher(max_bytes=1024 * 1024) as fetcher:
        with pytest.raises(IngestError, match="response larger than 1 MiB cap"):
            await fetcher.get(httpserver.url_for("/bomb"))


async def test_an_unreachable_host_is_reported(fetcher):
    port = free_port()  # nothing listens there

    with pytest.raises(IngestError, match=r"cannot reach 127\.0\.0\.1"):
        await fetcher.get(f"http://127.0.0.1:{port}/feed.xml")


async def test_only_http_urls_are_fetched(fetcher):
    with pytest.raises(IngestError, match="only http:// and https://"):
        await fetcher.get("file:///etc/passwd")


async def test_private_addresses_are_refused_unless_allowed(httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(FEED)
    async with Fetcher(allow_private=False) as fetcher:
        with pytest.raises(IngestError, match="non-public address"):
            await fetcher.get(httpserver.url_for("/feed.xml"))


async def test_a_page_is_fetched_and_its_article_extracted(httpserver, fetcher):
    httpserver.expect_request("/a/paris").respond_with_data(PAGE, content_type="text/html; charset=utf-8")

    page = await fetch_page(fetcher, httpserver.url_for("/a/paris"))

    assert (page.title, page.url) == ("Talks in Paris", httpserver.url_for("/a/paris"))
    assert page.body.startswith("Advisers from Britain") and page.body.endswith("sanctions pressure on Russia.")


def teaser_feed(*numbers: int, base: str) -> bytes:
    items = "".join(
        f"<item><title>Talks {n}</title><link>{base}/a/{n}</link><guid>wire-{n}</guid>"
        f"<description>Teaser {n}.</description></item>"
        for n in numbers
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'.encode()


async def test_a_full_text_source_reads_the_page_of_each_new_item_once(httpserver, fetcher, store, clock):
    from diplobot.config import IngestConfig
    from diplobot.poller import poll_due
    from diplobot.store import articles, sources

    base = httpserver.url_for("").rstrip("/")
    feed = {"body": teaser_feed(1, 2, base=base)}
    httpserver.expect_request("/feed.xml").respond_with_handler(lambda _: Response(feed["body"]))
    for n in (1, 2, 3):
        httpserver.expect_request(f"/a/{n}").respond_with_data(
            PAGE.replace(b"Paris", f"Paris {n}".encode()), content_type="text/html"
        )
    await store.run(
        sources.upsert_source,
        f"{base}/feed.xml",
        kind="feed",
        every_s=600,
        full_text=True,
        title=None,
        now=clock.now().isoformat(),
    )

    (first,) = await poll_due(store, fetcher, IngestConfig(), clock.now())
    feed["body"] = teaser_feed(3, 2, 1, base=base)
    (second,) = await poll_due(store, fetcher, IngestConfig(), clock.now() + timedelta(hours=1))

    assert (first.counts.new, second.counts.new, second.counts.duplicates) == (2, 1, 2)
    pages = sorted(request.path for request, _ in httpserver.log if request.path.startswith("/a/"))
    assert pages == ["/a/1", "/a/2", "/a/3"]  # items already stored cost no page fetch
    bodies = [a["body"] for a in await store.run(articles.latest_articles)]
    assert len(bodies) == 3 and all("sanctions pressure on Russia" in body for body in bodies)


async def test_a_page_larger_than_the_cap_is_refused(httpserver):
    httpserver.expect_request("/big").respond_with_data(PAGE * 100, content_type="text/html")
    async with Fetcher(max_bytes=len(PAGE)) as fetcher:
        with pytest.raises(IngestError, match=f"response larger than {len(PAGE)} bytes cap"):
            await fetch_page(fetcher, httpserver.url_for("/big"))
