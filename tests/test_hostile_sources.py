"""Hostile sources are contained: untrusted headers, failures that stay one source's own, credentials in
source URLs never shown, and nothing a source controls reaches the admin's terminal as markup or escapes."""

import logging
from datetime import timedelta

import pytest
from netutil import free_port
from typer.testing import CliRunner

from diplobot import bot
from diplobot.bot import app
from diplobot.clock import from_iso
from diplobot.config import IngestConfig
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.models import ArticleDraft
from diplobot.outbox import OutboxWorker
from diplobot.pipeline import ingest_drafts
from diplobot.poller import poll_due
from diplobot.store import sources

SECRETS = ("S3cretPass", "APIKEY-12345", "TOKEN-999")
UNTITLED_FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><item><title>Truce talks in Geneva</title>'
    "<link>https://news.example/truce</link><description>A ceasefire was discussed.</description>"
    "</item></channel></rss>"
)


def with_credentials(url: str) -> str:
    """`url` with a password and an API key in it, as feed readers often store them."""
    return url.replace("http://", "http://reader:S3cretPass@") + "?apikey=APIKEY-12345&lang=en"


async def add_source(store, url, clock, title=None):
    return await store.run(
        sources.upsert_source, url, kind="feed", every_s=600, full_text=False, title=title, now=clock.now().isoformat()
    )


def source_row(store, source_id):
    return store.run(sources.get_source, source_id)


# -- untrusted headers --------------------------------------------------------------------------------


async def test_a_non_ascii_etag_does_not_break_later_polls(httpserver, fetcher, store, clock):
    httpserver.expect_request("/feed.xml").respond_with_data(
        UNTITLED_FEED, headers={"ETag": '"café"'.encode().decode("latin-1")}
    )
    source_id = await add_source(store, httpserver.url_for("/feed.xml"), clock)

    first = await poll_due(store, fetcher, IngestConfig(), clock.now(), all_sources=True)
    second = await poll_due(store, fetcher, IngestConfig(), clock.now(), all_sources=True)

    assert [r.error for r in first + second] == [None, None]
    assert (await source_row(store, source_id))["error_count"] == 0


async def test_a_huge_retry_after_backs_the_source_off_at_most_six_hours(httpserver, fetcher, store, clock):
    httpserver.expect_request("/feed.xml").respond_with_data("", status=429, headers={"Retry-After": "300000000000"})
    source_id = await add_source(store, httpserver.url_for("/feed.xml"), clock)

    (result,) = await poll_due(store, fetcher, IngestConfig(), clock.now())

    assert "429" in result.error
    row = await source_row(store, source_id)
    assert row["error_count"] == 1
    assert from_iso(row["next_poll_at"]) == clock.now() + timedelta(hours=6)


class ExplodingFetcher(Fetcher):
    """A fetcher with a bug nobody foresaw, for URLs containing 'bad'."""

    async def get(self, url, **kwargs):
        if "bad" in url:
            raise RuntimeError("boom")
        return await super().get(url, **kwargs)


async def test_an_unexpected_error_is_that_sources_failure_only(httpserver, store, clock, caplog):
    httpserver.expect_request("/good.xml").respond_with_data(UNTITLED_FEED)
    bad = await add_source(store, httpserver.url_for("/bad.xml"), clock)
    good = await add_source(store, httpserver.url_for("/good.xml"), clock)
    config = IngestConfig(max_failures=3)

    async with ExplodingFetcher(timeout=3.0) as fetcher:
        rounds = [await poll_due(store, fetcher, config, clock.now(), all_sources=True) for _ in range(4)]

    assert [len(r) for r in rounds] == [2, 2, 2, 1]  # paused after three failures in a row
    assert all(r.error is None for polled in rounds for r in polled if r.url.endswith("good.xml"))
    assert rounds[0][0].error == "unexpected RuntimeError: boom" and rounds[2][0].paused
    bad_row, good_row = await source_row(store, bad), await source_row(store, good)
    assert (bad_row["paused"], bad_row["error_count"], good_row["error_count"]) == (1, 3, 0)
    assert "boom" in caplog.text  # with the traceback, for whoever fixes the bug


# -- credentials in source URLs -----------------------------------------------------------------------


def cli_config(tmp_path, source: str = "") -> str:
    """A config for CLI runs; with `source`, that feed is configured (and no bundled samples are added)."""
    path = tmp_path / "diplobot.toml"
    sources_toml = f'[[sources]]\nurl = "{source}"\n' if source else ""
    path.write_text(
        f'[store]\npath = "{tmp_path / "bot.db"}"\n[ingest]\nallow_private_hosts = true\ntimeout = 2.0\n{sources_toml}',
        encoding="utf-8",
    )
    return str(path)


@pytest.mark.slow
def test_the_cli_never_shows_source_credentials_and_poll_fails_when_a_source_did(
    tmp_path, httpserver, monkeypatch, wide_terminal
):
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", True)  # the test server logs full URLs
    httpserver.expect_request("/feed.xml").respond_with_data(UNTITLED_FEED, content_type="application/rss+xml")
    down = f"http://reader:S3cretPass@127.0.0.1:{free_port()}/down.xml?token=TOKEN-999"
    config, runner = cli_config(tmp_path, with_credentials(httpserver.url_for("/feed.xml"))), CliRunner()

    added = runner.invoke(app, ["--config", config, "sources", "add", down])
    poll = runner.invoke(app, ["--config", config, "poll"])
    listed = runner.invoke(app, ["--config", config, "sources", "list"], env={"COLUMNS": "300"})
    doctor = runner.invoke(app, ["--config", config, "doctor"], env={"COLUMNS": "300"})

    assert [r.exit_code for r in (added, poll, listed, doctor)] == [0, 1, 0, 1]
    lines = poll.stdout.splitlines()
    assert len(lines) == 2 and "1 new" in lines[0] and "FAILED: cannot reach 127.0.0.1" in lines[1]
    assert lines[0].startswith("http://***@localhost:") and "apikey=***&lang=en" in lines[0]
    assert "http://***@127.0.0.1:" in listed.stdout and "token=***" in doctor.stdout
    for result in (added, poll, listed, doctor):
        assert not any(secret in result.output for secret in SECRETS), result.output  # stdout and logs


async def test_latest_and_alerts_name_a_titleless_source_without_its_credentials(chat, store, messenger, config, clock):
    source_id = await add_source(store, with_credentials("http://feeds.example/rss"), clock)
    await chat("/subscribe ceasefire")
    await ingest_drafts(
        store,
        [ArticleDraft(title="Truce talks", url="https://news.example/truce", body="A ceasefire was agreed.")],
        source_id=source_id,
        now=clock.now(),
    )

    latest = await chat("/latest 1")
    await OutboxWorker(store, messenger, config, clock).run_once()
    (alert,) = messenger.texts()

    for text in (latest, alert):
        assert "http://***@feeds.example/rss?apikey=***&lang=en" in text
        assert not any(secret in text for secret in SECRETS)


async def test_poll_logs_name_the_source_without_its_credentials(fetcher, store, clock, caplog):
    await add_source(store, with_credentials(f"http://127.0.0.1:{free_port()}/down.xml"), clock)

    with caplog.at_level(logging.INFO):
        (result,) = await poll_due(store, fetcher, IngestConfig(), clock.now())

    assert "cannot reach" in caplog.text and "apikey=***" in caplog.text
    assert not any(secret in caplog.text or secret in result.line() for secret in SECRETS)


@pytest.fixture
def wide_terminal(monkeypatch):
    """The CLI's consoles as on a wide terminal (rich fixes the width when COLUMNS is set at import)."""
    for console in (bot.out, bot.err):
        monkeypatch.setattr(console, "width", 300)


# -- terminal markup and escape sequences ---------------------------------------------------------------


def test_source_titles_cannot_inject_markup_or_escape_sequences_into_the_terminal(tmp_path, httpserver, wide_terminal):
    httpserver.expect_request("/feed.xml").respond_with_data(
        UNTITLED_FEED.replace(
            "<channel>", "<channel><title>[/oops] [red]Wire[/red] [link=http://evil.example]x[/link]</title>"
        )
    )
    hostile = "Wire\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ \x1b[2J\x1b[31m[bold]loud\x07"
    config, runner = cli_config(tmp_path, httpserver.url_for("/feed.xml")), CliRunner()
    added = runner.invoke(app, ["--config", config, "sources", "add", "--title", hostile, httpserver.url_for("/b.xml")])

    runner.invoke(app, ["--config", config, "poll"])  # the feed's own <title> becomes the first source's name
    listed = runner.invoke(app, ["--config", config, "sources", "list"], env={"COLUMNS": "300"})

    assert (added.exit_code, listed.exit_code) == (0, 0), listed.output
    assert "[/oops] [red]Wire[/red] [link=http://evil.example]x[/link]" in listed.output.replace("\n", "")
    assert "Wireclick" in listed.output and "[bold]loud" in listed.output
    assert not any(c in listed.output + added.output for c in "\x1b\x07\x9b\x9d")
