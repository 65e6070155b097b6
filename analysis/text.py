"""Normalisation shared by topic queries and article text, so that both sides compare equal.

Article text is turned into its *scan form* (`Scanned`), which the matcher's automaton runs over; a query phrase
is turned into the same form (`normalize_phrase`) and then into automaton keys. The rules:

* Unicode: NFKC-style compatibility folding, diacritics folded (Erdoğan = Erdogan, ﬁnal = final, Łódź =
  Lodz), case folded;
* typographic apostrophes, quotes and dashes unified; possessive 's dropped (Yermak's -> yermak), other
  apostrophes removed (O'Brien -> obrien); dotted acronyms, initials and titles keep no dot (U.S. -> us,
  Mr. -> mr);
* hyphenated lower-case compounds joined (cease-fire -> ceasefire, as the corpus labels count it), but
  capitalised or numeric ones split (Zelensky-Trump -> zelensky trump, Putin-era -> putin era) so names
  inside them still match;
* every other character that is not a letter or digit becomes a space. Words of a phrase are separated by
  exactly one space, so punctuation between two words leaves two or more spaces there and a phrase does not
  match across it: "the coalition. Of the willing" and "security, guarantees" are not the phrases "coalition
  of the willing" and "security guarantees". That holds for commas too (a list is not a phrase), for
  dashes standing between spaces and for blank lines; a single line break counts as a space. A query
  written with punctuation inside ("Kyiv, Moscow") matches text punctuated the same way.
* English singular and plural are one word (guarantee/guarantees, country/countries, tax/taxes) by a
  conservative suffix rule (`singular`) that strips only a final s, never -ing or -ed, so "willing" stays
  apart from "will". This is not done to the article: the matcher adds the plural forms of a phrase's last
  word (and of any word before punctuation) to its automaton keys (`number_forms`), and the singular of its
  other words ("sanctions package" also finds "sanction package"), so the article needs no per-word work.
  `normalize_words` gives the fully singular words, the identity of a phrase.

Why a scan form and not a word list. Everything on the article side is whole-string C-level work: lower(),
str.translate with a one-to-one ASCII table, and literal-prefix regex searches for the few characters that
need a decision (apostrophes, hyphens, dots after an initial or a title, non-ASCII characters). Those few
places are edited in one pass; the positions of the edits are kept so that an offset in the scan form maps
back to the original text (`Scanned.span`) by one bisection, and only for the hits that are reported.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import product

CACHE_LIMIT = 20_000

# Letters NFKD does not decompose, as ASCII (also the base of analysis/names.py's folding of names).
LETTER_FOLDS = {
    "\u0131": "i",
    "\u00f8": "o",
    "\u00d8": "O",
    "\u0142": "l",
    "\u0141": "L",
    "\u0111": "d",
    "\u0110": "D",
    "\u00e6": "ae",
    "\u00c6": "AE",
    "\u0153": "oe",
    "\u0152": "OE",
    "\u00df": "ss",
    "\u1e9e": "SS",
    "\u00fe": "th",
    "\u00de": "TH",
}
_FOLD = str.maketrans(LETTER_FOLDS)
_APOSTROPHES = frozenset("\u2018\u2019\u201b\u02bc\u2032\u00b4`")
_HYPHENS = frozenset("\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d")
_DASHES = frozenset("\u2014\u2015\u2e3a\u2e3b")
_SPACE_OUT = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_ASCII_BYTES = bytes(range(128))
_ASCII_PUNCT = frozenset(chr(c) for c in range(128) if not chr(c).isalnum())

_POSSESSIVE_OR_APOSTROPHE = re.compile(r"'(?:(?<=[^\W_]')[sS](?![^\W_]))?")
_DOT_NOT_A_BREAK = re.compile(
    r"\.(?:(?<=(?<![^\W_])[A-Za-z]\.)"
    r"|(?<=(?<![^\W_])(?i:mr|ms|dr|st|lt|jr|sr|vs)\.)"
    r"|(?<=(?<![^\W_])(?i:mrs|gen|sen|rep|gov|col|maj|sgt|adm)\.)"
    r"|(?<=(?<![^\W_])(?i:prof|capt)\.))"
)
_HYPHEN = re.compile(r"-+")
_COMPOUND_EDGE = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")

_IRREGULAR = {
    "children": "child",
    "men": "man",
    "women": "woman",
    "crises": "crisis",
    "analyses": "analysis",
    "theses": "thesis",
    "bases": "base",
}
_PLURALS = {
    "child": ("children",),
    "man": ("men",),
    "woman": ("women",),
    "crisis": ("crises",),
    "analysis": ("analyses",),
    "thesis": ("theses",),
    "base": ("bases",),
}
_KEEP = frozenset(
    {
        "news",
        "series",
        "species",
        "means",
        "politics",
        "economics",
        "physics",
        "always",
        "perhaps",
        "sometimes",
        "whereas",
        "does",
        "goes",
        "lens",
        "chaos",
        "bias",
        "alias",
        "canvas",
        "ethos",
    }
)
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


def number_forms(word: str) -> tuple[str, ...]:
    """`word`, its singular and its regular plural (the ones whose singular is the same): guarantee ->
    guarantee, guarantees; countries -> countries, country; willing -> willing, willings (never will)."""
    base = singular(word)
    if base.endswith("y") and len(base) > 2 and base[-2] not in "aeiou":
        plural = base[:-1] + "ies"
    elif base.endswith(("s", "x", "z", "ch", "sh")):
        plural = base + "es"
    else:
        plural = base + "s"
    candidates = (word, base, *_PLURALS.get(base, (plural,)))
    return tuple(w for w in dict.fromkeys(candidates) if singular(w) == base)


class Scanned:
    """A text's scan form (`words`: lower-case letters, digits and spaces) and the way back to `text`.

    `words` has the length of `text` except where an edit removed or added characters (a dropped apostrophe,
    a joined hyphen, a folded ligature); `edit_at` / `edit_shift` record, for each edit, the scan-form position after
    it and how far scan positions are from text positions from there on (after a sentinel: -1, 0).
    """

    __slots__ = ("edit_at", "edit_shift", "exact", "text", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        folded, edits = (text, []) if text.isascii() else _fold_characters(text)
        edits += _edits(folded)
        self.edit_at = [-1]
        self.edit_shift = [0]
        if edits:
            folded = self._apply(folded, edits)
        self.words = folded.lower().translate(_SPACE_OUT) if folded.isascii() else _space_out(folded.lower())
        # Whether scan-form positions are text positions (no edit changed a length): the usual case.
        self.exact = not edits

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The characters of `text` that scan-form characters start..end (end exclusive) come from."""
        return self._position(start), self._position(end - 1) + 1

    def _position(self, at: int) -> int:
        return at + self.edit_shift[bisect_right(self.edit_at, at) - 1]

    def _apply(self, text: str, edits: list[tuple[int, int, str]]) -> str:
        pieces: list[str] = []
        done = shift = 0
        for start, end, replacement in sorted(edits):
            if start < done:
                continue
            pieces += (text[done:start], replacement)
            shift += end - start - len(replacement)
            self.edit_at.append(start - shift + end - start)
            self.edit_shift.append(shift)
            done = end
        pieces.append(text[done:])
        return "".join(pieces)


def normalize_phrase(text: str) -> str:
    """A query phrase in scan form: its words separated by one space, or more where it had punctuation."""
    return Scanned(" ".join(text.split())).words.strip()


def normalize_words(text: str) -> str:
    """The words of `text`, each in the singular, joined by single spaces: the identity of a phrase."""
    return " ".join(map(singular, normalize_phrase(text).split()))


def hyphen_split(text: str) -> str:
    """Like normalize_phrase, but every hyphen separates words: the form capitalised compounds take."""
    return normalize_phrase(re.sub(r"[\-\u2010-\u2015\u2212]", " ", text))


def phrase_keys(phrase: str) -> list[str]:
    """The automaton keys of a scan-form phrase, padded with spaces: its last word (and each word before
    punctuation) in every number, its other words as written and in the singular."""
    pieces = re.split(r"( +)", phrase)
    choices = []
    for index in range(0, len(pieces), 2):
        word = pieces[index]
        last = index + 1 == len(pieces) or len(pieces[index + 1]) > 1
        choices.append(number_forms(word) if last else tuple(dict.fromkeys((word, singular(word)))))
        if index + 1 < len(pieces):
            choices.append((pieces[index + 1],))
    return [f" {''.join(combination)} " for combination in product(*choices)]


def _edits(text: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for the characters that are not simply lower-cased or spaced out."""
    edits: list[tuple[int, int, str]] = []
    if "'" in text:
        edits += [(m.start(), m.end(), "") for m in _POSSESSIVE_OR_APOSTROPHE.finditer(text)]
    if "." in text:
        edits += [(m.start(), m.end(), "") for m in _DOT_NOT_A_BREAK.finditer(text)]
    if "-" in text:
        edits += [(m.start(), m.end(), "") for m in _HYPHEN.finditer(text) if _joins(text, m.start(), m.end())]
    return edits


def _joins(text: str, start: int, end: int) -> bool:
    """Whether the hyphen at start..end joins a lower-case compound (cease-fire), rather than separating."""
    if end - start > 1 or start == 0 or end == len(text) or not text[start - 1].isalpha() or not text[end].isalpha():
        return False
    left = start
    while left > 0 and (text[left - 1].isalnum() or text[left - 1] in "-'"):
        left -= 1
    compound = _COMPOUND_EDGE.search(text, left)
    if compound is None:
        return False
    return _lower_compound(compound.group())


_COMPOUNDS: dict[str, bool] = {}


def _lower_compound(compound: str) -> bool:
    known = _COMPOUNDS.get(compound)
    if known is None:
        if len(_COMPOUNDS) >= CACHE_LIMIT:
            _COMPOUNDS.clear()
        parts = [p for p in compound.replace("'", "").split("-") if p]
        known = _COMPOUNDS[compound] = all(p.isalpha() and not p[0].isupper() for p in parts)
    return known


_CHARACTERS: dict[str, str] = {}


def _fold_characters(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with its non-ASCII characters folded where that keeps positions (str.replace), and edits for
    the others (ß -> ss, em dash -> two spaces, a lone combining mark -> nothing)."""
    edits = []
    others = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    for char in set(others):
        folded = _fold_character(char)
        if len(folded) == 1:
            if folded != char:
                text = text.replace(char, folded)
            continue
        at = text.find(char)
        while at >= 0:
            edits.append((at, at + 1, folded))
            at = text.find(char, at + 1)
    return text, edits


def _fold_character(char: str) -> str:
    folded = _CHARACTERS.get(char)
    if folded is None:
        if len(_CHARACTERS) >= CACHE_LIMIT:
            _CHARACTERS.clear()
        folded = _CHARACTERS[char] = _fold_one(char)
    return folded


def _fold_one(char: str) -> str:
    if char in _APOSTROPHES:
        return "'"
    if char in _HYPHENS:
        return "-"
    if char in _DASHES:
        return "  "
    decomposed = unicodedata.normalize("NFKD", char.translate(_FOLD))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not kept.isascii():
        kept = unicodedata.normalize("NFKC", kept.casefold())
    return "".join(c if c.isalnum() or c in "'-." else " " for c in kept)


def _space_out(text: str) -> str:
    """lower-cased text with non-ASCII letters left: ASCII punctuation to spaces without the slow translate."""
    for char in _ASCII_PUNCT.intersection(text):
        text = text.replace(char, " ")
    return text
