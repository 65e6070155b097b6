"""Word normalisation shared by topic queries and article text, so that both sides compare equal.

A query matches text when their normalised word sequences match, so every rule here applies to both:

* Unicode NFKC, case folding and diacritics folded (Erdoğan = Erdogan, Zelenskyy's = zelenskyy);
* typographic apostrophes and dashes unified; possessive 's dropped (Yermak's -> yermak), other
  apostrophes removed (O'Brien -> obrien); dotted acronyms joined (U.S. -> us);
* hyphenated lower-case compounds joined (cease-fire -> ceasefire, as the corpus labels count it), but
  capitalised or numeric ones split (Zelensky-Trump -> zelensky trump, Putin-era -> putin era) so names
  inside them still match;
* English plurals reduced to the singular with a conservative suffix rule (guarantees -> guarantee,
  countries -> country, taxes -> tax) that strips only a final s, never -ing or -ed, so "willing" stays
  apart from "will".

Why whitespace chunks and a cache. Article text is split on whitespace (C speed) and each distinct chunk
("Ukraine,", "Rubio's") is normalised once and remembered: news vocabulary is Zipfian, so after a few
articles almost every chunk is a dictionary hit and the Unicode work never runs on the hot path.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import accumulate

CACHE_LIMIT = 100_000

_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "\u2032": "'", "\u00b4": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u0131": "i", "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D",
    "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE", "\u00df": "ss", "\u00fe": "th",
})
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:['\-][^\W_]+)*")
_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"'[sS]$")

_IRREGULAR = {"children": "child", "men": "man", "women": "woman", "crises": "crisis", "analyses": "analysis",
              "theses": "thesis", "bases": "base"}
_KEEP = frozenset({"news", "series", "species", "means", "politics", "economics", "physics", "always", "perhaps",
                   "sometimes", "whereas", "does", "goes", "lens", "chaos", "bias", "alias", "canvas", "ethos"})
_PLURAL_ES = ("sses", "xes", "ches", "shes", "zzes")


def singular(word: str) -> str:
    """English singular of a case-folded word; leaves anything doubtful alone (short words, -ss, -us, -is)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word[-1] != "s" or word in _KEEP or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(_PLURAL_ES):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def _fold(text: str) -> str:
    """NFKD without combining marks, plus the letters and punctuation NFKD leaves alone."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


def _final_words(part: str) -> Iterator[str]:
    """Case-fold one hyphen-free piece and yield its normalised words (casefold can leave marks to fold)."""
    folded = part.casefold()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKC", _fold(folded))
    for word in _WORD.findall(folded):
        yield singular(word)


def _token_words(token: str) -> Iterator[str]:
    if "." in token:
        yield from _final_words(token.replace(".", ""))
        return
    token = _POSSESSIVE.sub("", token).replace("'", "")
    parts = [p for p in token.split("-") if p]
    if len(parts) > 1 and all(p.isalpha() and not p[0].isupper() for p in parts):
        parts = ["".join(parts)]
    for part in parts:
        yield from _final_words(part)


def _normalize_chunk(chunk: str) -> str:
    """Normalised words of one whitespace-free chunk, joined by spaces ("" for pure punctuation)."""
    if not chunk.isascii():
        chunk = _fold(chunk)
    return " ".join(w for token in _TOKEN.findall(chunk) for w in _token_words(token))


class _ChunkCache(dict[str, str]):
    """chunk -> normalised words; looked up from C via map(cache.__getitem__, ...)."""

    def __missing__(self, chunk: str) -> str:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        value = self[chunk] = _normalize_chunk(chunk)
        return value


_CACHE = _ChunkCache()
_lookup = _CACHE.__getitem__


def normalize_words(text: str) -> str:
    """Normalised tokens of `text` joined by single spaces (used for queries and for article text)."""
    return _joined(list(map(_lookup, text.split())))[0]


def _joined(norms: list[str]) -> tuple[str, bool]:
    """The words joined by single spaces, and whether no chunk was pure punctuation (nothing to squeeze)."""
    joined = " ".join(norms)
    if "  " in joined or joined[:1] == " " or joined[-1:] == " ":
        return " ".join(joined.split()), False
    return joined, True


def hyphen_split(text: str) -> str:
    """Like normalize_words, but every hyphen separates words: the form capitalised compounds take."""
    return normalize_words(re.sub(r"[\-\u2010-\u2015\u2212]", " ", text))


class Normalized:
    """A text's normalised words (`words`), plus what maps normalised words back to their characters.

    The mapping is worked out only when asked (for matched articles), with C-level string operations over
    the chunk list the normalisation already made: no Python loop over every chunk.
    """

    __slots__ = ("_chunks", "_no_empty", "_norms", "text", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self._chunks = text.split()
        self._norms = list(map(_lookup, self._chunks))
        self.words, self._no_empty = _joined(self._norms)

    def spans(self, hits: Iterable[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
        """Character offsets of each (first word, number of words), without the punctuation at their edges.

        A span covers whole whitespace chunks, so a hit on "trump" in "Zelensky-Trump" is that chunk.
        """
        hits = list(hits)
        chunk_of = self._chunk_index()
        bounds = self._chunk_bounds(sorted({chunk_of(w) for first, count in hits for w in (first, first + count - 1)}))
        out = {}
        for first, count in hits:
            start, end = bounds[chunk_of(first)][0], bounds[chunk_of(first + count - 1)][1]
            out[first, count] = _trimmed(self.text, start, end)
        return out

    def _chunk_index(self) -> Callable[[int], int]:
        """word index -> chunk index: the identity while every chunk yields exactly one word."""
        if self._no_empty and len(self._norms) == self.words.count(" ") + 1:
            return int
        words_through = list(accumulate(map(len, map(str.split, self._norms))))
        return partial(bisect_right, words_through)

    def _chunk_bounds(self, chunks: list[int]) -> dict[int, tuple[int, int]]:
        """(start, end) of the given chunks, found by splitting off the chunks before each one, in order."""
        rest, at, bounds = self.text, 0, {}
        for chunk in chunks:
            rest = rest.split(None, chunk - at)[-1]
            at = chunk
            start = len(self.text) - len(rest)
            bounds[chunk] = (start, start + len(self._chunks[chunk]))
        return bounds


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    inner_start, inner_end = start, end
    while inner_start < inner_end and not text[inner_start].isalnum():
        inner_start += 1
    while inner_end > inner_start and not text[inner_end - 1].isalnum():
        inner_end -= 1
    return (inner_start, inner_end) if inner_start < inner_end else (start, end)
