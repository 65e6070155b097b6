"""URL and content identity: what makes two articles "the same", and which URLs we may fetch."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

import httpx

from diplobot.ingest.models import IngestError
from diplobot.ingest.substance import is_substantial
from diplobot.ingest.text import strip_invisible

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that say how a reader arrived, never which article it is: campaign tags (utm_*, Matomo,
# HubSpot, comScore, AT Internet as in BBC feed links), ad and social click ids, newsletter ids, and the
# feed markers some outlets append to every item link (Reuters' feedType/feedName).
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "ns_", "at_", "_hs")
_TRACKING_KEYS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "mkt_tok",
        "wt.mc_id",
        "wt_mc",
        "xtor",
        "ocid",
        "ncid",
        "cmpid",
        "cmp",
        "smid",
        "smtyp",
        "ito",
        "ref_src",
        "ref_url",
        "sr_share",
        "feedtype",
        "feedname",
        "rss",
        "spm",
    }
)
_NOT_WORD = re.compile(r"[\W_]+")
_ASCII_NOT_WORD = {c: " " for c in range(128) if not chr(c).isalnum()}


def canonical_url(url: str) -> str:
    """The form of `url` used to recognise the same article behind differently written links.

    Scheme and host lower-cased, credentials, default port, fragment, tracking parameters
    (utm_*, fbclid, gclid and the others listed above) and the trailing slash removed.
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
    return key.startswith(_TRACKING_PREFIXES) or key in _TRACKING_KEYS


def web_link(link: str | None) -> str | None:
    """`link` if it is an http(s) URL, else None: javascript:, data: or file: links must never reach a chat."""
    link = strip_invisible(link or "").strip()
    try:
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        return None
    return link if scheme in _DEFAULT_PORTS and " " not in link else None


def redact_url(url: str) -> str:
    """`url` as a human may see it: credentials and secret-looking query values masked, fragment dropped.

    Feeds often carry an API key or a password in their URL; the real URL is only for fetching,
    while messages, logs, the CLI and chats show this form. Other query parameters stay, because
    they are what tells two sources on the same site apart.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(invalid URL)"
    userinfo, at, host = parts.netloc.rpartition("@")
    netloc = f"***@{host}" if at and userinfo else host
    query = "&".join(_redact_param(p) for p in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def display_url(text: str) -> str:
    """`text` redacted if it is an http(s) URL, else unchanged: for labels that are a title or a URL."""
    return redact_url(text) if text[:8].lower().startswith(("http://", "https://")) else text


# Query keys (split into words: `api_key`, `apiKey`, `X-Amz-Signature`) whose values are secrets.
_SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "sig",
        "signature",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "session",
        "sessionid",
        "sid",
        "jwt",
        "bearer",
        "hmac",
        "otp",
        "accesstoken",
        "authtoken",
        "apitoken",
        "clientsecret",
        "privatekey",
        "secretkey",
        "accesskey",
        "refreshtoken",
        "idtoken",
        "appkey",
        "appsecret",
        "consumerkey",
        "consumersecret",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _redact_param(param: str) -> str:
    key, eq, value = param.partition("=")
    if not (eq and value):
        return param
    words = re.findall(r"[a-z0-9]+", _CAMEL.sub("_", unquote_plus(key)).lower())
    secret = any(w in _SECRET_WORDS for w in words) or "".join(words) in _SECRET_WORDS
    return f"{key}=***" if secret else param


def normalise_for_hash(text: str) -> str:
    """Text reduced to its words: Unicode-compatible forms, case-folded, punctuation and spacing gone."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():  # the common case, several times faster than the regex and with the same result
        return " ".join(folded.translate(_ASCII_NOT_WORD).split())
    return _NOT_WORD.sub(" ", folded).strip()


def content_hash(title: str, body: str, *, identity: str | None = None) -> str:
    """A fingerprint of an article's words, equal for the same story read from a file, a feed or a page.

    The body decides; the title is only used when there is no body, because feeds and files word
    titles differently far more often than they change the text. Only substantial text that is more
    than boilerplate identifies a story (ingest/substance.py): for an article whose text is a title,
    "Comments" or a cookie notice, the fingerprint is of its `identity` (canonical URL or feed guid)
    instead, so that different stories with the same filler stay different articles. Without an
    identity the words are all there is.
    """
    text, words = body, normalise_for_hash(body)
    if not words:
        text, words = title, normalise_for_hash(title)
    if identity and not is_substantial(words, text):
        words = "\x00link " + identity  # never the normalised form of any text
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


Resolver = Callable[[str, int], Iterable[str]]
"""Looks a host name up: (ASCII host, port) -> its addresses. Tests pass one that plays a hostile DNS."""
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges `is_global` lets through in Python 3.11 although they reach IPv4 (or legacy) hosts: NAT64
# (64:ff9b::/96, local-use 64:ff9b:1::/48), 6to4 (2002::/16), IPv4-compatible (::/96) and
# IPv4-translated (::ffff:0:0:0/96) addresses, and deprecated site-local fec0::/10.
_NON_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "::/96", "::ffff:0:0:0/96", "fec0::/10")
)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def fetch_target(url: str) -> tuple[str, int]:
    """The host (ASCII, encoded exactly as httpx encodes it for DNS) and port an http(s) `url` connects to.

    httpx encodes international names with IDNA 2008 (the `idna` package), Python's own codec with
    IDNA 2003: `faß.example` is `xn--fa-hia.example` to one and `fass.example` to the other. Checking
    the name httpx will connect to closes that gap.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise IngestError(f"not a valid URL: {redact_url(url)!r}") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise IngestError(f"only http:// and https:// URLs can be fetched, not {redact_url(url)!r}")
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise IngestError(f"not a valid URL: {redact_url(url)!r} ({exc})") from None
    host = target.raw_host.decode("ascii").strip("[]")
    return host, target.port or _DEFAULT_PORTS[parts.scheme.lower()]


def check_public_url(url: str, allow_private: bool = False, resolver: Resolver | None = None) -> None:
    """Refuse a URL we should not fetch on a user's behalf (server-side request forgery).

    Only http(s) is allowed, and unless `allow_private`, every address the host resolves to must be
    public (see `public_addresses`). This early check gives a clear message when a source is added;
    the Fetcher repeats it at connect time and connects to the very address it checked.
    """
    host, port = fetch_target(url)
    if not allow_private:
        public_addresses(host, port, resolver or system_resolver)


def ip_literal(host: str) -> IPAddress | None:
    """`host` as an address if it is one (IPv6 brackets and zone allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def public_addresses(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """Resolve `host` once and return its addresses, refusing it if any one of them is not public.

    Every address is checked, not just the first: a name answering both a public and a private
    address would otherwise reach the private one whenever the connection tries it.
    """
    literal = ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [a for a in (ip_literal(str(r)) for r in resolver(host, port)) if a is not None]
        except (OSError, UnicodeError) as exc:
            raise IngestError(f"cannot resolve host {host}: {exc}") from None
        if not addresses:
            raise IngestError(f"cannot resolve host {host}: no address")
    for address in addresses:
        if not is_public_address(address):
            raise IngestError(f"refusing to fetch {host}: it resolves to the non-public address {address}")
    return addresses


def is_public_address(address: IPAddress) -> bool:
    """True for a global unicast address; loopback, private, link-local (cloud metadata), multicast,
    reserved and IPv6 ranges that tunnel or translate to IPv4 are not."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            address = address.ipv4_mapped
        elif any(address in net for net in _NON_PUBLIC_V6):
            return False
    return address.is_global and not address.is_multicast
