"""Which URLs and stories count as the same, and which URLs may be fetched at all."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplobot.ingest.feeds import parse_feed
from diplobot.ingest.files import read_path
from diplobot.ingest.models import IngestError
from diplobot.ingest.urls import canonical_url, check_public_url, content_hash, display_url, redact_url, web_link

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Example.ORG/News/Item/", "https://example.org/News/Item"),
        (
            "https://example.org/a?utm_source=tg&id=7&UTM_Medium=x&fbclid=1&gclid=2#comments",
            "https://example.org/a?id=7",
        ),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/", "https://example.org"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://user:pw@example.org/a", "https://example.org/a"),
        ("  https://example.org/a?b=1&a=2  ", "https://example.org/a?b=1&a=2"),
        ("https://www.bbc.com/news/articles/c1?at_medium=RSS&at_campaign=rss", "https://www.bbc.com/news/articles/c1"),
        (
            "https://www.example-wire.com/world/talks-id1?feedType=RSS&feedName=topNews",
            "https://www.example-wire.com/world/talks-id1",
        ),
        (
            "https://paper.example/a?CMP=share_btn_tw&mc_cid=9&mc_eid=8&msclkid=7&_ga=1.2&pk_campaign=x&p=2",
            "https://paper.example/a?p=2",
        ),
        (
            "https://news.example/story.php?id=42&page=2&ocid=msn&xtor=RSS-1",
            "https://news.example/story.php?id=42&page=2",
        ),
    ],
)
def test_canonical_url_removes_what_does_not_identify_the_article(url, canonical):
    assert canonical_url(url) == canonical


@given(
    host=st.from_regex(r"[A-Za-z0-9]{1,10}\.(org|COM)", fullmatch=True),
    path=st.lists(st.from_regex(r"[A-Za-z0-9_-]{0,6}", fullmatch=True), max_size=3),
    query=st.dictionaries(st.sampled_from(["id", "utm_x", "p", "gclid"]), st.text(max_size=5), max_size=3),
    trailing=st.booleans(),
)
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
        assert content_hash(from_file.title, from_file.body) == content_hash(from_feed.title, from_feed.body), (
            from_file.title
        )
    assert len({content_hash(f.title, f.body) for f in files}) == 24


def test_the_hash_ignores_case_spacing_and_punctuation_but_not_words():
    same = content_hash("", "Yermak met Witkoff.\n\nThey talked — at length!")

    assert content_hash("", "  yermak MET witkoff   they talked at length ") == same
    assert content_hash("", "Yermak met Vitkoff. They talked at length.") != same


def test_without_a_body_the_title_is_hashed():
    assert content_hash("Talks in Paris", "") == content_hash("talks in paris!", "  ")
    assert content_hash("Talks in Paris", "") != content_hash("Talks in Geneva", "")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://localhost:8080/feed",
        "http://[::1]/feed",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
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
    assert redact_url("https://user:pw@example.org/feed?token=abc#x") == "https://***@example.org/feed?token=***"


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]/",  # NAT64: 127.0.0.1 through a translator
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64: cloud metadata
        "http://[64:ff9b:1::a00:1]/",  # local-use NAT64
        "http://[2002:7f00:1::1]/",  # 6to4 around 127.0.0.1
        "http://[::7f00:1]/",  # IPv4-compatible 127.0.0.1
        "http://[::a9fe:a9fe]/",  # IPv4-compatible metadata address
        "http://[::ffff:0:7f00:1]/",  # IPv4-translated
        "http://[fec0::1]/",  # deprecated site-local
        "http://[fe80::1%25eth0]/",  # link-local with a zone
    ],
)
def test_ipv6_ranges_that_reach_ipv4_or_legacy_hosts_are_refused(url):
    with pytest.raises(IngestError, match="non-public address"):
        check_public_url(url)


def test_every_resolved_address_is_checked_with_the_injected_resolver():
    answers = {"cdn.example": ["93.184.216.34", "2606:2800:220:1::1"], "bad.example": ["93.184.216.34", "::7f00:1"]}

    def dns(host, port):
        return answers[host]

    check_public_url("https://cdn.example/feed", resolver=dns)
    with pytest.raises(IngestError, match=r"refusing to fetch bad\.example: .* ::7f00:1"):
        check_public_url("https://bad.example/feed", resolver=dns)


def test_the_host_checked_is_encoded_as_httpx_encodes_it():
    asked = []

    def dns(host, port):
        asked.append((host, port))
        return ["93.184.216.34"]

    check_public_url("https://FAß.example:8443/a", resolver=dns)
    assert asked == [("xn--fa-hia.example", 8443)]  # IDNA 2008, as httpx; IDNA 2003 would ask for fass.example


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "http://reader:S3cretPass@feeds.example/rss?apikey=APIKEY-12345&lang=en",
            "http://***@feeds.example/rss?apikey=***&lang=en",
        ),
        (
            "https://x.example/f?api_key=1&apiKey=2&API-KEY=3&access_token=4&private_token=5&sig=6&page=2",
            "https://x.example/f?api_key=***&apiKey=***&API-KEY=***&access_token=***&private_token=***&sig=***&page=2",
        ),
        (
            "https://x.example/f?password=a&passwd=b&secret=c&auth=d&X-Amz-Signature=e&X-Amz-Credential=f&key=g",
            "https://x.example/f?password=***&passwd=***&secret=***&auth=***&X-Amz-Signature=***&X-Amz-Credential=***"
            "&key=***",
        ),
        (
            "https://x.example/f?api%5Fkey=1&token=&author=smith&id=7",
            "https://x.example/f?api%5Fkey=***&token=&author=smith&id=7",
        ),
        ("https://token@x.example/f", "https://***@x.example/f"),
        ("https://x.example/f", "https://x.example/f"),
    ],
)
def test_urls_shown_to_people_have_credentials_and_secret_values_masked(url, shown):
    assert redact_url(url) == shown


def test_display_url_masks_urls_and_leaves_titles_and_paths_alone():
    assert display_url("HTTPS://u:p@x.example/f?token=t") == "https://***@x.example/f?token=***"
    assert display_url("Reuters World") == "Reuters World"
    assert display_url("/srv/feeds/a?token=b.xml") == "/srv/feeds/a?token=b.xml"
