"""Never drop a story: only substantial, non-boilerplate text merges articles; links always identify them."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from diplobot.bot import app
from diplobot.ingest.feeds import parse_feed
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.pages import parse_page
from diplobot.ingest.urls import content_hash
from diplobot.pipeline import store_drafts

REALWORLD = Path(__file__).parent / "fixtures" / "realworld" / "inputs"
NOW = "2025-09-04T10:00:00+00:00"
STORY = (
    "Delegations from Ukraine and the United States met in Geneva on Sunday to work on a revised peace "
    "framework, officials from both sides said after the talks ended late in the evening."
)


def test_short_or_boilerplate_text_does_not_identify_a_story_but_its_link_does():
    assert content_hash("", "Comments", identity="https://a.example/1") != content_hash(
        "", "Comments", identity="https://a.example/2"
    )
    notice = "JavaScript is disabled in your browser. Please enable JavaScript to continue reading this article."
    assert content_hash("", notice * 2, identity="https://a.example/1") != content_hash(
        "", notice * 2, identity="https://a.example/2"
    )
    # substantial text is the same story whatever the link, as before
    assert content_hash("", STORY, identity="https://a.example/1") == content_hash(
        "", STORY, identity="https://b.example/9"
    )
    assert content_hash("", STORY) == content_hash("", STORY, identity="https://a.example/1")
    # without any link, the words are all there is
    assert content_hash("Corrections", "") == content_hash("corrections!", "")


def drafts(*specs: tuple[str, str | None, str | None, str]) -> list[ArticleDraft]:
    return [ArticleDraft(title=title, url=url, guid=guid, body=body) for title, url, guid, body in specs]


async def test_feed_items_that_share_filler_text_are_all_stored(store):
    hn = parse_feed((REALWORLD / "hn-comments.xml").read_bytes()).drafts
    corrections = parse_feed((REALWORLD / "corrections.xml").read_bytes()).drafts

    first = await store.run(store_drafts, hn + corrections, source_id=None, now=NOW)
    again = await store.run(store_drafts, hn + corrections, source_id=None, now=NOW)

    assert (first.new, first.duplicates) == (6, 0)
    assert (again.new, again.duplicates) == (0, 6)


async def test_the_same_substantial_text_at_two_links_is_still_one_article(store):
    batch = drafts(
        ("Geneva talks", "https://a.example/geneva?utm_source=tg", "a-1", STORY),
        ("Talks in Geneva", "https://b.example/world/geneva", None, STORY),
        ("Geneva talks", "https://a.example/geneva", None, "Comments"),
    )  # same page, tracking removed

    counts = await store.run(store_drafts, batch, source_id=None, now=NOW)

    assert (counts.new, counts.duplicates) == (1, 2)


async def test_short_items_without_any_link_still_dedupe_by_their_words(store):
    batch = drafts(("Note", None, None, "Short note."), ("Note", None, None, "Short  note!"))

    counts = await store.run(store_drafts, batch, source_id=None, now=NOW)

    assert (counts.new, counts.duplicates) == (1, 1)


@pytest.mark.parametrize("name", ["js-notice-a.html", "js-notice-b.html", "cookie-wall.html"])
def test_a_page_whose_only_text_is_a_notice_has_no_article_text(name):
    with pytest.raises(IngestError, match="no article text found on the page: only a script, cookie, paywall"):
        parse_page((REALWORLD / name).read_bytes(), url=f"https://example.org/{name}")


def test_a_page_with_an_article_and_a_cookie_notice_keeps_the_article():
    html = (
        f"<html><body><article><h1>Geneva</h1><p>{STORY}</p><p>The next round is in a week.</p></article>"
        "<div><p>We use cookies to improve your experience. Accept all cookies?</p></div></body></html>"
    )

    assert parse_page(html.encode()).body.startswith("Delegations from Ukraine")


@pytest.mark.slow
def test_diplobot_ingest_keeps_every_story_of_a_comments_feed(tmp_path):
    config = tmp_path / "diplobot.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "bot.db"}"\n', encoding="utf-8")
    runner = CliRunner()
    feeds = [str(REALWORLD / "hn-comments.xml"), str(REALWORLD / "corrections.xml")]
    notices = [str(REALWORLD / "js-notice-a.html"), str(REALWORLD / "js-notice-b.html")]

    first = runner.invoke(app, ["--config", str(config), "ingest", *feeds, *notices])
    again = runner.invoke(app, ["--config", str(config), "ingest", *feeds])

    assert "6 new, 0 duplicates, 2 failed" in first.output, first.output
    assert first.output.count("no article text found on the page") == 2
    assert "0 new, 6 duplicates, 0 failed" in again.output, again.output


async def test_a_full_text_source_whose_pages_are_notices_keeps_every_item(httpserver, store, fetcher, clock):
    from datetime import timedelta

    from diplobot.config import IngestConfig
    from diplobot.poller import poll_due
    from diplobot.store import sources

    base = httpserver.url_for("").rstrip("/")
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}/story/{n}</link><description>Comments</description></item>"
        for n in (1, 2, 3)
    )
    httpserver.expect_request("/feed").respond_with_data(
        f'<rss version="2.0"><channel><title>Post</title>{items}</channel></rss>', content_type="text/xml"
    )
    for n in (1, 2, 3):
        httpserver.expect_request(f"/story/{n}").respond_with_data(
            (REALWORLD / "js-notice-a.html").read_bytes(), content_type="text/html"
        )
    await store.run(
        sources.upsert_source,
        f"{base}/feed",
        kind="feed",
        every_s=600,
        full_text=True,
        title=None,
        now=clock.now().isoformat(),
    )

    (first,) = await poll_due(store, fetcher, IngestConfig(), clock.now())
    (again,) = await poll_due(store, fetcher, IngestConfig(), clock.now() + timedelta(hours=1))

    assert (first.error, first.counts.new, first.counts.duplicates) == (None, 3, 0)
    assert (again.counts.new, again.counts.duplicates) == (0, 3)
