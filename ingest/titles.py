"""A web page's headline without the site's name: "Talks resume | WIRED" is "Talks resume".

Pages put their site's name in <title> (and often in og:title): "… - BBC News", "WIRED | …". A
segment split off at a spaced separator (| - – — · • » « ~ /) is dropped from either end when it
names the site: the site name trafilatura reports (og:site_name, application-name, ...) or the
host's main label, alone or with a generic word ("BBC News", "CNN.com", "The Guardian"). When the
whole title is only the site's name, the next candidate is tried (og:title, twitter:title, the
page's <h1>, <title>), and the caller falls back to the lead sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from diplobot.ingest.text import clean_title

_SEPARATOR = re.compile(r"\s+[|\-–—·•»«~/]\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")
# Words a site's name adds to its host's label: "BBC News", "CNN.com", "Reuters UK", "The Guardian".
_SITE_WORDS = (
    "",
    "news",
    "com",
    "couk",
    "online",
    "live",
    "world",
    "international",
    "uk",
    "us",
    "media",
    "tv",
    "org",
    "net",
    "daily",
    "today",
    "magazine",
    "mag",
    "the",
)
# Second-level labels under which the registrable name is one label further left (bbc.co.uk).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "or", "ne", "go", "gv"})
_MAX_SITE_WORDS = 5


def page_title(candidates: Iterable[str | None], *, site_names: Iterable[str | None], url: str | None) -> str:
    """The first candidate that is still a headline once site names are stripped from its ends, or ""."""
    keys = site_keys(site_names, url)
    for candidate in candidates:
        title = strip_site_name(clean_title(candidate or ""), keys)
        if title and not is_site_name(title, keys):
            return title
    return ""


def site_keys(site_names: Iterable[str | None], url: str | None) -> frozenset[str]:
    """Normalised forms a site's name takes: its reported names and its host's main label."""
    keys = {_norm(name) for name in site_names if name}
    host = (urlsplit(url).hostname or "") if url else ""
    labels = [label for label in host.lower().split(".") if label and label not in ("www", "m", "amp")]
    if len(labels) >= 2:
        main = labels[-3] if labels[-2] in _SECOND_LEVEL and len(labels) >= 3 else labels[-2]
        keys.update(_norm(main) + word for word in _SITE_WORDS)
        keys.update("the" + _norm(main) + word for word in _SITE_WORDS)
        keys.add(_norm(host))
    return frozenset(k for k in keys if len(k) >= 2)


def is_site_name(text: str, keys: frozenset[str]) -> bool:
    """True when `text` is nothing but the site's name (in one of its forms)."""
    return len(text.split()) <= _MAX_SITE_WORDS and _norm(text) in keys


def strip_site_name(title: str, keys: frozenset[str]) -> str:
    """`title` without segments at its start or end that name the site."""
    if not keys:
        return title
    parts = _SEPARATOR.split(title)
    separators = _SEPARATOR.findall(title)
    while len(parts) > 1 and is_site_name(parts[-1], keys):
        parts.pop()
        separators.pop()
    while len(parts) > 1 and is_site_name(parts[0], keys):
        parts.pop(0)
        separators.pop(0)
    rebuilt = parts[0]
    for separator, part in zip(separators, parts[1:], strict=True):
        rebuilt += separator + part
    return rebuilt.strip()


def _norm(text: str) -> str:
    return _NOT_ALNUM.sub("", text.casefold())
