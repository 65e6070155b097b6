"""The regression corpus of real-world shapes (fixtures/realworld): read file by file, through `diplobot ingest`,
and through polling from a local HTTP server that labels each document the way real servers do."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diplobot.bot import app
from diplobot.config import IngestConfig
from diplobot.ingest.files import read_input
from diplobot.ingest.models import IngestError
from diplobot.poller import poll_due
from diplobot.store import articles, sources

CORPUS = Path(__file__).parent / "fixtures" / "realworld"
INPUTS = CORPUS / "inputs"
EXPECTED = {
    name: spec for name, spec in json.loads((CORPUS / "expected.json").read_text()).items() if not name.startswith("_")
}
READABLE = {name: spec for name, spec in EXPECTED.items() if "error" not in spec}
# What real servers send: feeds as text/html or text/plain, JSON Feed as application/json, no charset.
SERVED_AS = {
    ".xml": "text/xml",
    ".rdf": "application/rdf+xml",
    ".php": "text/html; charset=UTF-8",
    ".json": "application/json",
    "": "text/plain",
}


def test_the_corpus_and_its_expectations_match():
    assert sorted(p.name for p in INPUTS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_input_gives_its_articles_with_titles_and_readable_text(name):
    spec = EXPECTED[name]
    if "error" in spec:
        with pytest.raises(IngestError, match=f"{re.escape(name)}: {spec['error']}"):
            read_input(INPUTS / name)
        return
    document = read_input(INPUTS / name)

    assert [d.title for d in document.drafts] == spec["titles"]
    text = "\n".join(d.title + "\n" + d.summary + "\n" + d.body for d in document.drafts)
    assert all(word in text for word in spec.get("words", [])), text
    assert "Ã" not in text and "\ufffd" not in text  # no mojibake, nothing replaced
    if "warning" in spec:
        assert any(spec["warning"] in w and w.startswith(str(INPUTS / name)) for w in document.warnings)
    else:
        assert document.warnings == []
    if spec.get("dated"):
        assert all(d.published_at for d in document.drafts)
    if spec.get("undated"):
        assert all(d.published_at is None for d in document.drafts)
    if "url_prefix" in spec:
        assert all(d.url.startswith(spec["url_prefix"]) for d in document.drafts)


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "diplobot.toml"
    path.write_text(
        f'[store]\npath = "{tmp_path / "bot.db"}"\n[ingest]\nallow_private_hosts = true\n', encoding="utf-8"
    )
    return path


@pytest.mark.slow
def test_the_whole_corpus_through_diplobot_ingest(tmp_path):
    config = config_file(tmp_path)
    runner = CliRunner()
    expected_new = sum(len(spec["titles"]) for spec in READABLE.values())
    failing = sorted(name for name, spec in EXPECTED.items() if "error" in spec)

    first = runner.invoke(app, ["--config", str(config), "ingest", str(INPUTS)])
    again = runner.invoke(app, ["--config", str(config), "ingest", str(INPUTS)])
    found = runner.invoke(app, ["--config", str(config), "search", "Женеве"])

    assert f"\n{expected_new} new, 0 duplicates, {len(failing)} failed" in first.output, first.output
    assert sorted(re.findall(r"failed: \S+/([^/\s]+): .*no article text", first.output)) == failing
    assert "warning: " in first.output and "koi8r.xml: no character encoding declared" in first.output
    assert f"\n0 new, {expected_new} duplicates, {len(failing)} failed" in again.output, again.output
    assert "Переговоры в Женеве" in found.output


async def test_the_corpus_through_polling_decides_by_content(httpserver, store, fetcher, clock):
    feeds = [
        name for name, spec in READABLE.items() if not name.endswith((".html", ".shtml", ".txt")) and name != "story"
    ]
    for name in feeds:
        httpserver.expect_request(f"/{name}").respond_with_data(
            (INPUTS / name).read_bytes(), content_type=SERVED_AS[Path(name).suffix]
        )
        await store.run(
            sources.upsert_source,
            httpserver.url_for(f"/{name}"),
            kind="feed",
            every_s=600,
            full_text=False,
            title=None,
            now=clock.now().isoformat(),
        )

    results = {r.url.rsplit("/", 1)[1]: r for r in await poll_due(store, fetcher, IngestConfig(), clock.now())}

    assert {name: (r.error, r.counts.new) for name, r in results.items()} == {
        name: (None, len(READABLE[name]["titles"])) for name in feeds
    }
    rows = {row["url"].rsplit("/", 1)[1]: row for row in await store.run(sources.list_sources)}
    for name in feeds:  # a guessed encoding is the source's warning, naming what was detected
        assert (READABLE[name].get("warning") or "") in (rows[name]["last_error"] or ""), name
    titles = {a["title"] for a in await store.run(articles.latest_articles, 100)}
    assert {t for name in feeds for t in READABLE[name]["titles"]} <= titles


async def test_a_polled_page_is_not_a_feed_and_says_so(httpserver, store, fetcher, clock):
    httpserver.expect_request("/story").respond_with_data((INPUTS / "story").read_bytes(), content_type="text/html")
    await store.run(
        sources.upsert_source,
        httpserver.url_for("/story"),
        kind="feed",
        every_s=600,
        full_text=False,
        title=None,
        now=clock.now().isoformat(),
    )

    (result,) = await poll_due(store, fetcher, IngestConfig(), clock.now())

    assert result.error == "not a feed: got an HTML page; give the feed's own URL"


def test_urls_given_to_diplobot_ingest_are_read_as_what_they_are(tmp_path, httpserver):
    served = {
        "/feed.php": ("feed.php", "text/html"),
        "/news": ("npr.json", "application/json"),
        "/wire": ("wire", "text/plain"),
        "/story": ("story", "text/html; charset=utf-8"),
        "/koi8": ("koi8r.xml", "application/rss+xml"),
    }
    for path, (name, content_type) in served.items():
        httpserver.expect_request(path).respond_with_data((INPUTS / name).read_bytes(), content_type=content_type)
    config = config_file(tmp_path)
    runner = CliRunner()

    result = runner.invoke(app, ["--config", str(config), "ingest", *(httpserver.url_for(p) for p in served)])
    listed = runner.invoke(app, ["--config", str(config), "search", "мирном плане"])

    total = sum(len(EXPECTED[name]["titles"]) for name, _ in served.values())
    assert result.exit_code == 0 and f"{total} new, 0 duplicates, 0 failed" in result.output, result.output
    assert re.search(r"warning: http://localhost:\d+/koi8: no character encoding declared", result.output)
    assert "Переговоры в Женеве" in listed.output
