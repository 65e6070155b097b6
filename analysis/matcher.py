"""Match each new article against every subscription at once.

Why one automaton. A per-subscription regex loop costs one scan of the article per topic (thousands of
topics make seconds per article). Here every distinct query term, in each of its normalised forms and name
variants, is one key of a single Aho-Corasick automaton (pyahocorasick), so one scan over the article finds
every term of every topic; each subscription's boolean expression is then evaluated only if one of its
positive terms occurred (queries are in negation normal form, see analysis/query.py).

Whole words without boundary checks. Keys are padded with spaces (" security guarantee ") and the article is
scanned as its normalised words joined by single spaces, so every hit is a whole-word hit and the end-of-text
pitfalls of iter_long (libs.md section 7) do not arise. Fields are joined with " | ", which no key contains,
so a phrase never spans title and summary.

Incremental updates. update() takes the full current set of subscriptions; unchanged ones cost a comparison.
The automaton is rebuilt only when a term brings a key it does not hold yet; removing subscriptions never
rebuilds (keys nobody uses any more are dropped at the next rebuild). The new automaton is built completely
before it replaces the old one. Not thread-safe: call update() and match() from the same thread.

Where the hit is (phrase, field, offsets) is worked out only for the subscriptions that matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

import ahocorasick

from diplobot.analysis.query import AllOf, Node, Not, Query, Term, terms
from diplobot.analysis.text import Normalized, normalize_words

FIELDS = ("title", "summary", "body")

Variants = Callable[[str], Iterable[str]]
Test = Callable[[set[int]], bool]
_KEY_AND_END = itemgetter(1, 0)


@dataclass(frozen=True)
class Match:
    """Why a subscription matched: its first-occurring phrase (as the user typed it) and where it is."""

    subscription_id: int
    phrase: str
    field: str
    start: int
    end: int


class _Boolean:
    """A boolean subscription's compiled test; single-phrase ones need only their term id (memory at 100k)."""

    __slots__ = ("positives", "query", "term_ids", "test")

    def __init__(self, query: Query, term_ids: tuple[int, ...], positives: tuple[tuple[int, str], ...],
                 test: Test) -> None:
        self.query = query
        self.term_ids = term_ids
        self.positives = positives
        self.test = test


class Matcher:
    """All subscriptions' terms in one automaton; `variants` adds equivalent spellings of a phrase.

    `variants` is asked once per phrase, when a subscription first brings it.
    """

    def __init__(self, variants: Variants | None = None) -> None:
        self._variants = variants
        self._automaton: ahocorasick.Automaton | None = None
        self._stale = False
        self._key_ids: dict[str, int] = {}
        self._key_text: dict[int, str] = {}
        self._key_terms: dict[int, tuple[int, ...]] = {}
        self._term_ids: dict[tuple[str, ...], int] = {}
        self._term_forms: dict[int, tuple[str, ...]] = {}
        self._term_keys: dict[int, tuple[int, ...]] = {}
        self._term_refs: dict[int, int] = {}
        self._term_subs: dict[int, tuple[int, ...]] = {}
        self._single: dict[int, tuple[Query, int]] = {}
        self._boolean: dict[int, _Boolean] = {}
        self._next_id = 0

    def update(self, subscriptions: Mapping[int, Query]) -> None:
        """Make `subscriptions` (the full current set) the ones matched from the next article on."""
        current = [(sub_id, query) for sub_id, (query, _) in self._single.items()]
        current += [(sub_id, sub.query) for sub_id, sub in self._boolean.items()]
        for sub_id, query in current:
            new = subscriptions.get(sub_id)
            if new is not query and new != query:
                self._remove(sub_id)
        for sub_id, query in subscriptions.items():
            if sub_id not in self._single and sub_id not in self._boolean:
                self._add(sub_id, query)
        if self._stale:
            self._rebuild()

    def match(self, title: str | None, summary: str | None, body: str | None) -> dict[int, Match]:
        """The subscriptions this article matches, each with its first hit."""
        automaton = self._automaton
        if automaton is None:
            return {}
        fields = (Normalized(title or ""), Normalized(summary or ""), Normalized(body or ""))
        text = f" {fields[0].words} | {fields[1].words} | {fields[2].words} "
        first_end = dict(map(_KEY_AND_END, reversed(list(automaton.iter(text)))))
        if not first_end:
            return {}
        present = set(chain.from_iterable(map(self._key_terms.__getitem__, first_end)))
        candidates = set(chain.from_iterable(map(self._term_subs.__getitem__, present)))
        matched = candidates & self._single.keys()
        boolean = self._boolean
        matched.update(sub_id for sub_id in candidates - matched if boolean[sub_id].test(present))
        if not matched:
            return {}
        return self._locate(matched, first_end, fields)

    def _add(self, sub_id: int, query: Query) -> None:
        if isinstance(query.expr, Term):
            term_id = self._acquire(query.expr.forms)
            self._term_subs[term_id] += (sub_id,)
            self._single[sub_id] = (query, term_id)
            return
        ids = {term: self._acquire(term.forms) for term in terms(query.expr)}
        positives = tuple((ids[term], term.display) for term in _positive_terms(query.expr))
        for term_id in dict.fromkeys(term_id for term_id, _ in positives):
            self._term_subs[term_id] += (sub_id,)
        self._boolean[sub_id] = _Boolean(query, tuple(ids.values()), positives, _compile(query.expr, ids))

    def _remove(self, sub_id: int) -> None:
        if sub_id in self._single:
            _, term_id = self._single.pop(sub_id)
            term_ids, positives = [term_id], [term_id]
        else:
            sub = self._boolean.pop(sub_id)
            term_ids, positives = list(sub.term_ids), list(dict.fromkeys(t for t, _ in sub.positives))
        for term_id in term_ids:
            self._term_refs[term_id] -= 1
        for term_id in positives:
            self._term_subs[term_id] = tuple(s for s in self._term_subs[term_id] if s != sub_id)

    def _acquire(self, forms: tuple[str, ...]) -> int:
        term_id = self._term_ids.get(forms)
        if term_id is None:
            term_id = self._new_term(forms)
        self._term_refs[term_id] += 1
        return term_id

    def _new_term(self, forms: tuple[str, ...]) -> int:
        term_id = self._new_id()
        phrases = dict.fromkeys(forms)
        if self._variants is not None:
            for form in forms:
                phrases.update(dict.fromkeys(filter(None, map(normalize_words, self._variants(form)))))
        key_ids = tuple(self._key_id(f" {phrase} ") for phrase in phrases)
        for key_id in key_ids:
            self._key_terms[key_id] += (term_id,)
        self._term_ids[forms] = term_id
        self._term_forms[term_id] = forms
        self._term_keys[term_id] = key_ids
        self._term_refs[term_id] = 0
        self._term_subs[term_id] = ()
        return term_id

    def _key_id(self, key: str) -> int:
        key_id = self._key_ids.get(key)
        if key_id is None:
            key_id = self._key_ids[key] = self._new_id()
            self._key_text[key_id] = key
            self._key_terms[key_id] = ()
            self._stale = True
        return key_id

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _rebuild(self) -> None:
        """Build an automaton over the keys live terms use, swap it in, then forget unused terms and keys."""
        dead_terms = {term_id for term_id, refs in self._term_refs.items() if refs == 0}
        live_keys = {key_id for term_id in self._term_refs.keys() - dead_terms
                     for key_id in self._term_keys[term_id]}
        automaton = None
        if live_keys:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for key_id in live_keys:
                automaton.add_word(self._key_text[key_id], key_id)
            automaton.make_automaton()
        self._automaton = automaton
        self._stale = False
        for term_id in dead_terms:
            del self._term_ids[self._term_forms.pop(term_id)]
            del self._term_refs[term_id], self._term_subs[term_id]
            for key_id in self._term_keys.pop(term_id):
                self._key_terms[key_id] = tuple(t for t in self._key_terms[key_id] if t != term_id)
        for key_id in self._key_text.keys() - live_keys:
            del self._key_ids[self._key_text.pop(key_id)], self._key_terms[key_id]

    def _locate(self, matched: set[int], first_end: dict[int, int], fields: tuple[Normalized, ...]
                ) -> dict[int, Match]:
        """First hit of each matched subscription, mapped back to offsets in the original field text."""
        first: dict[int, tuple[int, int]] = {}
        for key_id, end in first_end.items():
            key = self._key_text[key_id]
            start = end - len(key) + 2
            for term_id in self._key_terms[key_id]:
                if term_id not in first or start < first[term_id][0]:
                    first[term_id] = (start, key.count(" ") - 1)
        chosen = {}
        for sub_id in matched:
            if sub_id in self._single:
                query, term_id = self._single[sub_id]
                display = query.expr.display  # type: ignore[union-attr]
            else:
                positives = self._boolean[sub_id].positives
                _, term_id, display = min((first[t][0], t, d) for t, d in positives if t in first)
            chosen[sub_id] = (display, first[term_id])
        places = _places({hit for _, hit in chosen.values()}, fields)
        return {sub_id: Match(sub_id, display, *places[hit]) for sub_id, (display, hit) in chosen.items()}


def _places(hits: set[tuple[int, int]], fields: tuple[Normalized, ...]) -> dict[tuple[int, int], tuple[str, int, int]]:
    """(field, start, end) for each (position in the joined normalised fields, number of words)."""
    starts = [1, len(fields[0].words) + 4, len(fields[0].words) + len(fields[1].words) + 7]
    by_field: dict[int, dict[tuple[int, int], tuple[int, int]]] = {}
    index, counted_to, word = 0, 0, 0
    for position, words in sorted(hits):
        while index < 2 and position >= starts[index + 1]:
            index, counted_to, word = index + 1, 0, 0
        offset = position - starts[index]
        word += fields[index].words.count(" ", counted_to, offset)
        counted_to = offset
        by_field.setdefault(index, {})[position, words] = (word, words)
    places = {}
    for index, wanted in by_field.items():
        spans = fields[index].spans(wanted.values())
        places.update({hit: (FIELDS[index], *spans[word_hit]) for hit, word_hit in wanted.items()})
    return places


def _positive_terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return []
    return [t for item in node.items for t in _positive_terms(item)]


def _compile(node: Node, ids: Mapping[Term, int]) -> Test:
    """The expression as a test on the set of term ids present in an article."""
    if isinstance(node, Term):
        term_id = ids[node]
        return lambda present: term_id in present
    if isinstance(node, Not):
        excluded = ids[node.term]
        return lambda present: excluded not in present
    parts = [_compile(item, ids) for item in node.items]
    if isinstance(node, AllOf):
        return lambda present: all(part(present) for part in parts)
    return lambda present: any(part(present) for part in parts)


def snippet(text: str, start: int, end: int, width: int = 200) -> tuple[str, str, str]:
    """(before, hit, after) around text[start:end], about `width` characters in all, cut at word boundaries.

    "…" marks each side where text was cut; runs of whitespace (paragraph breaks) become one space.
    """
    room = max(0, width - (end - start)) // 2
    cut_before, cut_after = max(0, start - room), min(len(text), end + room)
    before, after = text[cut_before:start], text[end:cut_after]
    if cut_before > 0:
        if not text[cut_before - 1].isspace():
            before = re.sub(r"^\S*", "", before)
        before = "…" + before.lstrip()
    if cut_after < len(text):
        if not text[cut_after].isspace():
            after = re.sub(r"\S*$", "", after)
        after = after.rstrip() + "…"
    return re.sub(r"\s+", " ", before), re.sub(r"\s+", " ", text[start:end]), re.sub(r"\s+", " ", after)
