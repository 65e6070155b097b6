"""Which URLs and stories count as the same, and which URLs may be fetched at all."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplobot.ingest.feeds import parse_feed
from diplobot.ingest.files import read_path
from diplobot.ingest.models import IngestError
from diplobot.ingest.urls import canonical_url, check_public_url, content_hash, redact_url, web_link

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTPS://Example.ORG/News/Item/", "https://example.org/News/Item"),
    ("https://example.org/a?utm_source=tg&id=7&UTM_Medium=x&fbclid=1&gclid=2#comments", "https://example.org/a?id=7"),
    ("http://example.org:80/a", "http://example.org/a"),
    ("https://example.org:443/", "https://example.org"),
    ("https://example.org:8443/a", "https://example.org:8443/a"),
    ("https://user:pw@example.org/a", "https://example.org/a"),
    ("  https://example.org/a?b=1&a=2  ", "https://example.org/a?b=1&a=2"),
])
def test_canonical_url_removes_what_does_not_identify_the_article(url, canonical):
    assert canonical_url(url) == canonical


@given(host=st.from_regex(r"[A-Za-z0-9]{1,10}\.(org|COM)", fullmatch=True),
       path=st.lists(st.from_regex(r"[A-Za-z0-9_-]{0,6}", fullmatch=True), max_size=3),
       query=st.dictionaries(st.sampled_from(["id", "utm_x", "p", "gclid"]), st.text(max_size=5), max_size=3),
       trailing=st.booleans())
def test_canonical_url_is_stable_when_applied_twice(host, path, query, trailing):
    url = f"HTTP://{host}/{'/'.join(path)}{'/' if trailing else ''}"
    url += "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""

    once = canonical_url(url)

    assert canonical_url(once) == once
    assert "utm_" not in once and "gclid" not in once


def test_every_corpus_article_hashes_the_same_from_its_file_and_from_its_feed_item():
    feeds = [parse_feed((CORPUS / name).read_bytes()) for name in ("feed-a.xml", "feed-b.xml")]
    items = {d.title: d for feed in feeds for d in feed.drafts}
    files = [read_path(path)[0] for path in sorted((CORPUS / "articles").glob("*.txt"))]

    pairs = [(f, items[f.title]) for f in files]
    assert len(pairs) == 24
    for from_file, from_feed in pairs:
        assert content_hash(from_file.title, from_file.body) == content_hash(from_feed.title, from_feed.body), \
            from_file.title
    assert len({content_hash(f.title, f.body) for f in files}) == 24


def test_the_hash_ignores_case_spacing_and_punctuation_but_not_words():
    same = content_hash("", "Yermak met Witkoff.\n\nThey talked — at length!")

    assert content_hash("", "  yermak MET witkoff   they talked at length ") == same
    assert content_hash("", "Yermak met Vitkoff. They talked at length.") != same


def test_without_a_body_the_title_is_hashed():
    assert content_hash("Talks in Paris", "") == content_hash("talks in paris!", "  ")
    assert content_hash("Talks in Paris", "") != content_hash("Talks in Geneva", "")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/feed", "http://localhost:8080/feed", "http://[::1]/feed", "http://10.1.2.3/",
    "http://192.168.0.10/", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
])
def test_private_and_metadata_addresses_are_refused(url):
    with pytest.raises(IngestError, match="non-public address"):
        check_public_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed", "gopher://x", "http:///nohost"])
def test_only_http_urls_with_a_host_may_be_fetched(url):
    with pytest.raises(IngestError, match="only http:// and https://"):
        check_public_url(url, allow_private=True)


def test_public_addresses_pass_and_private_ones_pass_when_allowed():
    check_public_url("https://93.184.216.34/feed.xml")
    check_public_url("http://127.0.0.1:8000/feed.xml", allow_private=True)


def test_links_shown_to_users_are_http_only_and_messages_carry_no_secrets():
    assert web_link("javascript:alert(1)") is None
    assert web_link(" https://example.org/a\u200b ") == "https://example.org/a"
    assert redact_url("https://user:pw@example.org/feed?token=abc#x") == "https://example.org/feed"
