"""Sources are checked when added: unknown schemes, non-URLs, pages that link their feed, OPML entries left out,
doctor on missing paths, and files in a folder that are no articles."""

import logging

import pytest
from typer.testing import CliRunner

from diplobot import bot
from diplobot.bot import app
from diplobot.ingest.discover import feed_links
from diplobot.ingest.files import read_input, read_source
from diplobot.ingest.models import IngestError

FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><title>Truce talks</title>'
    "<link>https://news.example/truce</link><description>A ceasefire was discussed.</description>"
    "</item></channel></rss>"
)
PAGE = (
    "<!DOCTYPE html><html><head><title>Wire</title>"
    '<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/1">'
    '<link rel="alternate" type="application/rss+xml" title="Wire RSS" href="/feed.xml">'
    "</head><body><p>Welcome to the wire.</p></body></html>"
)
BARE_PAGE = "<!DOCTYPE html><html><head><title>Home</title></head><body><p>Nothing to see.</p></body></html>"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    for console in (bot.out, bot.err):
        monkeypatch.setattr(console, "width", 300)
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", True)


@pytest.fixture
def cli(tmp_path):
    config = tmp_path / "diplobot.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path / "bot.db"}"\n[ingest]\nallow_private_hosts = true\ntimeout = 2.0\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["--config", str(config), *args])


def test_unknown_schemes_and_text_that_is_no_url_or_path_are_refused(cli, tmp_path):
    ftp = cli("sources", "add", "ftp://x/feed.xml")
    assert ftp.exit_code == 2 and "ftp: URLs are not supported" in ftp.output
    ingest = cli("ingest", "ftp://x/article.html")
    assert ingest.exit_code == 1 and "ftp://x/article.html: only http:// and https:// URLs" in ingest.output
    word = cli("sources", "add", "not-a-url")
    assert word.exit_code == 2 and "neither an http(s) URL nor an existing file or folder" in word.output
    host = cli("sources", "add", "example.org/rss.xml")
    assert host.exit_code == 2 and "did you mean https://example.org/rss.xml?" in host.output
    folder = tmp_path / "articles"
    folder.mkdir()
    assert cli("sources", "add", str(folder)).exit_code == 0
    listed = cli("sources", "list").output
    assert "articles" in listed and "not-a-url" not in listed and "ftp" not in listed


def test_a_page_that_links_its_feed_gets_the_feed_added_instead(cli, httpserver):
    httpserver.expect_request("/news/").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type="application/rss+xml")
    httpserver.expect_request("/wp-json/wp/v2/pages/1").respond_with_data('{"id": 1}', content_type="application/json")
    added = cli("sources", "add", httpserver.url_for("/news/"))
    assert added.exit_code == 0, added.output
    assert "is a web page; it links its feed" in added.output and "which is added instead" in added.output
    assert 'a feed, "Wire", 1 item' in added.output
    listed = cli("sources", "list").output
    assert "/feed.xml" in listed or "Wire" in listed
    assert cli("poll").exit_code == 0


def test_a_page_without_a_feed_is_refused_and_a_feed_is_checked(cli, httpserver):
    httpserver.expect_request("/home").respond_with_data(BARE_PAGE, content_type="text/html")
    httpserver.expect_request("/rss").respond_with_data(FEED, content_type="application/rss+xml")
    page = cli("sources", "add", httpserver.url_for("/home"))
    assert page.exit_code == 2 and "a web page, not a feed, and it links no feed" in page.output
    feed = cli("sources", "add", httpserver.url_for("/rss"))
    assert feed.exit_code == 0 and 'a feed, "Wire", 1 item' in feed.output


def test_doctor_fails_a_missing_path_and_a_page_that_is_no_feed(cli, tmp_path, httpserver):
    httpserver.expect_request("/rss").respond_with_data(FEED, content_type="application/rss+xml")
    folder = tmp_path / "gone"
    folder.mkdir()
    assert cli("sources", "add", str(folder)).exit_code == 0
    assert cli("sources", "add", httpserver.url_for("/rss")).exit_code == 0
    folder.rmdir()
    httpserver.clear()
    httpserver.expect_request("/rss").respond_with_data(BARE_PAGE, content_type="text/html")
    doctor = cli("doctor")
    assert doctor.exit_code == 1
    assert "gone: no such file or folder" in doctor.output
    assert "HTTP 200, but not a feed: got an HTML page" in doctor.output


def test_opml_import_names_every_entry_it_leaves_out(cli, tmp_path):
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="News">'
        '<outline text="Wire" xmlUrl="https://wire.example.org/rss"/>'
        '<outline text="Old mirror" xmlUrl="ftp://mirror.example.org/rss"/>'
        '<outline text="A blog" htmlUrl="https://blog.example.org/"/>'
        '<outline text="Wire again" xmlUrl="https://wire.example.org/rss"/>'
        "</outline></body></opml>",
        encoding="utf-8",
    )
    result = cli("sources", "import", str(opml))
    assert result.exit_code == 0
    assert "imported 1 source(s), skipped 3" in result.output
    assert "skipped: Old mirror (ftp://mirror.example.org/rss): not an http(s) URL" in result.output
    assert "skipped: A blog: no feed URL (xmlUrl); only a web page, https://blog.example.org/" in result.output
    assert "skipped: Wire again (https://wire.example.org/rss): listed before" in result.output


def test_files_that_are_no_articles_are_skipped_saying_what_they_are(tmp_path, cli):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""A package."""\nimport os\n', encoding="utf-8")
    (folder / "report.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    (folder / "memo.docx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "scan").write_bytes(b"%PDF-1.7\n")  # no suffix: known by its first bytes
    (folder / "note.txt").write_text(
        "Talks resume\n\nNegotiators met in Geneva to discuss a ceasefire.\n", encoding="utf-8"
    )
    document = read_source(folder)
    assert [d.title for d in document.drafts] == ["Talks resume"]
    warning = document.warning
    assert "5 of 6 files skipped" in warning and "binary" not in warning
    assert "__init__.py: source code (.py) is not an article" in warning
    assert "memo.docx: a Word document (.docx) is not supported" in warning
    with pytest.raises(IngestError, match=r"report\.pdf: PDF is not supported: save it as text, Markdown or HTML"):
        read_input(folder / "report.pdf")
    ingested = cli("ingest", str(folder / "photo.png"), str(folder / "scan"))
    assert ingested.exit_code == 1
    assert "photo.png: an image (.png) is not an article" in ingested.output
    assert "scan: PDF is not supported" in ingested.output


def test_feed_links_are_absolute_and_prefer_feed_types_over_plain_json():
    links = feed_links(PAGE.encode(), "https://wire.example.org/news/")
    assert links == ["https://wire.example.org/feed.xml", "https://wire.example.org/wp-json/wp/v2/pages/1"]
    assert feed_links(b'<link rel="alternate" type="application/atom+xml" href="javascript:x()">', "") == []
