"""Reading articles from files and folders, web pages and OPML lists, and refusing bad ones clearly."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplobot.ingest.files import iter_inputs, read_path
from diplobot.ingest.models import IngestError
from diplobot.ingest.opml import read_opml, write_opml
from diplobot.ingest.pages import parse_page

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "corpus"
SEED = FIXTURES / "seeds" / "000_fd9a76e71e4bf2ca.txt"
BAD = FIXTURES / "bad"
LABELS = json.loads((CORPUS / "labels.json").read_text())["articles"]

PAGE = """<!DOCTYPE html><html><head><title>Paris talks | Example Wire</title>
<meta property="og:site_name" content="Example Wire">
<meta property="article:published_time" content="2025-09-04T18:30:00+03:00"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Paris talks on security guarantees</h1>
<p>Presidential Office head Andriy Yermak met US special envoy Steve Witkoff in Paris on Thursday, together
with national security advisers from Britain, France, Germany and Italy.</p>
<p>The talks focused on security guarantees for Ukraine and on strengthening sanctions pressure on Russia,
the Presidential Office said in a statement published after the meeting.</p></article>
<footer>Copyright Example Wire</footer></body></html>"""


def test_the_seed_gets_a_title_from_its_lead_sentence_and_loses_its_photo_caption():
    [seed] = read_path(SEED)

    assert seed.title.startswith("Head of the presidential Office Andriy Yermak, secretary of the National")
    assert seed.title.endswith("…") and len(seed.title) <= 120
    assert seed.published_at == datetime(2025, 9, 4, tzinfo=UTC)
    assert "AARON SCHWARTZ" not in seed.title + seed.body and "date 2025" not in seed.body
    assert seed.body.startswith("Head of the presidential Office Andriy Yermak")
    assert seed.body.count("\n\n") == 7 and seed.url is None


@pytest.mark.parametrize("label", LABELS, ids=lambda label: label["file"][:30])
def test_each_corpus_article_has_its_labelled_title_and_date(label):
    [article] = read_path(CORPUS / "articles" / label["file"])

    assert article.title == label["title"]
    assert article.published_at == datetime.fromisoformat(label["date"]).replace(tzinfo=UTC)
    assert "(Photo:" not in article.body and label["title"] not in article.body.split("\n\n")[0]


def test_folders_are_read_recursively_in_name_order_skipping_hidden_entries(tmp_path):
    for name in ["b.txt", "a/c.md", "a/.draft.txt", ".git/config", "a/d/e.json"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    missing = tmp_path / "missing.txt"

    found = list(iter_inputs([tmp_path, missing]))

    assert found == [tmp_path / "b.txt", tmp_path / "a/c.md", tmp_path / "a/d/e.json", missing]


def test_a_missing_file_is_reported_when_read(tmp_path):
    with pytest.raises(IngestError, match=r"missing\.txt: no such file"):
        read_path(tmp_path / "missing.txt")


def test_a_text_file_with_a_title_line_and_no_date(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text(
        "Sanctions on Rosneft and Lukoil\n\nThe US Treasury imposed sanctions\non two oil companies.\n\n"
        "Markets reacted.\n"
    )

    [article] = read_path(path)

    assert article.title == "Sanctions on Rosneft and Lukoil"
    assert article.body == "The US Treasury imposed sanctions on two oil companies.\n\nMarkets reacted."
    assert article.published_at is None


def test_markdown_takes_its_title_from_the_first_heading(tmp_path):
    path = tmp_path / "note.md"
    path.write_text(
        "Intro line.\n\n# Geneva talks on the *peace plan*\n\nDelegations met in **Geneva** "
        "([statement](https://example.org/s)).\n\n## Reactions\n\n- Kyiv welcomed it\n- Moscow did not\n"
    )

    [article] = read_path(path)

    assert article.title == "Geneva talks on the peace plan"
    assert article.body == (
        "Intro line.\n\nDelegations met in Geneva (statement).\n\nReactions\n\nKyiv welcomed it\n\nMoscow did not"
    )


def test_an_html_file_is_read_like_a_web_page(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE)

    [article] = read_path(path)

    assert article.title.startswith("Paris talks")
    assert article.body.count("\n\n") == 1 and "Copyright" not in article.body


def test_a_web_page_gives_one_article_with_title_date_and_main_text():
    article = parse_page(PAGE.encode(), url="https://wire.example.org/paris")

    assert article.title == "Paris talks on security guarantees"
    assert article.published_at == datetime(2025, 9, 4, 15, 30, tzinfo=UTC)
    assert article.url == "https://wire.example.org/paris"
    assert article.body.startswith("Presidential Office head Andriy Yermak met US special envoy Steve Witkoff")
    assert article.body.count("\n\n") == 1 and "Home" not in article.body and "Copyright" not in article.body


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (b"<html><body><nav>Home</nav></body></html>", "no article text found on the page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an HTML page: binary data"),
        (b"  ", "empty page"),
    ],
)
def test_a_page_without_an_article_is_an_error(page, reason):
    with pytest.raises(IngestError, match=reason):
        parse_page(page)


def test_json_articles_as_an_object_or_a_list(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(
        json.dumps(
            {
                "title": "Talks &amp; more",
                "url": "https://e.org/1",
                "published": "2025-09-04",
                "body": "<p>First.</p><p>Second.</p>",
            }
        )
    )
    many = tmp_path / "many.json"
    many.write_text(
        json.dumps(
            [
                {"title": "A", "body": "x", "published": "2025-09-04T18:30:00+03:00"},
                {"body": "No title here. Second sentence.", "published": "2025-09-04T10:00:00Z"},
            ]
        )
    )

    [single] = read_path(one)
    first, second = read_path(many)

    assert (single.title, single.url, single.body) == ("Talks & more", "https://e.org/1", "First.\n\nSecond.")
    assert single.published_at == datetime(2025, 9, 4, tzinfo=UTC)
    assert first.published_at == datetime(2025, 9, 4, 15, 30, tzinfo=UTC)
    assert (second.title, second.published_at) == ("No title here.", datetime(2025, 9, 4, 10, tzinfo=UTC))


def test_jsonl_gives_one_article_per_line_and_names_a_bad_line(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"title": "A", "body": "a"}\n\n{"title": "B", "body": "b", "published": "2025-01-02"}\n')
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "A", "body": "a"}\n{"title": \n')

    assert [a.title for a in read_path(good)] == ["A", "B"]
    with pytest.raises(IngestError, match=r"bad\.jsonl: invalid JSON at line 2"):
        read_path(bad)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"title": 5, "body": "x"}', "item 1: 'title' must be a string, not a number"),
        ('[{"title": "A", "published": "yesterday"}]', "item 1: cannot read the date 'yesterday'"),
        ("[]", "no articles in the JSON"),
        ('[{"url": "https://e.org"}]', "item 1 has neither a title nor a body"),
    ],
)
def test_json_problems_are_named(tmp_path, content, reason):
    path = tmp_path / "x.json"
    path.write_text(content)

    with pytest.raises(IngestError, match=reason):
        read_path(path)


@pytest.mark.parametrize("suffix", [".xml", ".rss", ".atom"])
def test_saved_feed_files_give_their_items(tmp_path, suffix):
    path = tmp_path / f"wire{suffix}"
    path.write_bytes((CORPUS / "feed-a.xml").read_bytes())

    assert len(read_path(path)) == 12


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty-channel.xml", "empty-channel.xml: no items could be read from the feed"),
        ("garbage.xml", "garbage.xml: malformed XML with nothing readable"),
        ("page.html", "page.html: no article text found on the page"),
    ],
)
def test_feed_files_without_items_are_errors(name, reason):
    with pytest.raises(IngestError, match=reason):
        read_path(FIXTURES / "feeds" / name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("binary.txt", r"binary.txt: not a text file \(contains NUL bytes"),
        ("nul-byte.txt", r"nul-byte.txt: not a text file \(contains NUL bytes"),
        (
            "numbers.json",
            "numbers.json: expected JSON objects with title, url, published and body, but item 1 is a number",
        ),
        ("truncated.json", "truncated.json: invalid JSON at line 2, column 1"),
        ("empty.txt", "empty.txt: empty file"),
        ("blank.md", "blank.md: empty file"),
    ],
)
def test_bad_files_are_refused_with_the_file_name_and_the_reason(name, reason):
    with pytest.raises(IngestError, match=reason):
        read_path(BAD / name)


def test_a_legacy_encoded_text_file_is_read_with_a_warning_naming_it(caplog):
    [article] = read_path(BAD / "latin1.txt")

    assert (article.title, article.body) == ("Café talks in Genève", "Latin-1 body.")
    assert "latin1.txt: no character encoding declared and not UTF-8; read as cp1252 (detected)" in caplog.text


def test_a_1_gb_sparse_file_is_stopped_at_the_size_cap(tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(1024**3)

    with pytest.raises(IngestError, match=r"huge\.txt: file larger than 10 MiB cap"):
        read_path(huge)


def test_the_size_cap_is_configurable(tmp_path):
    path = tmp_path / "small.txt"
    path.write_text("Title\n\n" + "word " * 100)

    with pytest.raises(IngestError, match="larger than"):
        read_path(path, max_bytes=100)
    assert read_path(path, max_bytes=1000)[0].title == "Title"


def test_a_folder_passed_to_read_path_is_an_error(tmp_path):
    with pytest.raises(IngestError, match="is a folder"):
        read_path(tmp_path)


def test_opml_round_trip_keeps_urls_and_titles():
    sources = [
        {"url": "https://wire.example.org/feed.xml", "title": "Wire & Co"},
        {"url": "https://desk.example.org/atom", "title": None},
    ]

    feeds = read_opml(write_opml(sources).encode())

    assert feeds == [
        {"url": "https://wire.example.org/feed.xml", "title": "Wire & Co"},
        {"url": "https://desk.example.org/atom", "title": "https://desk.example.org/atom"},
    ]


def test_opml_from_a_feed_reader_with_folders_and_odd_attribute_case():
    document = b"""<?xml version="1.0"?><opml version="1.0"><head/><body>
      <outline text="News"><outline text="Wire" xmlUrl="https://wire.example.org/rss"/>
        <outline title="Desk" xmlurl="https://desk.example.org/rss"/></outline>
      <outline text="dupe" xmlUrl="https://wire.example.org/rss"/>
      <outline text="not http" xmlUrl="file:///etc/passwd"/></body></opml>"""

    assert read_opml(document) == [
        {"url": "https://wire.example.org/rss", "title": "Wire"},
        {"url": "https://desk.example.org/rss", "title": "Desk"},
    ]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "x">]><opml><body/></opml>', "declares XML entities"),
        (b"<rss><channel/></rss>", "not an OPML file: the root element is <rss>"),
        (b"<opml><body>", "not valid OPML"),
    ],
)
def test_bad_opml_is_refused(document, reason):
    with pytest.raises(IngestError, match=reason):
        read_opml(document)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".txt", ".md", ".json", ".jsonl", ".xml", ".html"]))
def test_any_file_content_gives_articles_or_a_named_error(tmp_path, data, suffix):
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)

    try:
        articles = read_path(path)
    except IngestError as exc:
        assert str(exc).startswith(f"input{suffix}: ")
    else:
        assert articles and all(a.title for a in articles)


async def test_a_folder_source_stores_what_it_can_and_names_the_files_it_skipped(tmp_path, store, clock):
    from diplobot.config import IngestConfig
    from diplobot.poller import poll_due
    from diplobot.store import sources

    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "empty-feed.xml").write_bytes((FIXTURES / "feeds" / "empty-channel.xml").read_bytes())
    (folder / "wire.xml").write_bytes((CORPUS / "feed-a.xml").read_bytes())
    (folder / "sub" / "note.txt").write_text("Sanctions on oil firms\n\nThe Treasury imposed sanctions.\n")
    (folder / "sub" / "broken.json").write_text('{"title": ')
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    await store.run(
        sources.upsert_source,
        str(folder),
        kind="file",
        every_s=600,
        full_text=False,
        title=None,
        now=clock.now().isoformat(),
    )

    (result,) = await poll_due(store, None, IngestConfig(), clock.now())

    assert (result.error, result.counts.new) == (None, 13)
    [row] = await store.run(sources.list_sources)
    assert row["last_error"].startswith("2 of 5 files skipped: ")
    assert "broken.json: invalid JSON" in row["last_error"]
    assert "photo.jpg: an image (.jpg) is not an article" in row["last_error"]
    assert row["error_count"] == 0 and row["paused"] == 0


async def test_a_folder_source_where_nothing_is_readable_fails(tmp_path, store, clock):
    from diplobot.config import IngestConfig
    from diplobot.poller import poll_due
    from diplobot.store import sources

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.json").write_text("[")
    await store.run(
        sources.upsert_source,
        str(folder),
        kind="file",
        every_s=600,
        full_text=False,
        title=None,
        now=clock.now().isoformat(),
    )

    (result,) = await poll_due(store, None, IngestConfig(), clock.now())

    assert result.error.startswith("none of the 1 files could be read: a.json: invalid JSON")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("news.rdf", (FIXTURES / "feeds" / "rss1.xml").read_bytes()),
        ("wire", (CORPUS / "feed-a.xml").read_bytes()),
        ("feed.php", (CORPUS / "feed-b.xml").read_bytes()),
    ],
)
def test_saved_feeds_are_read_as_feeds_whatever_their_suffix(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)

    assert len(read_path(path)) > 1


@pytest.mark.parametrize("name", ["story", "page.shtml", "index.php"])
def test_html_pages_are_read_as_pages_whatever_their_suffix(tmp_path, name):
    path = tmp_path / name
    path.write_text(PAGE)

    [article] = read_path(path)

    assert article.title == "Paris talks on security guarantees" and "<p>" not in article.body
