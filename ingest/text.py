"""Turning what sources give us (HTML, messy plain text) into the clean text an ArticleDraft holds.

Every reader funnels through here so that the same story reads the same whichever way it arrived:
paragraphs separated by one blank line, whitespace collapsed, and no invisible characters (control,
zero-width, bidi overrides) that could disguise a title in a chat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import lxml.etree
import lxml.html

from diplobot.texts import strip_invisible as strip_all_invisible


def strip_invisible(text: str) -> str:
    """Article text keeps no invisible character, the zero-width joiners included (they would split words)."""
    return strip_all_invisible(text, joiners=False)


_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n")
_SENTENCE_END = re.compile(r"(?<![A-Z])[.!?][\"”»']?(?=\s+[\"“«(]?[A-Z0-9]|\s*$)")

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
# Not article text: code, and photo captions (a file's caption sits on its date line and is dropped too).
_SKIPPED_TAGS = frozenset({"figcaption", "head", "noscript", "script", "style", "template"})
_BREAK = "\x00"  # paragraph marker while walking the tree; real NULs were removed before parsing


def one_line(text: str) -> str:
    """Visible characters only, all whitespace runs collapsed to one space."""
    return _SPACES.sub(" ", strip_invisible(text)).strip()


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Paragraphs as one text, each collapsed to a single line, separated by a blank line."""
    return "\n\n".join(p for p in (one_line(p) for p in paragraphs) if p)


def plain_text(text: str) -> str:
    """Plain text whose paragraphs are separated by blank lines (hard-wrapped lines are re-joined)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return join_paragraphs(_BLANK_LINES.split(text))


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment or page, one paragraph per block element.

    Entities are decoded exactly once (by the HTML parser). The tree is walked iteratively, so
    deeply nested input cannot exhaust the stack.
    """
    html = strip_invisible(html)
    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return plain_text(html)
    lxml.etree.strip_tags(root, lxml.etree.Comment, lxml.etree.ProcessingInstruction)
    return join_paragraphs("".join(_text_pieces(root)).split(_BREAK))


def _text_pieces(root: lxml.html.HtmlElement) -> Iterable[str]:
    skipping = 0
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            if el.tag in _SKIPPED_TAGS:
                skipping += 1
            elif not skipping:
                yield _BREAK if el.tag in _BLOCK_TAGS else ""
                yield el.text or ""
            continue
        if el.tag in _SKIPPED_TAGS:
            skipping -= 1
        elif not skipping and el.tag in _BLOCK_TAGS:
            yield _BREAK
        if not skipping:
            yield el.tail or ""


def clean_title(title: str) -> str:
    """A title as plain text on one line: tags stripped, entities decoded once.

    Feeds declare titles as plain text yet fill them with markup and escaped entities so often that
    every title is read as HTML; a bare `&` or `<` survives that unchanged.
    """
    return one_line(html_to_text(title).replace("\n\n", " "))


def lead_title(body: str, limit: int = 120) -> str:
    """A title for an article that has none: its lead sentence, shortened at a word boundary."""
    first = next((p for p in body.split("\n\n") if p.strip()), "")
    end = _SENTENCE_END.search(first)
    sentence = first[: end.start() + 1] if end else first
    return shorten(one_line(sentence), limit)


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"
