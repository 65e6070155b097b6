"""Topic queries: a plain phrase, or a news-alert style boolean query.

Plain text without quotes or operators is one phrase (`coalition of the willing`). With quotes or operators
the query is boolean: words and "quoted phrases" side by side must all occur, upper-case `OR` joins
alternatives, `-word` / `-"phrase"` excludes, parentheses group. Upper-case `AND` and `NOT` are accepted as
spelled-out forms of juxtaposition and `-`.

Precedence: `OR` binds looser than juxtaposition (and `AND`), as in Boolean logic and in many search and
media-monitoring tools: `ceasefire OR truce Ukraine` means ceasefire OR (truce AND Ukraine). (Google's web
search reads it the other way; parentheses make either reading explicit.) describe() always spells the
grouping out, e.g. `ceasefire OR (truce AND ukraine)`, so the user sees how the query was read.

Phrases are matched in their normalised form (analysis/text.py), punctuation between words included as a
break: `coalition of the willing` does not match "... the coalition. Of the willing ...".

Excluding only single words or phrases (not groups) keeps every query in negation normal form, so "it has a
term that must appear" is exactly "it cannot match an article with none of its words"; the matcher relies on
that to consider a subscription only when one of its positive terms occurs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain, product

from diplobot.analysis.text import hyphen_split, normalize_phrase, singular

MAX_CHARS = 300
MAX_TERMS = 30
MAX_DEPTH = 5

_QUOTES = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\uff02": '"',
    }
)
_WORD_CHAR = re.compile(r"[^\W_]")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_OPERATORS = frozenset({"OR", "AND", "NOT"})
_OPERAND_STARTS = frozenset({"word", "phrase", "-", "NOT", "("})
_EXAMPLE = 'e.g. coalition of the willing, or "security guarantees" Ukraine -loan'


class QueryError(ValueError):
    """A query that cannot be read; str() says what is wrong and shows an example."""


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase: `display` as typed (case-folded), `forms` its normalised spellings.

    The forms are normalize_phrase() forms (the words as typed, folded and lower-cased, with more than one
    space where the typed text had punctuation between words); the second form, if any, splits hyphenated
    compounds. The matcher derives the singular/plural automaton keys from them.
    """

    display: str
    forms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Not:
    term: Term


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Node, ...]


Node = Term | Not | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed topic query; equal texts give equal queries."""

    text: str
    expr: Node

    def describe(self) -> str:
        """How the query was understood, e.g. `"security guarantees" AND ukraine AND NOT loan`."""
        if isinstance(self.expr, Term):
            return f'phrase "{self.expr.display}"'
        return _render(self.expr)

    def phrases(self) -> frozenset[str]:
        """The phrases the query looks for as normalised words (singular), excluded ones included."""
        return frozenset(" ".join(map(singular, term.forms[0].split())) for term in terms(self.expr))


def terms(node: Node) -> list[Term]:
    """Every term of an expression, in query order."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return [node.term]
    return [t for item in node.items for t in terms(item)]


Clause = tuple[tuple[Term, ...], tuple[Term, ...]]


def clauses(node: Node, limit: int) -> tuple[Clause, ...] | None:
    """The expression as a disjunction of (needed, excluded) terms, each without repeats; None when that takes more
    than `limit` clauses (the matcher then evaluates the tree; topic checks skip the query)."""
    if isinstance(node, Term):
        return (((node,), ()),)
    if isinstance(node, Not):
        return (((), (node.term,)),)
    parts = [clauses(item, limit) for item in node.items]
    if any(part is None for part in parts):
        return None
    if isinstance(node, AnyOf):
        out = tuple(chain.from_iterable(parts))  # type: ignore[arg-type]
    else:
        size = 1
        for part in parts:
            size *= len(part)  # type: ignore[arg-type]
        if size > limit:
            return None
        out = tuple(
            (
                tuple(dict.fromkeys(chain.from_iterable(c[0] for c in combo))),
                tuple(dict.fromkeys(chain.from_iterable(c[1] for c in combo))),
            )
            for combo in product(*parts)  # type: ignore[arg-type]
        )
    return out if len(out) <= limit else None


def evaluate(node: Node, present: frozenset[Term] | set[Term]) -> bool:
    """Whether an article containing exactly the terms `present` satisfies the expression."""
    if isinstance(node, Term):
        return node in present
    if isinstance(node, Not):
        return node.term not in present
    if isinstance(node, AllOf):
        return all(evaluate(item, present) for item in node.items)
    return any(evaluate(item, present) for item in node.items)


def parse_query(text: str) -> Query:
    """Read a topic query; raises QueryError (never anything else) with a message for the user."""
    source = text.strip()
    if not source:
        raise QueryError(f"The topic is empty. Write what to follow, {_EXAMPLE}.")
    if len(source) > MAX_CHARS:
        raise QueryError(
            f"The topic is {len(source)} characters long; the limit is {MAX_CHARS}. "
            f"Keep the words that matter, {_EXAMPLE}."
        )
    unified = source.translate(_QUOTES)
    expr = _Parser(unified).parse() if _is_boolean(unified) else _plain(unified)
    if len(terms(expr)) > MAX_TERMS:
        raise QueryError(
            f"The topic has {len(terms(expr))} words and phrases; the limit is {MAX_TERMS}. "
            f"Split it into several topics, {_EXAMPLE}."
        )
    if evaluate(expr, set()):
        raise QueryError(
            "The topic needs at least one word or phrase that must appear, not only exclusions: "
            'e.g. ceasefire -truce, or "peace plan" OR ceasefire.'
        )
    return Query(source, expr)


def _is_boolean(text: str) -> bool:
    if any(c in text for c in '"()'):
        return True
    return any(
        word in _OPERATORS or (word[0] == "-" and (word[1:2].isalnum() or word[1:2] == '"')) for word in text.split()
    )


def _plain(text: str) -> Term:
    term = _term(text)
    if term is None:
        raise QueryError(f"The topic has no letters or digits to look for. Write words, {_EXAMPLE}.")
    return term


def _term(raw: str) -> Term | None:
    """The term for typed words, or None when they hold no letters or digits."""
    norm = normalize_phrase(raw)
    if not norm:
        return None
    split = hyphen_split(raw) if _DASHES.intersection(raw) else norm
    forms = (norm,) if split == norm else (norm, split)
    words = " ".join(map(singular, norm.split()))
    chunks = raw.casefold().split()
    if len(chunks) > 1:
        chunks = [chunk for chunk in chunks if _has_word(chunk)]
    display = " ".join(chunks)
    return Term(words if display == words else display, forms)


def _has_word(chunk: str) -> bool:
    return bool(_WORD_CHAR.search(chunk) if chunk.isascii() else normalize_phrase(chunk))


def _render(node: Node, inside: type | None = None) -> str:
    if isinstance(node, Term):
        return f'"{node.display}"' if " " in node.display else node.display
    if isinstance(node, Not):
        return "NOT " + _render(node.term)
    joiner = " AND " if isinstance(node, AllOf) else " OR "
    body = joiner.join(_render(item, type(node)) for item in node.items)
    return f"({body})" if inside is not None else body


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, value): kind is one of ( ) OR AND NOT - word phrase."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append((c, c))
            i += 1
        elif c == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise QueryError(
                    f"A quote is not closed: {text[i : i + 40]}. Close every phrase, "
                    'e.g. "security guarantees" Ukraine.'
                )
            out.append(("phrase", text[i + 1 : close]))
            i = close + 1
        elif c == "-" and (i + 1 == n or text[i + 1].isspace() or text[i + 1] in "-()"):
            raise QueryError(
                "A minus sign must be attached to the word or quoted phrase it excludes, "
                'with no space and no parentheses: e.g. ceasefire -truce -"peace plan".'
            )
        elif c == "-":
            out.append(("-", "-"))
            i += 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] not in '"()':
                end += 1
            word = text[i:end]
            out.append((word, word) if word in _OPERATORS else ("word", word))
            i = end
    return out


class _Parser:
    """Recursive descent: any := all (OR all)* ; all := unary ([AND] unary)* ; unary := [-|NOT] atom | ( any )."""

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0
        self.depth = 0

    def parse(self) -> Node:
        node = self._any()
        if self._peek() == ")":
            raise QueryError(
                "A closing parenthesis has no opening one. Group alternatives like this, "
                'e.g. "security guarantees" (Ukraine OR Kyiv).'
            )
        if node is None:
            raise QueryError(f"The topic has no words to look for, {_EXAMPLE}.")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _any(self) -> Node | None:
        items = [self._all()]
        while self._peek() == "OR":
            self.pos += 1
            self._expect_operand("OR", items[-1] is not None and self._peek() in _OPERAND_STARTS)
            items.append(self._all())
            self._expect_operand("OR", items[-1] is not None)
        return _joined(AnyOf, [item for item in items if item is not None])

    def _all(self) -> Node | None:
        items: list[Node] = []
        while self._peek() not in (None, ")", "OR"):
            if self._peek() == "AND":
                self.pos += 1
                self._expect_operand("AND", bool(items) and self._peek() in _OPERAND_STARTS)
                continue
            item = self._unary()
            if item is not None:
                items.append(item)
        return _joined(AllOf, items)

    def _unary(self) -> Node | None:
        kind = self.tokens[self.pos][0]
        if kind in ("-", "NOT"):
            self.pos += 1
            if self._peek() not in ("word", "phrase"):
                raise QueryError('Only a word or a quoted phrase can be excluded, e.g. ceasefire -truce -"peace plan".')
            term = self._term_token()
            return None if term is None else Not(term)
        if kind == "(":
            return self._group()
        if kind in ("word", "phrase"):
            return self._term_token()
        self._expect_operand(kind, False)
        return None

    def _term_token(self) -> Term | None:
        kind, value = self.tokens[self.pos]
        self.pos += 1
        term = _term(value)
        if term is None and kind == "phrase":
            raise QueryError(f'The quoted phrase "{value}" has no letters or digits, {_EXAMPLE}.')
        return term

    def _group(self) -> Node | None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(
                f"Parentheses are nested more than {MAX_DEPTH} deep; simplify the topic, "
                "e.g. (ceasefire OR truce) Ukraine."
            )
        self.pos += 1
        node = self._any()
        if self._peek() != ")":
            raise QueryError(
                "A parenthesis is not closed. Group alternatives like this, e.g. (ceasefire OR truce) Ukraine."
            )
        self.pos += 1
        self.depth -= 1
        if node is None:
            raise QueryError("Parentheses must contain words, e.g. (ceasefire OR truce) Ukraine.")
        return node

    @staticmethod
    def _expect_operand(operator: str, ok: bool) -> None:
        if not ok:
            raise QueryError(
                f"{operator} must stand between two words or phrases, "
                'e.g. ceasefire OR truce, "prisoner exchange" OR "prisoner swap".'
            )


def _joined(kind: type[AllOf] | type[AnyOf], items: list[Node]) -> Node | None:
    """One node for several items: nested nodes of the same kind are flattened, a single item stands alone."""
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else kind(tuple(flat))
