"""URL and content identity: what makes two articles "the same", and which URLs we may fetch."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from diplobot.ingest.models import IngestError
from diplobot.ingest.text import strip_invisible

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_KEYS = frozenset({"fbclid", "gclid"})
_NOT_WORD = re.compile(r"[\W_]+")
_ASCII_NOT_WORD = {c: " " for c in range(128) if not chr(c).isalnum()}


def canonical_url(url: str) -> str:
    """The form of `url` used to recognise the same article behind differently written links.

    Scheme and host lower-cased, credentials, default port, fragment, tracking parameters
    (utm_*, fbclid, gclid) and the trailing slash removed.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket: nothing to normalise
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)])
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), query, ""))


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in _TRACKING_KEYS


def web_link(link: str | None) -> str | None:
    """`link` if it is an http(s) URL, else None: javascript:, data: or file: links must never reach a chat."""
    link = strip_invisible(link or "").strip()
    try:
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        return None
    return link if scheme in _DEFAULT_PORTS and " " not in link else None


def redact_url(url: str) -> str:
    """`url` without credentials, query or fragment: safe to show in an error message or a log."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(invalid URL)"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def normalise_for_hash(text: str) -> str:
    """Text reduced to its words: Unicode-compatible forms, case-folded, punctuation and spacing gone."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():  # the common case, several times faster than the regex and with the same result
        return " ".join(folded.translate(_ASCII_NOT_WORD).split())
    return _NOT_WORD.sub(" ", folded).strip()


def content_hash(title: str, body: str) -> str:
    """A fingerprint of an article's words, equal for the same story read from a file, a feed or a page.

    The body decides; the title is only used when there is no body, because feeds and files word
    titles differently far more often than they change the text.
    """
    words = normalise_for_hash(body) or normalise_for_hash(title)
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def check_public_url(url: str, allow_private: bool = False) -> None:
    """Refuse a URL we should not fetch on a user's behalf (server-side request forgery).

    Only http(s) is allowed, and unless `allow_private`, every address the host resolves to must be
    public: no loopback, private, link-local (cloud metadata), multicast or reserved ranges.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise IngestError(f"not a valid URL: {redact_url(url)!r}") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise IngestError(f"only http:// and https:// URLs can be fetched, not {redact_url(url)!r}")
    if allow_private:
        return
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port or _DEFAULT_PORTS[parts.scheme.lower()],
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise IngestError(f"cannot resolve host {host}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not _is_public(address):
            raise IngestError(f"refusing to fetch {host}: it resolves to the non-public address {address}")


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast
