"""Story grouping: decide whether two articles report the same event, so that one story alerts once.

Why these signals. Syndicated rewrites get a new headline and lead, trimmed or reordered paragraphs and other
spellings of names, so they share few exact word sequences (MinHash over 3-word shingles finds none of the
development corpus's copies even at Jaccard 0.2). What survives a rewrite is the vocabulary of the event and the
people and places it names, and copies appear within a day or two of each other. The score therefore combines:

* content-word similarity: cosine of TF-IDF vectors over folded, lower-cased words without stop words, after the
  second article's name spellings have been mapped onto the first article's (Witkoff/Vitkoff, Sybiha/Sybiga);
* name overlap: the IDF-weighted share of the smaller name set (capitalised tokens that do not start a sentence,
  diacritics folded) found in the other, where a name also counts when its rapidfuzz ratio reaches
  `NAME_SIMILARITY`;
* publication-time proximity: pairs more than `MAX_GAP_DAYS` apart never join, and every day beyond the first
  costs `PENALTY_PER_DAY`.

IDF. With few documents IDF is unreliable, so it is smoothed, ``ln((n + 1) / (df + 1)) + 1`` (scikit-learn's
form): with two documents a shared word still weighs 1.0 against 1.4 for a private one, so the score degrades
to a stop-word-filtered term-frequency cosine instead of collapsing to zero. The store keeps document
frequencies of exactly these terms, so both paths score identically.

Threshold. Margins measured on tests/fixtures/corpus (24 articles, 4 rewrites) by
``python bench/stories_eval.py --margins``, over every pair, with IDF from the articles seen so far (as in the
store) and, as the worst case for a young store, from the two articles alone (the second figure):

* content cosine alone: rewrites >= 0.50 (0.43); different stories up to 0.40 (0.46), summits months apart:
  the right order with IDF from many articles, by a small margin, and the wrong one with two;
* name overlap alone: rewrites >= 0.80 (0.76), but the May and June Istanbul rounds, 17 days apart, share 0.88
  (0.91): names separate nothing without time;
* combined, before the time penalty: rewrites >= 0.63 (0.58); different stories within the 4-day window <= 0.35
  (0.36), the Alaska summit vs. the White House meeting two days later; the Istanbul rounds reach 0.55 (0.60)
  and are kept apart by the window alone.

`THRESHOLD` = 0.47 is the midpoint of the worst-regime gap (0.36 to 0.58): about 0.11 of margin on either side
for unseen articles, and every corpus pair is placed correctly by both the pure and the store path. A copy cut
down to its first paragraph (a feed that carries only the summary) scores 0.46-0.60 against its original, so
summary-only copies sit at the edge and may start stories of their own.
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import repeat

from rapidfuzz import fuzz, process

from diplobot.analysis.crosslang import english_gloss

THRESHOLD = 0.47
NAME_WEIGHT = 0.4
MAX_GAP_DAYS = 4.0
PENALTY_PER_DAY = 0.05
NAME_SIMILARITY = 80.0
FULL_CREDIT_NAMES = 3

Idf = Callable[[str], float]


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOP_WORDS = _word_set(
    """a about above after again against ago all almost also am among an and another any are around as at be
    because been before being below between both but by can could did do does doing done down during each
    either even ever every few for from further had has have having he her here hers herself him himself his
    how however i if in into is it its itself just last least less like made make many may me might more most
    much must my near neither next no nor not now of off often on once one only or other others our ours out
    over own per perhaps rather said same say says several she should since so some still such than that the
    their theirs them themselves then there these they this those though three through thus to today told too
    two under until up upon us very was we were what whatever when where whether which while who whom whose
    why will with within without would yet you your yours according"""
)
_CALENDAR_WORDS = _word_set(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december"""
)
_TITLE_WORDS = _word_set(
    """president minister prime secretary chancellor general foreign defence defense state office council
    envoy special adviser advisor spokesman spokeswoman spokesperson head chief deputy mr mrs ms dr"""
)
_WORD = re.compile(r"[^\W\d_]+|\d[\d.,]*\d|\d")
_NAME_WORD = re.compile(r"[^\W\d_]+")
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?:;\"”])\s+|\n+")


@dataclass(frozen=True)
class StoryFeatures:
    """What the story decision needs from one article: term counts, name tokens and its time."""

    terms: Mapping[str, int]
    names: frozenset[str]
    published_at: datetime | None


def _strip_marks(text: str) -> str:
    """Drop diacritics, so that Erdoğan and Erdogan are one token (whole text at once: much faster than per word)."""
    if text.isascii():  # nothing to decompose or drop
        return text
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))


def _term(word: str) -> str:
    """A crude plural fold (talks/talk, sanctions/sanction): enough for similarity, and FTS5 stems queries."""
    term = word.lower()
    if len(term) > 4 and term.endswith("s") and not term.endswith("ss"):
        return term[:-1]
    return term


def _is_content(term: str) -> bool:
    return len(term) >= 3 and term not in _STOP_WORDS and term not in _CALENDAR_WORDS


class _Memo(dict[str, str]):
    """word -> its content term, or '' for a word that is none (`_term`, `_is_content`), computed once per word.

    Looked up through the C-level `dict.__getitem__`, so that a known word costs no Python call: most of an
    article's words were seen before. Cleared when it outgrows `_MEMO_WORDS`, so an endless stream of new words
    (names, numbers) cannot grow it without bound.
    """

    def __init__(self, term: Callable[[str], str]) -> None:
        super().__init__()
        self.term = term

    def __missing__(self, word: str) -> str:
        if len(self) >= _MEMO_WORDS:
            self.clear()
        term = self[word] = self.term(word)
        return term


_MEMO_WORDS = 500_000


def _content_term(word: str) -> str:
    term = _term(word)
    return term if _is_content(term) else ""


def _name_term(word: str) -> str:
    term = _content_term(word) if word[0].isupper() else ""
    return "" if term in _TITLE_WORDS else term


_CONTENT_TERMS = _Memo(_content_term)
_NAME_TERMS = _Memo(_name_term)


def _names(body: str) -> frozenset[str]:
    """Capitalised tokens not at a sentence start: people, places and organisations, minus titles."""
    names: set[str] = set()
    name_term = _NAME_TERMS.__getitem__
    for sentence in _SENTENCE_BREAK.split(body):
        names.update(map(name_term, _NAME_WORD.findall(sentence)[1:]))
    names.discard("")
    return frozenset(names)


def extract_features(title: str, body: str, published_at: datetime | None) -> StoryFeatures:
    """Features of one article; `body` is the full text, or the summary when there is no full text.

    The store keeps them (story_vectors), so an article is read and tokenised once, not each time it is a candidate.
    """
    title, body = english_gloss(_strip_marks(title), _strip_marks(body))  # Cyrillic: its English gloss (crosslang.py)
    # Terms in the order of their first occurrence, as counting word by word would give them.
    terms = Counter(map(_CONTENT_TERMS.__getitem__, _WORD.findall(f"{title}\n{body}")))
    terms.pop("", None)
    return StoryFeatures(terms=terms, names=_names(body), published_at=published_at)


def smoothed_idf(document_frequency: Mapping[str, int], documents: int) -> Idf:
    """IDF that stays positive and sensible with a handful of documents (see the module docstring)."""
    weights: dict[str, float] = {}

    def idf(term: str) -> float:
        weight = weights.get(term)
        if weight is None:
            weight = weights[term] = math.log((documents + 1) / (document_frequency.get(term, 0) + 1)) + 1.0
        return weight

    return idf


def idf_table(document_frequency: Mapping[str, int], documents: int, terms: Iterable[str]) -> Idf:
    """`smoothed_idf`, computed up front for `terms`, every term it will be asked about: one dict lookup a call.

    The same arithmetic, ln((n + 1) / (df + 1)) + 1, in C-level iterators, and once per distinct frequency: the
    few thousand terms of an article and its candidates share a few hundred frequencies.
    """
    terms = list(terms)
    frequencies = list(map(document_frequency.get, terms, repeat(0)))
    distinct = list(set(frequencies))
    ratios = map(operator.truediv, repeat(documents + 1), map((1).__add__, distinct))
    weights = dict(zip(distinct, map((1.0).__add__, map(math.log, ratios)), strict=True))
    return dict(zip(terms, map(weights.__getitem__, frequencies), strict=True)).__getitem__


def spelling_map(names: frozenset[str], reference: frozenset[str]) -> dict[str, str]:
    """Map each name in `names` missing from `reference` to a close spelling there (Vitkoff -> witkoff).

    It needs no frequencies, so the store works it out before its write transaction (`enrichment.stories.prepare`).
    """
    choices = sorted(reference - names)
    mapping = {}
    for name in names - reference:
        if len(name) >= 4 and choices:
            best = process.extractOne(name, choices, scorer=fuzz.ratio, score_cutoff=NAME_SIMILARITY)
            if best is not None:
                mapping[name] = best[0]
    return mapping


@dataclass(frozen=True)
class _Vector:
    """TF-IDF weights of one article's terms and their Euclidean norm."""

    weights: Mapping[str, float]
    norm: float


def _vector(terms: Mapping[str, int], idf: Idf) -> _Vector:
    weights = {t: n * idf(t) for t, n in terms.items()}
    return _Vector(weights, math.hypot(*weights.values()))


def _cosine(a: Mapping[str, int], b: _Vector, idf: Idf) -> float:
    """TF-IDF cosine of term counts `a` and the weighted `b`, in C-level loops (iterating the one set thrice).

    `fsum` makes the dot product independent of the order of the shared terms (a set).
    """
    shared = b.weights.keys() & a.keys()
    dot = math.fsum(
        map(
            operator.mul,
            map(operator.mul, map(a.__getitem__, shared), map(idf, shared)),
            map(b.weights.__getitem__, shared),
        )
    )
    norm = math.hypot(*map(operator.mul, a.values(), map(idf, a))) * b.norm
    return dot / norm if norm else 0.0


def _name_overlap(a: frozenset[str], b: frozenset[str], idf: Idf) -> float:
    """IDF-weighted share of the smaller name set found in the other; a trimmed copy keeps most of its names.

    Fewer than `FULL_CREDIT_NAMES` shared names earn proportionally less: a short summary naming only Ukraine
    and Russia would otherwise overlap completely with every article about the war.
    """
    smaller = min(sum(map(idf, a)), sum(map(idf, b)))
    if not smaller:
        return 0.0
    shared = a & b
    return sum(map(idf, shared)) / smaller * min(1.0, len(shared) / FULL_CREDIT_NAMES)


@dataclass(frozen=True)
class StorySignals:
    """The three signals for one pair: content-word cosine, name overlap (both 0..1) and days apart."""

    content: float
    names: float
    gap_days: float

    @property
    def score(self) -> float:
        """Weighted content and names less the time penalty; 0 beyond the time window."""
        if self.gap_days > MAX_GAP_DAYS:
            return 0.0
        late = PENALTY_PER_DAY * max(0.0, self.gap_days - 1.0)
        return (1 - NAME_WEIGHT) * self.content + NAME_WEIGHT * self.names - late


def _gap_days(a: StoryFeatures, b: StoryFeatures) -> float:
    """Days between the publication times; 0 when either is unknown, so time neither helps nor hurts."""
    if a.published_at is None or b.published_at is None:
        return 0.0
    return abs(a.published_at - b.published_at) / timedelta(days=1)


def story_signals(
    a: StoryFeatures,
    b: StoryFeatures,
    idf: Idf,
    b_vector: _Vector | None = None,
    spelling: Mapping[str, str] | None = None,
) -> StorySignals:
    """Compare `b` with the earlier `a`, reading `b`'s name spellings as `a`'s where they are close.

    `b_vector`, `b`'s TF-IDF vector under `idf`, spares recomputing it when `b` meets many candidates;
    `spelling`, `spelling_map(b.names, a.names)` worked out before.
    """
    spelling = spelling_map(b.names, a.names) if spelling is None else spelling
    if spelling:
        b_terms: Counter[str] = Counter()
        for term, count in b.terms.items():
            b_terms[spelling.get(term, term)] += count
        b_names = frozenset(spelling.get(n, n) for n in b.names)
        b_vector = _vector(b_terms, idf)
    else:
        b_names = b.names
        b_vector = b_vector or _vector(b.terms, idf)
    return StorySignals(
        content=_cosine(a.terms, b_vector, idf),
        names=_name_overlap(a.names, b_names, idf),
        gap_days=_gap_days(a, b),
    )


def same_story(a: StoryFeatures, b: StoryFeatures, idf: Idf) -> bool:
    """The decision assign_story and group_articles share."""
    return story_signals(a, b, idf).score >= THRESHOLD


def best_match(
    new: StoryFeatures,
    candidates: Iterable[tuple[int, StoryFeatures]],
    idf: Idf,
    spellings: Iterable[Mapping[str, str] | None] | None = None,
) -> int | None:
    """The key of the candidate most like `new` among those over the threshold, or None.

    `spellings`, one per candidate, are `spelling_map(new.names, candidate.names)` where already known.
    """
    candidates = list(candidates)
    spellings = [None] * len(candidates) if spellings is None else list(spellings)
    new_vector = _vector(new.terms, idf)
    scored = [
        (story_signals(features, new, idf, new_vector, spelling).score, key)
        for (key, features), spelling in zip(candidates, spellings, strict=True)
    ]
    best = max(scored, default=None)
    return best[1] if best is not None and best[0] >= THRESHOLD else None


def _publication_order(published_at: datetime | None, index: int) -> tuple[bool, float, int]:
    """Sort key: dated articles by time, undated ones after them in input order."""
    return (published_at is None, published_at.timestamp() if published_at else 0.0, index)


def group_articles(articles: list[dict]) -> list[int]:
    """Story of each article (the input index of its story's first article), processed in publication order.

    Each dict has title, body and published_at (datetime or None); IDF grows with the articles seen so far,
    exactly as the store's document frequencies do when articles arrive in this order.
    """
    order = sorted(range(len(articles)), key=lambda i: _publication_order(articles[i]["published_at"], i))
    features = {i: extract_features(a["title"], a["body"], a["published_at"]) for i, a in enumerate(articles)}
    document_frequency: Counter[str] = Counter()
    story = list(range(len(articles)))
    for seen, index in enumerate(order):
        document_frequency.update(features[index].terms.keys())
        idf = smoothed_idf(document_frequency, seen + 1)
        earlier = [(i, features[i]) for i in order[:seen] if _gap_days(features[i], features[index]) <= MAX_GAP_DAYS]
        match = best_match(features[index], earlier, idf)
        if match is not None:
            story[index] = story[match]
    return story
