"""Text helpers every layer shares, defined once: removing characters a reader cannot see (from what comes
in, feeds, pages, files and chat messages, and from what goes out to a chat), and cutting text to a size.
"""

from __future__ import annotations

import re

# Removed outright: C0/C1 controls but tab and line breaks, soft hyphen, the Arabic letter mark, the
# Mongolian vowel separator, zero-width space, left-to-right/right-to-left marks, bidi embeddings,
# overrides and isolates, the word joiner and invisible operators (U+2060-U+2064), BOM, the two
# non-characters, lone surrogates and the Unicode tag characters (U+E0000-U+E007F). The zero-width
# (non-)joiners U+200C/U+200D are a choice (`joiners`): Persian and Indic words and emoji sequences in a
# chat need them, while in article text they would split words ("cease<ZWJ>fire") and hide them from topics.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff\U000e0000-\U000e007f]"
)
# Characters that render as an empty space (Hangul fillers U+3164, U+115F, U+1160, U+FFA0 and the
# blank Braille pattern U+2800), used to make "empty" names and messages: they become a plain space.
_BLANK = re.compile("[\u115f\u1160\u2800\u3164\uffa0]")
_JOINERS = re.compile("[\u200c\u200d]")


def strip_invisible(text: str, *, joiners: bool = True) -> str:
    """`text` without invisible characters, and with blank-looking ones as plain spaces; the zero-width
    joiners stay unless `joiners` is False."""
    text = _BLANK.sub(" ", _INVISIBLE.sub("", text))
    return text if joiners else _JOINERS.sub("", text)


ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary where one is near, ending in "…" when cut.

    Callers cut before any other work, so the cost of a huge text (megabytes of "title") is bounded by the
    limit, not by the text.
    """
    if len(text) <= limit:
        return text
    return cut_at_word(text[: max(limit - 1, 0)]) + ELLIPSIS


def cut_at_word(head: str) -> str:
    """A cut-off text ended at its last space, unless that would lose more than half of it."""
    space = head.rfind(" ")
    return (head[:space] if space > len(head) // 2 else head).rstrip()
