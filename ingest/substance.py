"""Whether a text is an article's own words or something every page or item of a site says.

Two decisions rest on this:

* content-hash dedup (urls.content_hash) may merge two articles only when their text is substantial
  and not boilerplate: feed items whose description is just "Comments", or pages that extracted to
  the same "JavaScript is disabled" notice, are different stories with the same filler;
* a page whose only text is such a notice has no article text at all (pages.parse_page).

"Substantial" is a length rule, in characters of normalised words so that it also holds for scripts
written without spaces: below `MIN_SUBSTANTIAL_CHARS` (about 25 English words, a sentence or two)
identical text is no evidence of the same story. "Boilerplate" is a paragraph of at most
`NOTICE_MAX_WORDS` words matching one of `NOTICE_PATTERNS` (script, cookie, paywall and bot-check
notices), or one of `FILLER_PARAGRAPHS` ("Comments", "Read more"): the small, documented list of what
sites put where an article should be.
A long paragraph that merely mentions cookies is never a notice.
"""

from __future__ import annotations

import re

MIN_SUBSTANTIAL_CHARS = 150
NOTICE_MAX_WORDS = 60

NOTICE_PATTERNS = (
    # browsers without scripts, or unsupported
    r"\bjavascript\b.{0,40}\b(?:disabled|required|must be enabled|is not enabled|is off|turned off|needed)",
    r"\b(?:enable|turn on|activate|allow)\b.{0,20}\bjavascript\b",
    r"\b(?:your|this) browser\b.{0,40}\b(?:not supported|unsupported|out of date|outdated|does not support)",
    # cookie and consent walls
    r"\b(?:we|this (?:site|website)) uses? cookies\b",
    r"\b(?:accept|allow|manage|reject)\b.{0,20}\bcookies\b",
    r"\bcookie (?:policy|settings|preferences|consent|notice)\b",
    r"\bconsent to (?:the use of|our use of) (?:cookies|your data)\b",
    # paywalls and sign-in walls
    r"\b(?:subscribe|sign in|log in|register)\b.{0,30}\b(?:to (?:continue|read|keep reading|access|unlock)|"
    r"for (?:full|unlimited) access)",
    r"\b(?:this|the) (?:article|content|story) is (?:for|available (?:only )?to|exclusive to|reserved for) "
    r"(?:subscribers|members|premium)",
    r"\b(?:already a subscriber|become a (?:subscriber|member))\b",
    r"\byou have (?:reached|used) (?:your|the) (?:limit|free articles|maximum)",
    # bot checks and error pages
    r"\b(?:are you a robot|verify (?:that )?you are (?:a )?human|checking your browser|access denied|"
    r"request (?:was )?blocked|403 forbidden|404 not found|page not found)\b",
)
# Feed filler standing in for a description: the whole paragraph, ignoring case, brackets and punctuation.
FILLER_PARAGRAPHS = frozenset(
    {
        "comments",
        "comment",
        "read more",
        "continue reading",
        "more",
        "link",
        "permalink",
        "link comments",
        "read the full article",
        "full story",
    }
)
# Every notice pattern needs one of these words: most paragraphs are cleared by a cheap substring test.
_NOTICE_WORDS = (
    "javascript",
    "browser",
    "cookie",
    "subscri",
    "sign in",
    "log in",
    "register",
    "member",
    "premium",
    "robot",
    "human",
    "access",
    "blocked",
    "forbidden",
    "not found",
    "limit",
    "free articles",
)
_NOTICE = re.compile("|".join(f"(?:{p})" for p in NOTICE_PATTERNS), re.I)
_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"[\W_]+")


def is_notice(paragraph: str) -> bool:
    """A short paragraph that is a script/cookie/paywall/bot-check notice or feed filler, not article text."""
    text = paragraph.strip()
    if not text or len(text.split(None, NOTICE_MAX_WORDS)) > NOTICE_MAX_WORDS:
        return False
    lower = text.lower()
    if len(lower) < 40 and _NOT_WORD.sub(" ", lower).strip() in FILLER_PARAGRAPHS:
        return True
    return any(word in lower for word in _NOTICE_WORDS) and bool(_NOTICE.search(text))


def without_notices(text: str) -> str:
    """`text` (paragraphs separated by blank lines) without its notice paragraphs."""
    paragraphs = text.split("\n\n")
    kept = [p for p in paragraphs if not is_notice(p)]
    return text if len(kept) == len(paragraphs) else "\n\n".join(kept)


def is_substantial(words: str, text: str) -> bool:
    """True when `text` (whose normalised words are `words`) is long enough, and more than notices, to
    identify a story by itself."""
    if len(words) < MIN_SUBSTANTIAL_CHARS:
        return False
    if len(words) > MIN_SUBSTANTIAL_CHARS * 4:  # far longer than any notice: skip the pattern scan
        return True
    rest = without_notices(text)
    return rest is text or len(" ".join(_WORD.findall(rest))) >= MIN_SUBSTANTIAL_CHARS
