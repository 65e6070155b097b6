"""Match each new article against every subscription at once.

Why one automaton. A per-subscription regex loop costs one scan of the article per topic (thousands of
topics make seconds per article). Here every distinct query term, in each of its forms, singular/plural
variants and name variants, is a key of a single Aho-Corasick automaton (pyahocorasick), so one scan over
the article finds every term of every topic. One-term subscriptions (most of them) match as soon as one of
their keys is hit; a boolean one is evaluated only if one of its positive terms occurred (queries are in
negation normal form, see analysis/query.py), from the set of terms found, as a small disjunction of
(needed, excluded) term sets.

Whole words without a boundary check per hit. The automaton runs over the article's scan form (see
analysis/text.py: lower-cased, folded, every non-letter-or-digit a space, computed with whole-string C
operations) and its keys are padded with spaces (" security guarantees "), so every hit is a whole-word hit:
no Python work per rejected substring, and none of iter_long's end-of-text pitfalls (libs.md section 7;
iter() is used). Punctuation leaves two or more spaces between words, and fields are joined with " | ", so
a phrase never spans a sentence end, a comma, or title and summary. Singular and plural: the article is not
stemmed; instead a phrase's keys include the other number of its last word (see text.phrase_keys).

Per hit, the work is a list index: automaton values are slot << 10 | key length, and per slot the matcher
keeps the (subscription id, phrase) pairs it matches and the boolean terms it holds. The first hit of a
matched subscription is mapped back to (field, start, end) in the original text right away (a bisection
over the few edited positions, none for most articles), since the alert pipeline stores it.

Incremental updates. update() takes the full current set of subscriptions; unchanged ones cost a comparison.
The automaton is rebuilt only when a term brings a key it does not hold yet (the automaton itself is the
key lookup); otherwise only the slot lists of the term's keys change. Removing subscriptions never rebuilds
(keys nobody uses any more are dropped at the next rebuild). The new automaton is built completely before it
replaces the old one. Not thread-safe: call update() and match() from the same thread.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Set
from itertools import chain
from typing import NamedTuple

import ahocorasick

from diplobot.analysis.query import AllOf, Node, Not, Query, Term, clauses, terms
from diplobot.analysis.text import Scanned, normalize_phrase, phrase_keys

FIELDS = ("title", "summary", "body")
MAX_CLAUSES = 64
"""A boolean query whose disjunctive form would need more clauses is evaluated as a tree instead."""

Variants = Callable[[str], Iterable[str]]
_new_match = tuple.__new__
_LENGTH_BITS = 10
_LENGTH = (1 << _LENGTH_BITS) - 1
"""Automaton values carry the key's length in their low bits, so a hit gives its start without a lookup;
longer keys (only name variants could be) are left out. pyahocorasick stores values as 32-bit ints, which
leaves 21 bits, about two million keys, for the slot."""
MAX_SLOTS = 1 << (31 - _LENGTH_BITS)


class Match(NamedTuple):
    """Why a subscription matched: its first-occurring phrase (as the user typed it) and where it is."""

    subscription_id: int
    phrase: str
    field: str
    start: int
    end: int


class _Term:
    """One distinct term (its typed forms) with what matching needs about it.

    `phrases`: the forms plus name variants; `slots`: its keys' slots in the live automaton (None when some
    key is not in it yet); `refs` / `bool_refs`: subscriptions / boolean subscriptions using it;
    `booleans`: the boolean subscriptions in which it is a positive term.
    """

    __slots__ = ("bool_refs", "booleans", "phrases", "refs", "slots")

    def __init__(self, phrases: tuple[str, ...]) -> None:
        self.phrases = phrases
        self.slots: tuple[int, ...] | None = None
        self.refs = 0
        self.bool_refs = 0
        self.booleans: tuple[int, ...] = ()


_Clause = tuple[tuple[_Term, ...], tuple[_Term, ...]]


class _Boolean:
    """A boolean subscription: its positive terms (term, display) in query order, and how to test it."""

    __slots__ = ("clauses", "ids", "positives", "query")

    def __init__(self, query: Query, ids: dict[Term, _Term]) -> None:
        self.query = query
        self.positives = tuple(dict.fromkeys((ids[t], t.display) for t in _positive_terms(query.expr)))
        self.clauses = _clauses(query.expr, ids)
        self.ids = ids if self.clauses is None else None

    def reasons(self, present: Set[_Term]) -> set[_Term]:
        """The present positive terms that make the subscription match (none when it does not)."""
        if self.clauses is None:
            if not _holds(self.query.expr, self.ids, present):  # type: ignore[arg-type]
                return set()
            return {term for term, _ in self.positives if term in present}
        found: set[_Term] = set()
        for need, avoid in self.clauses:
            if all(map(present.__contains__, need)) and present.isdisjoint(avoid):
                found.update(need)
        return found


class Matcher:
    """All subscriptions' terms in one automaton; `variants` adds equivalent spellings of a phrase.

    `variants` is asked once per phrase, when a subscription first brings it.

    Layout (compact, for 100k subscriptions). The automaton is the only map from key strings: it numbers
    its keys 0..n-1 ("slots"; the value stored is slot << 10 | key length) and for each slot two lists hold
    what a hit needs without further lookups: the one-term subscriptions it matches, as (subscription id,
    phrase) pairs, and the terms of boolean subscriptions it contains.
    """

    def __init__(self, variants: Variants | None = None) -> None:
        self._variants = variants
        self._automaton: ahocorasick.Automaton | None = None
        self._stale = False
        self._terms: dict[tuple[str, ...], _Term] = {}
        self._subs: dict[int, tuple[Query, _Term | _Boolean]] = {}
        self._slot_singles: list[tuple[tuple[int, str], ...]] = []
        self._slot_terms: list[tuple[_Term, ...]] = []

    def update(self, subscriptions: Mapping[int, Query]) -> None:
        """Make `subscriptions` (the full current set) the ones matched from the next article on."""
        for sub_id, (query, _) in list(self._subs.items()):
            new = subscriptions.get(sub_id)
            if new is not query and new != query:
                self._remove(sub_id)
        for sub_id, query in subscriptions.items():
            if sub_id not in self._subs:
                self._add(sub_id, query)
        if self._stale:
            self._rebuild()

    def match(self, title: str | None, summary: str | None, body: str | None) -> dict[int, Match]:
        """The subscriptions this article matches, each with its first hit."""
        automaton = self._automaton
        if automaton is None:
            return {}
        title, summary, body = title or "", summary or "", body or ""
        scanned = Scanned(f" {title} | {summary} | {body} ")
        summary_at, body_at = len(title) + 4, len(title) + len(summary) + 7
        exact, edited, shift = scanned.exact, scanned.edit_at, scanned.edit_shift
        slot_singles, slot_terms = self._slot_singles, self._slot_terms
        out: dict[int, Match] = {}
        first: dict[_Term, tuple[int, int]] = {}
        for end, value in automaton.iter(scanned.words):
            slot = value >> _LENGTH_BITS
            singles = slot_singles[slot]
            if singles:
                start, stop = end - (value & _LENGTH) + 2, end
                if not exact:
                    start += shift[bisect_right(edited, start) - 1]
                    stop += shift[bisect_right(edited, stop - 1) - 1]
                if start >= body_at:
                    place = ("body", start - body_at, stop - body_at)
                elif start >= summary_at:
                    place = ("summary", start - summary_at, stop - summary_at)
                else:
                    place = ("title", start - 1, stop - 1)
                for pair in singles:
                    if pair[0] not in out:
                        out[pair[0]] = _new_match(Match, pair + place)
            terms_here = slot_terms[slot]
            if terms_here:
                start = end - (value & _LENGTH) + 2
                for term in terms_here:
                    if term not in first:
                        first[term] = scanned.span(start, end) if not exact else (start, end)
        if first:
            self._match_booleans(first, out, summary_at, body_at)
        return out

    def _match_booleans(
        self, first: dict[_Term, tuple[int, int]], out: dict[int, Match], summary_at: int, body_at: int
    ) -> None:
        present = first.keys()
        for sub_id in set(chain.from_iterable(term.booleans for term in present)):
            sub: _Boolean = self._subs[sub_id][1]  # type: ignore[assignment]
            reasons = sub.reasons(present)
            if reasons:
                _, _, display, term = min(
                    (first[t][0], n, d, t) for n, (t, d) in enumerate(sub.positives) if t in reasons
                )
                out[sub_id] = _new_match(Match, (sub_id, display, *_place(first[term], summary_at, body_at)))

    def _add(self, sub_id: int, query: Query) -> None:
        if isinstance(query.expr, Term):
            term = self._acquire(query.expr.forms)
            self._subs[sub_id] = (query, term)
            pair = (sub_id, query.expr.display)
            for slot in self._live_slots(term):
                self._slot_singles[slot] += (pair,)
            return
        ids = {t: self._acquire(t.forms) for t in terms(query.expr)}
        sub = _Boolean(query, ids)
        self._subs[sub_id] = (query, sub)
        for term in dict.fromkeys(term for term, _ in sub.positives):
            term.booleans += (sub_id,)
        for term in set(ids.values()):
            term.bool_refs += 1
            if term.bool_refs == 1:
                for slot in self._live_slots(term):
                    self._slot_terms[slot] += (term,)

    def _remove(self, sub_id: int) -> None:
        query, sub = self._subs.pop(sub_id)
        if isinstance(sub, _Term):
            sub.refs -= 1
            for slot in self._live_slots(sub):
                self._slot_singles[slot] = tuple(pair for pair in self._slot_singles[slot] if pair[0] != sub_id)
            return
        for term in set(sub.ids.values() if sub.ids else (self._terms[t.forms] for t in terms(query.expr))):
            term.refs -= 1
            term.bool_refs -= 1
            if not term.bool_refs:
                for slot in self._live_slots(term):
                    self._slot_terms[slot] = tuple(other for other in self._slot_terms[slot] if other is not term)
        for term in dict.fromkeys(term for term, _ in sub.positives):
            term.booleans = tuple(other for other in term.booleans if other != sub_id)

    def _live_slots(self, term: _Term) -> tuple[int, ...]:
        """The term's slots in the live automaton; none when a rebuild is due (it recomputes every slot)."""
        return () if self._stale or term.slots is None else term.slots

    def _acquire(self, forms: tuple[str, ...]) -> _Term:
        term = self._terms.get(forms)
        if term is None:
            term = self._terms[forms] = _Term(term_phrases(forms, self._variants))
            term.slots = self._find_slots(term)
            if term.slots is None:
                self._stale = True
        term.refs += 1
        return term

    def _find_slots(self, term: _Term) -> tuple[int, ...] | None:
        """The slots of the term's keys if the live automaton has them all (no rebuild needed), else None."""
        automaton = self._automaton
        if automaton is None:
            return None
        slots = []
        for key in _keys(term):
            value = automaton.get(key, None)
            if value is None:
                return None
            slots.append(value >> _LENGTH_BITS)
        return tuple(slots)

    def _rebuild(self) -> None:
        """Build an automaton over the keys of the terms in use and swap it in; unused terms are forgotten."""
        for forms in [forms for forms, term in self._terms.items() if not term.refs]:
            del self._terms[forms]
        singles: dict[_Term, list[tuple[int, str]]] = {}
        for sub_id, (query, sub) in self._subs.items():
            if isinstance(sub, _Term):
                singles.setdefault(sub, []).append((sub_id, query.expr.display))  # type: ignore[union-attr]
        automaton = None
        slot_singles: list[tuple[tuple[int, str], ...]] = []
        slot_terms: list[tuple[_Term, ...]] = []
        if self._terms:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for term in self._terms.values():
                pairs, slots = tuple(singles.pop(term, ())), []
                for key in _keys(term):
                    value = automaton.get(key, None)
                    if value is None:
                        if len(slot_singles) == MAX_SLOTS:
                            raise ValueError(f"more than {MAX_SLOTS:,} distinct topic keys")
                        value = len(slot_singles) << _LENGTH_BITS | len(key)
                        automaton.add_word(key, value)
                        slot_singles.append(pairs)
                        slot_terms.append((term,) if term.bool_refs else ())
                    else:
                        slot = value >> _LENGTH_BITS
                        slot_singles[slot] += pairs
                        slot_terms[slot] += (term,) if term.bool_refs else ()
                    slots.append(value >> _LENGTH_BITS)
                term.slots = tuple(slots)
            automaton.make_automaton()
        self._automaton, self._slot_singles, self._slot_terms = automaton, slot_singles, slot_terms
        self._stale = False


def term_phrases(forms: tuple[str, ...], variants: Variants | None) -> tuple[str, ...]:
    """A term's phrases in scan form: its typed forms, then the other spellings `variants` gives for them."""
    phrases = dict.fromkeys(forms)
    if variants is not None:
        for form in forms:
            phrases.update(dict.fromkeys(filter(None, map(normalize_phrase, variants(form)))))
    return tuple(phrases)


def phrases_keys(phrases: Iterable[str]) -> dict[str, None]:
    """The automaton keys of these phrases, padded with spaces (keys longer than the value's length field allows
    are left out): an article matches one of the phrases exactly when its scan form contains one of the keys."""
    return dict.fromkeys(key for phrase in phrases for key in phrase_keys(phrase) if len(key) <= _LENGTH)


def _keys(term: _Term) -> dict[str, None]:
    return phrases_keys(term.phrases)


def _place(span: tuple[int, int], summary_at: int, body_at: int) -> tuple[str, int, int]:
    """(field, start, end) in the original field text for a (start, end) span of the scanned article."""
    start, end = span
    if start >= body_at:
        return "body", start - body_at, end - body_at
    if start >= summary_at:
        return "summary", start - summary_at, end - summary_at
    return "title", start - 1, end - 1


def _positive_terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return []
    return [t for item in node.items for t in _positive_terms(item)]


def _clauses(node: Node, ids: Mapping[Term, _Term]) -> tuple[_Clause, ...] | None:
    """The expression as a disjunction of (needed, excluded) terms; None if that takes over MAX_CLAUSES."""
    found = clauses(node, MAX_CLAUSES)
    if found is None:
        return None
    return tuple(
        (tuple(dict.fromkeys(ids[t] for t in need)), tuple(dict.fromkeys(ids[t] for t in avoid)))
        for need, avoid in found
    )


def _holds(node: Node, ids: Mapping[Term, _Term], present: Set[_Term]) -> bool:
    """The expression evaluated as a tree, on the set of terms present in an article."""
    if isinstance(node, Term):
        return ids[node] in present
    if isinstance(node, Not):
        return ids[node.term] not in present
    if isinstance(node, AllOf):
        return all(_holds(item, ids, present) for item in node.items)
    return any(_holds(item, ids, present) for item in node.items)


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
