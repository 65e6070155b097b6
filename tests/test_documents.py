"""Recognising any document by its content, JSON Feed, any encoding, clean page titles and honest dates."""

import json
from datetime import UTC, datetime

import pytest

from diplobot.ingest.documents import parse_document
from diplobot.ingest.encoding import decode
from diplobot.ingest.feeds import parse_feed
from diplobot.ingest.models import IngestError
from diplobot.ingest.pages import parse_page
from diplobot.ingest.sniff import sniff
from diplobot.ingest.substance import is_notice
from diplobot.ingest.titles import page_title

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title><item><title>A</title></item></channel></rss>'
ATOM = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>W</title></feed>'
RDF = b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><channel/></rdf:RDF>'
HTML = b"<!DOCTYPE html><html><head><title>T</title></head><body><p>x</p></body></html>"
ARTICLE = (
    "<p>Delegations from Ukraine and the United States met in Geneva on Sunday to work on a revised "
    "peace framework, officials from both sides said after the talks.</p><p>They agreed to meet again "
    "within a week, and European advisers are expected to join the next round.</p>"
)


@pytest.mark.parametrize(
    ("data", "content_type", "name", "kind"),
    [
        (RSS, "", "news.rdf", "feed"),
        (RSS, "", "wire", "feed"),
        (RSS, "text/html", "index.php", "feed"),
        (RSS, "", "notes.txt", "feed"),  # a feed's root is unmistakable, whatever the name says
        (b"\xef\xbb\xbf  <!-- c --><?xml-stylesheet href='s.xsl'?>" + ATOM, "", "", "feed"),
        (RDF, "text/plain", "", "feed"),
        ("<\x00r\x00s\x00s\x00>\x00".encode("latin-1"), "", "", "feed"),  # UTF-16 without a byte-order mark
        (HTML, "", "story", "html"),
        (HTML, "application/rss+xml", "feed.xml", "html"),
        (b"<div><p>Fragment</p></div>", "", "page.shtml", "html"),
        (b"<div align=center>Logo</div>\n\n# Title", "", "note.md", "markdown"),
        (b"PHP Notice: x in y.php<br>\n<!DOCTYPE html><html><body>x</body></html>", "", "a.php", "html"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "", "", "json"),
        (b'{"title": "a"}\n{"title": "b"}\n', "", "x.jsonl", "jsonl"),
        (b"[Update] Talks resume", "", "notes.txt", "text"),
        (b"Talks resume today.", "text/html", "", "html"),
        (b"# Talks", "", "talks.markdown", "markdown"),
        (b"<opml version='2.0'><body/></opml>", "", "subs.xml", "opml"),
    ],
)
def test_documents_are_recognised_by_content_then_content_type_then_suffix(data, content_type, name, kind):
    assert sniff(data, content_type=content_type, name=name) == kind


def test_a_json_feed_gives_its_items_with_resolved_links_ids_and_utc_dates():
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Radio &amp; News",
        "feed_url": "https://radio.example.org/feed.json",
        "items": [
            {
                "id": 7,
                "url": "/a/7",
                "title": "Talks <b>resume</b>",
                "content_html": ARTICLE,
                "date_published": "2025-09-04T10:00:00-04:00",
            },
            {
                "id": "b",
                "external_url": "https://elsewhere.example.com/x",
                "content_text": "Only text.",
                "date_modified": "Thu, 04 Sep 2025 18:30:00 +0300",
            },
            {"id": "c", "url": "https://radio.example.org/c", "title": "Year only", "date_published": "2025"},
            "not an item",
            {"id": "empty"},
        ],
    }

    document = parse_document(json.dumps(feed).encode(), name="feed")

    first, second, third = document.drafts
    assert (document.kind, document.title) == ("json-feed", "Radio & News")
    assert (first.title, first.url, first.guid) == ("Talks resume", "https://radio.example.org/a/7", "7")
    assert first.published_at == datetime(2025, 9, 4, 14, tzinfo=UTC)
    assert first.body.startswith("Delegations from Ukraine") and first.source_title == "Radio & News"
    assert (second.title, second.url, second.body) == ("Only text.", "https://elsewhere.example.com/x", "Only text.")
    assert second.published_at == datetime(2025, 9, 4, 15, 30, tzinfo=UTC)
    assert third.published_at is None  # a bare year is no date, not 1 January
    assert document.warning == "skipped 2 JSON Feed item(s) that were not objects with any content"


def test_json_feed_version_1_and_plain_json_articles_are_told_apart():
    v1 = b'{"version": "https://jsonfeed.org/version/1", "title": "Blog", "items": [{"id": "1", "content_text": "Hi"}]}'
    articles = b'[{"title": "A", "body": "Text of A."}]'

    assert parse_document(v1, name="feed.json").kind == "json-feed"
    assert parse_document(articles, name="export.json").kind == "json"


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        (
            HTML.replace(b"</head>", b'<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'),
            "text/html",
            r"not a feed: got an HTML page; the page links to a feed at https://site\.example/rss\.xml",
        ),
        (b"Just some words.", "text/plain", "not a feed: got plain text"),
        (
            b'[{"title": "A", "body": "B"}]',
            "application/json",
            "not a feed: got a JSON document that is not a JSON Feed",
        ),
    ],
)
def test_a_polled_source_must_be_a_feed_and_the_error_says_what_it_is(data, content_type, reason):
    with pytest.raises(IngestError, match=reason):
        parse_document(data, url="https://site.example/", content_type=content_type, feeds_only=True)


def test_an_opml_file_given_as_articles_points_to_sources_import():
    with pytest.raises(IngestError, match=r"an OPML subscription list, not articles: .*sources import"):
        parse_document(b'<?xml version="1.0"?><opml version="2.0"><body/></opml>', name="subs.opml")


@pytest.mark.parametrize("encoding", ["koi8-r", "windows-1251", "cp1250", "shift_jis", "euc-jp", "euc-kr", "gb2312"])
def test_an_undeclared_legacy_encoding_is_detected_and_reported(encoding):
    texts = {
        "koi8-r": "Делегации провели переговоры в Женеве о мирном плане и договорились продолжить работу.",
        "windows-1251": "Делегації провели переговори в Женеві щодо мирного плану та домовилися продовжити.",
        "cp1250": "Delegace jednaly v Ženevě o mírovém plánu. Ministr zahraničí řekl, že se strany dohodly.",
        "shift_jis": "ジュネーブで和平案について協議が行われた。外務大臣は、双方が合意したと述べた。",
        "euc-jp": "パリで四か国の安全保障顧問が会合を開いた。制裁について話し合った。",
        "euc-kr": "제네바에서 평화 계획에 대한 회담이 열렸다. 외무장관은 합의했다고 말했다.",
        "gb2312": "乌克兰和美国代表团在日内瓦就和平计划进行了谈判。外交部长表示双方同意继续工作。",
    }
    text = texts[encoding]
    feed = (
        f'<rss version="2.0"><channel><title>W</title><item><title>T</title><description>{text}</description>'
        f"</item></channel></rss>"
    )

    parsed = parse_feed(feed.encode(encoding))

    assert parsed.drafts[0].summary == text
    assert "no character encoding declared and not UTF-8; read as" in parsed.warning


def test_utf8_wins_over_a_wrong_legacy_declaration_and_boms_and_utf16_are_honoured():
    text = "Négociations à Genève"
    assert decode(text.encode(), declared=["iso-8859-1"]).text == text
    assert decode(text.encode("utf-16")).text == text
    assert decode(f"<a>{text}</a>".encode("utf-16-le")).text == f"<a>{text}</a>"
    assert decode(text.encode("cp1252"), declared=["cp1252"]).warning is None


def test_a_page_in_a_declared_legacy_encoding_is_read_in_it():
    html = (
        f'<html><head><meta charset="windows-1251"><title>Т</title></head><body><article>'
        f"<p>{'Делегації України провели переговори в Женеві щодо мирного плану. ' * 3}</p></article></body></html>"
    )

    page = parse_page(html.encode("windows-1251"))

    assert "Делегації України" in page.body


@pytest.mark.parametrize(
    ("title", "site", "url", "clean"),
    [
        ("The drone race in Europe | WIRED", "WIRED", None, "The drone race in Europe"),
        ("Talks resume in Istanbul - BBC News", None, "https://www.bbc.co.uk/news/x", "Talks resume in Istanbul"),
        ("WIRED | The drone race", "WIRED", None, "The drone race"),
        (
            "Ukraine - Russia talks resume - The Guardian",
            None,
            "https://www.theguardian.com/x",
            "Ukraine - Russia talks resume",
        ),
        ("Envoys meet » Example Daily", "Example Daily", None, "Envoys meet"),
        ("Sanctions — CNN.com", None, "https://edition.cnn.com/x", "Sanctions"),
        ("BBC chief resigns - Politics", "BBC News", "https://www.bbc.co.uk/news/x", "BBC chief resigns - Politics"),
        ("Kyiv - Latest", "Example Daily", None, "Kyiv - Latest"),
    ],
)
def test_site_names_are_stripped_from_page_titles_and_nothing_else(title, site, url, clean):
    assert page_title([title], site_names=[site], url=url) == clean


def test_a_title_that_is_only_the_site_name_gives_way_to_the_next_candidate():
    assert (
        page_title(["Example Times", "Example Times", "Loans extended"], site_names=["Example Times"], url=None)
        == "Loans extended"
    )
    assert page_title(["BBC News"], site_names=[], url="https://www.bbc.com/news/x") == ""


def page_with(head: str = "", body_extra: str = "", footer: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>Talks</title>{head}</head><body><article><h1>Talks</h1>"
        f"{body_extra}{ARTICLE}</article><footer>{footer}</footer></body></html>"
    ).encode()


def test_page_dates_keep_their_precision():
    dated = page_with(head='<meta property="article:published_time" content="2025-03-01T09:30:00+02:00">')
    first_of_month = page_with(head='<meta property="article:published_time" content="2025-03-01">')
    copyright_year = page_with(footer="© 2023 Example Media")
    month_only = page_with(body_extra="<p>Updated March 2024</p>")

    assert parse_page(dated).published_at == datetime(2025, 3, 1, 7, 30, tzinfo=UTC)
    assert parse_page(first_of_month).published_at == datetime(2025, 3, 1, tzinfo=UTC)  # that day is stated
    assert parse_page(copyright_year).published_at is None  # not 1 January 2023
    assert parse_page(month_only).published_at is None  # not 1 March 2024


def test_a_date_found_only_in_an_image_path_is_ignored_but_the_articles_own_date_is_kept():
    images = (
        '<img src="/uploads/2019/05/12/photo.jpg"><img srcset="/img/2018/07/09/a.jpg 2x">'
        '<meta property="og:image" content="https://cdn.example.org/2017/02/03/x.png">'
    )
    undated = page_with(head=images)
    dated = page_with(head='<meta name="date" content="2025-09-04">' + images)

    assert parse_page(undated).published_at is None
    assert parse_page(dated).published_at == datetime(2025, 9, 4, tzinfo=UTC)


def test_feed_dates_that_are_only_a_year_or_a_month_are_no_dates():
    feed = (
        b'<rss version="2.0"><channel><item><title>A</title><pubDate>2024</pubDate></item>'
        b"<item><title>B</title><pubDate>Thu, 04 Sep 2025 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    a, b = parse_feed(feed).drafts

    assert a.published_at is None and b.published_at == datetime(2025, 9, 4, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "notice"),
    [
        ("JavaScript is disabled in your browser. Please enable JavaScript to continue.", True),
        ("We use cookies to improve your experience. Accept all cookies?", True),
        ("Subscribe to continue reading. Already a subscriber? Sign in.", True),
        ("Comments", True),
        ("Checking your browser before accessing the site.", True),
        (
            "The EU will force websites to let users reject cookies with one click, the commission said on Tuesday, "
            "after years of complaints from consumer groups about banners that make refusing consent hard. The rules "
            "apply from next year and cover every site that serves readers in the union, large or small, with fines "
            "for those that hide the option, and national regulators will report on how well the rules work after "
            "the first two years.",
            False,
        ),
        ("Delegations met in Geneva on Sunday.", False),
    ],
)
def test_notices_are_recognised_by_a_small_list_of_patterns_on_short_paragraphs(text, notice):
    assert is_notice(text) is notice
