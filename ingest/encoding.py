"""Turning a document's bytes into text whatever its encoding: declared, undeclared or wrongly declared.

The order is the one that is right most often on real feeds and pages:

1. a byte-order mark;
2. valid UTF-8 (unless NULs say UTF-16/32): legacy text is practically never valid UTF-8 by accident,
   while pages and feeds that declare ISO-8859-1 but are UTF-8 are common;
3. the declared encodings (HTTP charset, then the document's own declaration), if they decode;
4. detection with charset-normalizer, which is what reads KOI8-R, Shift_JIS, EUC-* and windows-125x
   documents that declare nothing or declare the wrong thing. Its near-ties among single-byte code
   pages are broken by the language it recognised (Czech text is windows-1250, Turkish windows-1254):
   a small table below.

Detection is reported as a warning (the caller names the file or source); `decode` returns None
when nothing fits, and each reader decides what that means for it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass

from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# XML without a byte-order mark still starts with "<" (XML 1.0 appendix F): its width shows the encoding.
_UNMARKED_WIDE = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([\w.:+-]+)""", re.I)
_XML_DECLARED = re.compile(rb"""\A\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:+-]{1,40})["']""")
_HTML_DECLARED = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?([\w.:+-]{1,40})""", re.I)
_MARKUP = re.compile(rb"<[^<>]{0,2000}>")
_DETECT_BYTES = 65536  # enough to recognise an encoding; the whole document is then decoded strictly
_NEAR_TIE = 0.1  # charset-normalizer "chaos" within which a language's usual code page is preferred
# The usual legacy code pages of each language charset-normalizer recognises, for breaking near-ties.
_LATIN2 = frozenset({"cp1250", "iso8859_2"})
_WESTERN = frozenset({"cp1252", "iso8859_1", "iso8859_15"})
_CYRILLIC = frozenset({"cp1251", "koi8_r", "koi8_u", "iso8859_5"})
_LANGUAGE_CODE_PAGES = {
    **dict.fromkeys(("Czech", "Polish", "Slovak", "Hungarian", "Slovene", "Croatian", "Romanian"), _LATIN2),
    **dict.fromkeys(
        (
            "English",
            "French",
            "German",
            "Spanish",
            "Portuguese",
            "Italian",
            "Dutch",
            "Danish",
            "Norwegian",
            "Swedish",
            "Finnish",
            "Indonesian",
        ),
        _WESTERN,
    ),
    **dict.fromkeys(("Russian", "Ukrainian", "Bulgarian", "Serbian", "Belarusian", "Macedonian"), _CYRILLIC),
    "Turkish": frozenset({"cp1254", "iso8859_9"}),
    "Greek": frozenset({"cp1253", "iso8859_7"}),
    "Hebrew": frozenset({"cp1255", "iso8859_8"}),
    "Arabic": frozenset({"cp1256", "iso8859_6"}),
    "Farsi": frozenset({"cp1256"}),
    "Lithuanian": frozenset({"cp1257", "iso8859_13"}),
    "Latvian": frozenset({"cp1257", "iso8859_13"}),
    "Estonian": frozenset({"cp1257", "iso8859_13"}),
    "Vietnamese": frozenset({"cp1258"}),
    "Thai": frozenset({"cp874", "tis_620"}),
}
# With no language recognised at all (a few accented letters), the web's default legacy encoding (WHATWG).
_DEFAULT_LEGACY = "cp1252"
_NO_BOM_WIDE = frozenset({"utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"})


@dataclass(frozen=True)
class Decoded:
    """A document's text, the encoding it was read with, and a warning when that encoding was guessed."""

    text: str
    encoding: str
    warning: str | None = None


def charset_param(content_type: str) -> str | None:
    """The `charset` parameter of a Content-Type header, if any."""
    match = _CHARSET_PARAM.search(content_type or "")
    return match.group(1) if match else None


def xml_declared(data: bytes) -> str | None:
    """The encoding named by an XML declaration at the very start (after a UTF-8 BOM), if any."""
    match = _XML_DECLARED.match(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    return match.group(1).decode("ascii") if match else None


def html_declared(data: bytes) -> str | None:
    """The encoding a `<meta charset>` or `http-equiv` tag names near the start of an HTML page, if any."""
    match = _HTML_DECLARED.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def decode(data: bytes, *, declared: Sequence[str | None] = ()) -> Decoded | None:
    """`data` as text (see the module docstring for the order), or None when no encoding fits."""
    for bom, encoding in _BOMS + _UNMARKED_WIDE:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding).removeprefix("\ufeff"), encoding.removesuffix("-sig"))
            except UnicodeDecodeError:
                break
    names = [name for name in (_codec(d) for d in declared if d) if name]
    wide = b"\x00" in data[:1024]
    if not wide or not names:
        try:
            return Decoded(data.decode("utf-8"), "utf-8")
        except UnicodeDecodeError:
            pass
    for name in names:
        try:
            return Decoded(data.decode(name), name)
        except UnicodeDecodeError:
            continue
    return _detect(data, next((d for d in declared if d), None))


def _detect(data: bytes, declared: str | None) -> Decoded | None:
    for encoding in _candidates(data):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        shown = _codec(encoding) or encoding
        reason = (
            f"declared as {declared}, but it is not valid {declared}"
            if declared
            else "no character encoding declared and not UTF-8"
        )
        return Decoded(text, shown, f"{reason}; read as {shown} (detected)")
    return None


def _candidates(data: bytes) -> list[str]:
    """Encodings charset-normalizer finds plausible, most likely first.

    Among results of near-equal chaos, one whose recognised language usually uses that very code page
    (Turkish read as windows-1254) beats one that is merely first; with no language evidence at all,
    windows-1252 goes first.
    """
    sample = data
    if len(data) > _DETECT_BYTES:  # cut at a line end: no multi-byte character is split there
        cut = data.rfind(b"\n", 0, _DETECT_BYTES)
        sample = data[: cut if cut > 0 else _DETECT_BYTES]
    # Markup is ASCII in every candidate encoding and drowns the language evidence: judge the text.
    results = [r for r in from_bytes(_MARKUP.sub(b" ", sample)) if r.encoding not in _NO_BOM_WIDE]
    if not results:
        return []
    names = [r.encoding for r in results]
    best = results[0]
    if is_multi_byte_encoding(best.encoding):
        return names
    if best.coherence == 0:
        return [_DEFAULT_LEGACY, *names]
    consistent = next(
        (
            r
            for r in results
            if r.chaos <= best.chaos + _NEAR_TIE and r.encoding in _LANGUAGE_CODE_PAGES.get(r.language, ())
        ),
        None,
    )
    return [consistent.encoding, *names] if consistent else names


def _codec(name: str) -> str | None:
    """The canonical codec name for an encoding label, or None if Python has no such codec."""
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None
