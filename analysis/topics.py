"""Topics: the one service that decides what a topic query matches, for every place that matches one.

Alerts (pipeline.MatchState), the `/subscribe` count, `/latest`, `/search`, digests and trend charts all go through
`Topics`, so an article that only says "Vitkoff" is alerted, listed, counted, found and digested for "Witkoff"
alike. `Topics` reads a query (refusing ones that can never match or would match almost everything), gives its
normalised identity (`topic_key`: CEASEFIRE and ceasefire, Erdoğan and Erdogan are one topic), builds matchers
with people's other spellings, and finds stored articles a set of queries matches. The store is reached through
the small `Corpus` protocol (store/articles.py implements it), so this module stays pure.

Finding stored articles: an FTS5 prefilter, then exact matching. Reading and matching every stored article does
not scale (a digest over a day's articles, a chart over a year), so the FTS5 index narrows the articles down first
and the `Matcher` then decides exactly, as it does for alerts. The prefilter must therefore be a *superset*: every
article the matcher accepts must pass it. The index (tokenizer `porter unicode61 remove_diacritics 2`) splits and
folds text differently from the matcher's scan form (analysis/text.py), so each word of a phrase is looked for in
every form the index may hold it in:

* the word itself (stemming is applied to query and text alike, and the index's words never span punctuation);
* split in two, for words the scan form joined: lower-case compounds (cease-fire -> ceasefire) and apostrophes
  (O'Brien -> obrien, В'ячеслав); a one-letter first part only where such spellings are common (d' e- l' o');
* letter by letter for ASCII words of two to four letters (dotted initials: U.S. -> us);
* with the letters the index does not fold put back (`UNFOLDED`: Київ for киів, Łodz for lodz, Kılıç for kilic):
  each one alone, every occurrence of one, and (in non-ASCII words) any two together;
* and the topic as typed and each other spelling as stored (people's, translations), as whole phrases.

A phrase becomes its words NEAR each other as written, or one of them in another form AND the others (exact
adjacency is left to the matcher; common function words are left out); a boolean query keeps its AND/OR structure
and drops its exclusions. Words in other scripts are left out (fewer words still give a superset).

Bounds. Other spellings get only their stored form and their plain words (there may be dozens); a query that would
still need more than `MAX_FTS_STRINGS` strings gets only plain words for its typed words too, and beyond that, or
when nothing can be narrowed, it is matched against the newest articles. Known misses, where the index holds a
word in a form none of the above produces: three or more joined parts (rock'n'roll), ligatures and other
compatibility characters (ﬁnal), more than two unfolded letters in one word, and those forms of other spellings
and of over-budget queries. Every search reads at most `cap` candidates, newest first, and says whether it saw
every candidate (`Found.complete`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import combinations
from types import MappingProxyType
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from diplobot.analysis.lexicon import Lexicon, corpus_lexicon
from diplobot.analysis.matcher import Match, Matcher, phrases_keys, term_phrases
from diplobot.analysis.query import (
    AllOf,
    AnyOf,
    Node,
    Not,
    Query,
    QueryError,
    Term,
    clauses,
    evaluate,
    parse_query,
    terms,
)
from diplobot.analysis.text import normalize_phrase, phrase_keys, singular

SCAN_CAP = 2000
"""Candidates a command reads and matches at most (newest first); beyond it the answer says "at least"."""
FETCH_CHUNK = 100
MAX_FTS_STRINGS = 1500
MAX_UNFOLDED = 40
"""Unfolded spellings tried per word at most (singles first, then every occurrence, then pairs)."""
MAX_CLAUSES = 64

_STOP = """a an the and or nor but of in on at to for from by with as into onto than then so if is are was were be
been am do does did has have had it its this that these those there here he she they we you i me him her them my
your his our their who whom whose which what when where why how not no all any some each also just very can could
would should shall might must via per й і та в у на з із до від по за про що як це не ні а але и во с со к о об от
для из что это как но"""
STOP_WORDS = frozenset(normalize_phrase(word) for word in _STOP.split())
"""Function words: a topic of nothing else would match almost every article (and the prefilter leaves them out)."""

UNFOLDED_COMMON = "ßæøþđıłœйїёўάέήίόύώ"
UNFOLDED = UNFOLDED_COMMON + "ĳŀǆǉǌǡǯǳΰϊϋΐϲѐѓќѝѷӂӑӓӗӛӝӟӣӥӧӫӭӯӱӳӵӹ"
"""Lower-case letters the scan form folds (analysis/text.py) and the FTS5 tokenizer keeps as they are (checked
against SQLite by tests/test_topics.py, for Latin, Greek and Cyrillic); the common ones (letters of Ukrainian,
Russian, Belarusian, Turkish, Polish, the Nordic languages, German, modern Greek) first: only they are tried two
at a time."""


def _unfold_table(letters: str) -> Mapping[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for letter in letters:
        folded = normalize_phrase(letter)
        if folded.isalpha() and normalize_phrase(folded) == folded:
            table.setdefault(folded, []).append(letter)
    return MappingProxyType({folded: tuple(letters) for folded, letters in table.items()})


_UNFOLD = _unfold_table(UNFOLDED)
_UNFOLD_COMMON = _unfold_table(UNFOLDED_COMMON)
_APOSTROPHE_INITIALS = frozenset("delo")  # d'Estaing, e-mail, l'Élysée, O'Brien: the one-letter first parts tried
_INDEXABLE = re.compile(r"[a-z0-9\u00c0-\u052f]+")
_EXAMPLE = "e.g. coalition of the willing, or ceasefire -truce"


class Corpus(Protocol):
    """What `Topics` needs from the store: people's other spellings, candidate ids and article rows."""

    def variants(self, phrase: str) -> Iterable[str]:
        """Other spellings of the person a scan-form phrase names (none for anything else)."""
        ...

    def candidates(self, fts: str | None, window: Window, limit: int) -> list[int]:
        """Ids of articles in `window` that pass the FTS5 expression (all when None), newest first."""
        ...

    def articles(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The rows of these articles (title, summary, body, dates, story...), in the order given."""
        ...


@dataclass(frozen=True)
class Window:
    """Articles stored (`by="fetched"`) or published (`"published"`: publication date, never later than the fetch
    date, else the fetch date) in [since, until); ISO strings, None for open ends. Also the "newest" order."""

    since: str | None = None
    until: str | None = None
    by: Literal["fetched", "published"] = "published"


@dataclass(frozen=True)
class Hit:
    """A matching article and, per query id, where the query matched it."""

    article: dict[str, Any]
    matches: dict[int, Match]


@dataclass(frozen=True)
class Found:
    """Hits (the page asked for, newest first); `total` matches found; `complete`: every candidate was checked, so
    `total` is exact (else it is a lower bound)."""

    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    complete: bool = True


def topic_key(query: Query) -> str:
    """The normalised identity of a query: equal for queries that match the same articles by construction (case,
    diacritics, singular/plural, quoting, order of AND/OR items), e.g. CEASEFIRE and ceasefire, Erdoğan and
    Erdogan, `truce ceasefire` vs `ceasefire truce` as boolean queries."""
    return _node_key(query.expr)


def _node_key(node: Node) -> str:
    if isinstance(node, Term):
        return ",".join(" ".join(map(singular, part.split())) for part in re.split(r" {2,}", node.forms[0]))
    if isinstance(node, Not):
        return "-" + _node_key(node.term)
    joiner = " & " if isinstance(node, AllOf) else " | "
    return "(" + joiner.join(sorted({_node_key(item) for item in node.items})) + ")"


class Topics:
    """Topic matching over one corpus. Cheap to make (one per command, or per matcher rebuild): it remembers the
    spellings it has looked up, so make a new one when people's spellings may have changed."""

    def __init__(self, corpus: Corpus, lexicon: Lexicon | None = None) -> None:
        self._corpus = corpus
        self._lexicon = lexicon if lexicon is not None else corpus_lexicon(corpus)
        self._variants: dict[str, tuple[str, ...]] = {}
        self._searches: dict[tuple[tuple[int, Query], ...], tuple[Matcher, str | None]] = {}

    def variants(self, phrase: str) -> tuple[str, ...]:
        """Other spellings of the person a phrase names, as stored ('witkoff' -> ('Vitkoff',)), then the phrase's
        renderings in the other languages and its Ukrainian and Russian grammatical forms (analysis/lexicon.py:
        'security guarantees' -> 'гарантії безпеки', 'гарантій безпеки', ..., 'гарантиях безопасности')."""
        found = self._variants.get(phrase)
        if found is None:
            people = tuple(self._corpus.variants(phrase))
            found = self._variants[phrase] = tuple(dict.fromkeys((*people, *self._lexicon.expansions(phrase))))
        return found

    def equivalents(self, query: Query) -> list[str]:
        """The other-language phrases the query's terms also match, for "also matching: ..." (inflected forms not
        listed): `security guarantees` -> ['гарантії безпеки', 'гарантии безопасности']."""
        return list(
            dict.fromkeys(
                e
                for term in terms(query.expr)
                if not _excluded(query.expr, term)
                for e in self._lexicon.equivalents(term.display)
            )
        )

    # --- reading queries ---------------------------------------------------------------------------------------

    def parse(self, text: str) -> Query:
        """A query to follow or search for; QueryError (with a message for the user) for one that cannot be read,
        would match almost every article, or can never match anything."""
        query = parse_query(text)
        self.check(query)
        return query

    def check(self, query: Query) -> None:
        """Refuse a query made only of function words or single characters, or one whose exclusions rule out
        every article it asks for (`ceasefire -ceasefire`, `"security guarantees" -security`)."""
        broad = [term for term in terms(query.expr) if _is_broad(term)]
        if evaluate(query.expr, set(broad)):
            shown = ", ".join(dict.fromkeys(f'"{term.display}"' for term in broad))
            raise QueryError(
                f"{shown} {'is' if len(set(broad)) == 1 else 'are'} too common or too short to look "
                f"for: it would match almost every article. Add a more specific word, {_EXAMPLE}."
            )
        dead = self._contradiction(query)
        if dead is not None:
            need, avoid = dead
            raise QueryError(
                f'{query.describe()} can never match: every article with "{need.display}" also has '
                f'the excluded "{avoid.display}". Exclude something else, {_EXAMPLE}.'
            )

    def _contradiction(self, query: Query) -> tuple[Term, Term] | None:
        """(needed, excluded) showing why no article can match, when none can; None otherwise (or when the query
        is too large to check: its disjunctive form has over MAX_CLAUSES clauses)."""
        found = clauses(query.expr, MAX_CLAUSES)
        if found is None:
            return None
        example = None
        for need, avoid in found:
            pair = next(((n, a) for n in need for a in avoid if self._implies(n, a)), None)
            if pair is None:
                return None
            example = example or pair
        return example

    def _implies(self, need: Term, avoid: Term) -> bool:
        """Whether every article matching `need` also contains `avoid`: each of need's keys holds one of avoid's."""
        avoid_keys = self.keys(avoid)
        return all(any(key in need_key for key in avoid_keys) for need_key in self.keys(need))

    def keys(self, term: Term) -> list[str]:
        """The matcher's keys for a term, name variants included."""
        return list(phrases_keys(term_phrases(term.forms, self.variants)))

    # --- matching ----------------------------------------------------------------------------------------------

    def matcher(self, queries: Mapping[int, Query] | None = None) -> Matcher:
        """A matcher that knows people's other spellings, holding `queries` (update() it for more)."""
        matcher = Matcher(variants=self.variants)
        if queries:
            matcher.update(queries)
        return matcher

    def prefilter(self, queries: Iterable[Query]) -> str | None:
        """An FTS5 expression every article matching one of the queries passes; None when the index cannot
        narrow them down (see the module docstring).

        The words as typed are looked for in every form; other spellings (people's, translations) as stored and
        as plain words. When that takes more than MAX_FTS_STRINGS strings, the typed words are looked for as
        plain words too, and beyond that there is no prefilter.
        """
        queries = list(queries)
        for full in (True, False):
            parts = []
            for query in queries:
                expr = self._node_fts(query.expr, full)
                if expr is None:
                    return None
                parts.append(expr)
            if not parts:
                return None
            if sum(part.count('"') for part in parts) <= 2 * MAX_FTS_STRINGS:
                return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
        return None

    def _node_fts(self, node: Node, full: bool) -> str | None:
        if isinstance(node, Term):
            return self._term_fts(node, full)
        if isinstance(node, Not):
            return None
        parts = [self._node_fts(item, full) for item in node.items]
        if isinstance(node, AnyOf):
            return None if None in parts else "(" + " OR ".join(parts) + ")"  # type: ignore[arg-type]
        kept = [part for part in parts if part is not None]
        return ("(" + " AND ".join(kept) + ")") if kept else None

    def _term_fts(self, term: Term, full: bool) -> str | None:
        alternatives: dict[str, None] = {}
        for phrase in term_phrases(term.forms, self.variants):
            expr = _phrase_fts(phrase, full and phrase in term.forms)
            if expr is None:
                return None
            alternatives[expr] = None
        for spelling in (term.display, *(v for form in term.forms for v in self.variants(form))):
            alternatives[_quoted(spelling)] = None
        return "(" + " OR ".join(alternatives) + ")"

    # --- finding stored articles -------------------------------------------------------------------------------

    def find(
        self,
        queries: Mapping[int, Query],
        *,
        window: Window = Window(),
        limit: int | None = None,
        offset: int = 0,
        count: bool = True,
        cap: int = SCAN_CAP,
    ) -> Found:
        """Stored articles in `window` matching any of `queries`, newest first: the hits from `offset` on (at most
        `limit`), and how many there are among the newest `cap` candidates. With `count=False` the search stops
        once the page is full (the total is then a lower bound)."""
        if not queries:
            return Found()
        matcher, fts = self._search(queries)
        ids = self._corpus.candidates(fts, window, cap + 1)
        complete = len(ids) <= cap
        hits: list[Hit] = []
        total = 0
        for start in range(0, min(len(ids), cap), FETCH_CHUNK):
            for row in self._corpus.articles(ids[start : min(start + FETCH_CHUNK, cap)]):
                matches = matcher.match(row["title"], row["summary"], row["body"])
                if not matches:
                    continue
                total += 1
                if total > offset and (limit is None or len(hits) < limit):
                    hits.append(Hit(row, matches))
                elif not count and limit is not None and len(hits) >= limit:
                    return Found(hits, total, False)
        return Found(hits, total, complete)

    def _search(self, queries: Mapping[int, Query]) -> tuple[Matcher, str | None]:
        """The matcher and prefilter for these queries, made once per service (a digest searches two periods)."""
        key = tuple(sorted(queries.items(), key=lambda item: item[0]))
        made = self._searches.get(key)
        if made is None:
            made = self._searches[key] = (self.matcher(queries), self.prefilter(queries.values()))
        return made

    def stories(
        self, queries: Mapping[int, Query], window: Window, *, cap: int = SCAN_CAP
    ) -> tuple[dict[int, list[Hit]], bool]:
        """Per query id, one hit per story: its earliest matching article in the window, newest story first;
        and whether every candidate was checked."""
        found = self.find(queries, window=window, cap=cap)
        per_query: dict[int, dict[int, Hit]] = {}
        for hit in found.hits:  # newest first: the last one kept per story is its earliest
            for query_id in hit.matches:
                per_query.setdefault(query_id, {})[hit.article["story_id"]] = hit
        return (
            {
                query_id: sorted(stories.values(), key=lambda h: _when(h.article, window), reverse=True)
                for query_id, stories in per_query.items()
            },
            found.complete,
        )

    def stories_per_day(
        self, query: Query, window: Window, tz: str, *, cap: int = SCAN_CAP
    ) -> tuple[dict[date, list[Hit]], bool]:
        """Matching stories per local day of their earliest article in the window (what a trend chart counts),
        and whether every candidate was checked."""
        stories, complete = self.stories({0: query}, window, cap=cap)
        zone = ZoneInfo(tz)
        days: dict[date, list[Hit]] = {}
        for hit in stories.get(0, []):
            day = datetime.fromisoformat(_when(hit.article, window)).astimezone(zone).date()
            days.setdefault(day, []).append(hit)
        return days, complete


def _when(article: dict[str, Any], window: Window) -> str:
    """The date that places an article in a window (and orders it): see Window."""
    fetched = article["fetched_at"]
    if window.by == "fetched":
        return fetched
    published = article.get("published_at")
    return min(published, fetched) if published else fetched


def _excluded(node: Node, term: Term) -> bool:
    """Whether `term` appears in the expression only as an exclusion (-word)."""
    if isinstance(node, Not):
        return node.term == term
    if isinstance(node, Term):
        return False
    found = [_excluded(item, term) for item in node.items if term in terms(item)]
    return bool(found) and all(found)


def _is_broad(term: Term) -> bool:
    words = term.forms[0].split()
    return all(word in STOP_WORDS for word in words) or (len(words) == 1 and len(words[0]) < 2)


def _quoted(text: str) -> str:
    """An FTS5 string: tokenised by the index's tokenizer, its words adjacent; safe for any text."""
    return '"' + text.replace('"', '""') + '"'


def _phrase_fts(phrase: str, full: bool = True) -> str | None:
    """What an article with the phrase passes: its words near each other as written (NEAR, any order, with room
    for the tokens the scan form drops, like a possessive 's), or one word in another form (see `_word_strings`)
    together with all the others in any form. Function words are left out, and so are words in other scripts
    (fewer words still give a superset); None when no word is left. Not `full`: the words as they are only."""
    keys = [key.split() for key in phrase_keys(phrase)]
    positions = [list(dict.fromkeys(forms)) for forms in zip(*keys, strict=True)]
    usable = [i for i, forms in enumerate(positions) if all(_INDEXABLE.fullmatch(word) for word in forms)]
    content = [i for i in usable if not all(word in STOP_WORDS for word in positions[i])] or usable
    if not content:
        return None
    forms = {i: [s for word in positions[i] for s in (_word_strings(word) if full else [word])] for i in content}
    every = {i: _group(forms[i]) for i in content}
    if len(content) == 1:
        return every[content[0]]
    near = dict.fromkeys(f"NEAR({' '.join(_quoted(key[i]) for i in content)}, {2 * len(key)})" for key in keys)
    other_forms = []
    for i in content:
        unusual = [s for s in forms[i] if s not in positions[i]]
        if unusual:
            other_forms.append("(" + " AND ".join([_group(unusual), *(every[j] for j in content if j != i)]) + ")")
    return "(" + " OR ".join([*near, *other_forms]) + ")"


def _group(strings: Iterable[str]) -> str:
    return "(" + " OR ".join(map(_quoted, dict.fromkeys(strings))) + ")"


def _word_strings(word: str) -> list[str]:
    """The forms (FTS5 strings) the index may hold a scan-form word in; see the module docstring."""
    out = dict.fromkeys([word])
    if word.isalpha():
        if word.isascii() and 2 <= len(word) <= 4:
            out[" ".join(word)] = None
        for at in range(1, len(word) - 1):
            if at > 1 or not word.isascii() or word[0] in _APOSTROPHE_INITIALS:
                out[f"{word[:at]} {word[at:]}"] = None
    out.update(dict.fromkeys(_unfolded(word)))
    return list(out)


def _unfolded(word: str) -> list[str]:
    """`word` with letters the index keeps unfolded put back: a common one at a time, every occurrence of one,
    two common ones at a time (in non-ASCII words), then a rare one at a time; at most MAX_UNFOLDED."""
    common, rare = _options(word, _UNFOLD_COMMON), _options(word, _UNFOLD)
    out = dict.fromkeys(word[:at] + letter + word[at + size :] for at, size, letter in common)
    for folded, letters in _UNFOLD.items():
        if word.count(folded) > 1:
            out.update(dict.fromkeys(word.replace(folded, letter) for letter in letters))
    if not word.isascii():
        out.update(
            dict.fromkeys(
                word[:at1] + letter1 + word[at1 + size1 : at2] + letter2 + word[at2 + size2 :]
                for (at1, size1, letter1), (at2, size2, letter2) in combinations(common, 2)
                if at1 + size1 <= at2
            )
        )
    out.update(dict.fromkeys(word[:at] + letter + word[at + size :] for at, size, letter in rare))
    out.pop(word, None)
    return list(out)[:MAX_UNFOLDED]


def _options(word: str, table: Mapping[str, tuple[str, ...]]) -> list[tuple[int, int, str]]:
    """(position, length, letter): where a letter of `table` could stand in `word` for what it folds to."""
    return sorted(
        (at, len(folded), letter)
        for folded, letters in table.items()
        for at in _positions(word, folded)
        for letter in letters
    )


def _positions(word: str, part: str) -> list[int]:
    found, at = [], word.find(part)
    while at >= 0:
        found.append(at)
        at = word.find(part, at + 1)
    return found
