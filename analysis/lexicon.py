"""Topics across languages: the English, Ukrainian and Russian phrases for one diplomacy or war-news concept.

A chat that follows "security guarantees" wants the Ukrainian report that says «гарантії безпеки» and the Russian
one that says «гарантий безопасности». The bundled lexicon (analysis/data/lexicon.tsv, its header states source,
licence and format) lists such concepts; a deployment can add its own file (`[topics] lexicon` in the config) in the
same format. `Lexicon.equivalents` gives a phrase's renderings in the *other* languages of every concept it belongs
to; `Lexicon.expansions` adds the grammatical forms of each Cyrillic phrase (analysis/inflect.py), which is what the
matcher needs as extra keys.

Only other languages are added, never same-language synonyms: an English topic keeps matching exactly the English
articles it matched before (no "truce" for "ceasefire"), and only gains its Ukrainian and Russian renderings.

Looking a phrase up. English phrases are compared in their singular, folded form (analysis/text.py:
`normalize_words`), so "security guarantee" finds the concept too. Cyrillic phrases are compared by their words'
dictionary forms (`inflect.lemma_key`), so "гарантиях безопасности" finds "гарантии безопасности"; the Cyrillic
index is built on the first Cyrillic look-up only, so a process that never sees one never loads the dictionaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from diplobot.analysis.inflect import is_cyrillic, lemma_key, phrase_forms
from diplobot.analysis.query import QueryError
from diplobot.analysis.text import normalize_phrase, normalize_words

LANGS = ("en", "uk", "ru")
MAX_FILE_BYTES = 5_000_000
BUNDLED = "lexicon.tsv"


class LexiconError(ValueError):
    """A lexicon file that cannot be read; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Concept:
    """One concept: its phrases per language ("en", "uk", "ru") and its domain (e.g. "sanctions")."""

    en: tuple[str, ...]
    uk: tuple[str, ...]
    ru: tuple[str, ...]
    domain: str = ""

    def phrases(self, lang: str) -> tuple[str, ...]:
        phrases: tuple[str, ...] = getattr(self, lang)
        return phrases

    def languages_of(self, key: str) -> set[str]:
        """The languages in which one of the concept's phrases has this look-up key."""
        return {lang for lang in LANGS if any(phrase_key(p) == key for p in self.phrases(lang))}


def phrase_key(phrase: str) -> str:
    """The look-up key of a phrase: folded singular words for Latin text, folded lemmas for Cyrillic."""
    if is_cyrillic(phrase):
        return normalize_phrase(lemma_key(phrase))
    return normalize_words(phrase)


class Lexicon:
    """Concepts with an index from phrase keys to them. Immutable once made; `merged` makes a bigger one."""

    def __init__(self, concepts: Iterable[Concept] = ()) -> None:
        self.concepts: tuple[Concept, ...] = tuple(concepts)
        self._latin: dict[str, list[int]] = {}
        self._cyrillic: dict[str, list[int]] | None = None
        for index, concept in enumerate(self.concepts):
            for phrase in concept.en:
                self._latin.setdefault(phrase_key(phrase), []).append(index)

    def __len__(self) -> int:
        return len(self.concepts)

    def merged(self, other: Lexicon) -> Lexicon:
        """This lexicon's concepts followed by `other`'s (a deployment file adds to the bundled lexicon)."""
        return Lexicon(self.concepts + other.concepts)

    def concepts_of(self, phrase: str) -> list[Concept]:
        """The concepts one of whose phrases the given phrase is (in any grammatical form, for Cyrillic)."""
        key = phrase_key(phrase)
        if not key:
            return []
        index = self._cyrillic_index() if is_cyrillic(phrase) else self._latin
        return [self.concepts[i] for i in index.get(key, ())]

    def equivalents(self, phrase: str) -> list[str]:
        """The phrase's renderings in the other languages of each concept it belongs to, in lexicon order
        (English, Ukrainian, Russian); [] for a phrase the lexicon does not know."""
        key = phrase_key(phrase)
        out: dict[str, None] = {}
        for concept in self.concepts_of(phrase):
            own = concept.languages_of(key)
            for lang in LANGS:
                if lang not in own:
                    out.update(dict.fromkeys(concept.phrases(lang)))
        return list(out)

    def expansions(self, phrase: str) -> list[str]:
        """What a topic phrase should also match: its equivalents, and the grammatical forms of the phrase and of
        each equivalent that is Ukrainian or Russian (the matcher adds English plurals itself)."""
        out: dict[str, None] = {}
        for item in (phrase, *self.equivalents(phrase)):
            if item != phrase:
                out[item] = None
            if is_cyrillic(item):
                out.update(dict.fromkeys(sorted(phrase_forms(item))))
        out.pop(phrase, None)
        return list(out)

    def _cyrillic_index(self) -> dict[str, list[int]]:
        if self._cyrillic is None:
            index: dict[str, list[int]] = {}
            for number, concept in enumerate(self.concepts):
                for phrase in (*concept.uk, *concept.ru):
                    bucket = index.setdefault(phrase_key(phrase), [])
                    if number not in bucket:
                        bucket.append(number)
            self._cyrillic = index
        return self._cyrillic


def parse_lexicon(text: str, where: str = "lexicon", *, require_all: bool = False) -> Lexicon:
    """Read a lexicon in the TSV format described in analysis/data/lexicon.tsv.

    Each concept needs an English phrase and at least one Ukrainian or Russian one (all three with `require_all`).
    :raises LexiconError: naming the line and what is wrong with it.
    """
    concepts = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) < 2 or len(cells) > 4:
            raise LexiconError(
                f"{where}, line {number}: expected the English, Ukrainian and Russian phrases "
                f"separated by tabs (and optionally a domain), found {len(cells)} column"
                f"{'s' if len(cells) != 1 else ''}: {line[:60]!r}"
            )
        cells += [""] * (4 - len(cells))
        phrases = [tuple(p for p in (part.strip() for part in cell.split("|")) if p) for cell in cells[:3]]
        en, uk, ru = phrases
        if not en:
            raise LexiconError(f"{where}, line {number}: the first column (English) is empty")
        if not (uk or ru) or (require_all and not (uk and ru)):
            needed = "both a Ukrainian and a Russian" if require_all else "a Ukrainian or Russian"
            raise LexiconError(f"{where}, line {number}: {needed} phrase is needed for {en[0]!r}")
        for lang, items in zip(LANGS, phrases, strict=True):
            for phrase in items:
                if is_cyrillic(phrase) if lang == "en" else phrase.isascii():
                    raise LexiconError(
                        f"{where}, line {number}: {phrase!r} is in the {lang} column but not in "
                        f"{'Latin' if lang == 'en' else 'Cyrillic'} letters (columns: en, uk, ru)"
                    )
        concepts.append(Concept(en, uk, ru, cells[3].strip()))
    return Lexicon(concepts)


def load_lexicon(path: str | Path) -> Lexicon:
    """A deployment's lexicon file; LexiconError with a clear message when it cannot be read."""
    where = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise LexiconError(f"{where}: cannot read the lexicon file: no such file") from None
    except OSError as exc:
        raise LexiconError(f"{where}: cannot read the lexicon file: {exc.strerror or exc.__class__.__name__}") from None
    if len(data) > MAX_FILE_BYTES:
        raise LexiconError(f"{where}: the lexicon file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LexiconError(f"{where}: the lexicon file is not UTF-8 text") from None
    return parse_lexicon(text, where)


@lru_cache(maxsize=1)
def bundled_lexicon() -> Lexicon:
    """The lexicon shipped with diplobot (analysis/data/lexicon.tsv); read once per process, never changed."""
    text = resources.files("diplobot.analysis.data").joinpath(BUNDLED).read_text(encoding="utf-8")
    return parse_lexicon(text, BUNDLED, require_all=True)


def deployment_lexicon(path: str | Path | None) -> Lexicon:
    """The bundled lexicon, plus a deployment's own file when one is configured."""
    base = bundled_lexicon()
    return base.merged(load_lexicon(path)) if path else base


def lexicon_rows(lexicon: Lexicon) -> list[tuple[str, str, str, str]]:
    """A lexicon as rows (en, uk, ru, domain; several phrases joined by "|"), as the store keeps a deployment's."""
    return [("|".join(c.en), "|".join(c.uk), "|".join(c.ru), c.domain) for c in lexicon.concepts]


@lru_cache(maxsize=8)
def _from_rows(rows: tuple[tuple[str, str, str, str], ...]) -> Lexicon:
    def cell(text: str) -> tuple[str, ...]:
        return tuple(phrase for phrase in text.split("|") if phrase)

    return bundled_lexicon().merged(
        Lexicon(Concept(cell(en), cell(uk), cell(ru), domain) for en, uk, ru, domain in rows)
    )


def corpus_lexicon(corpus: object) -> Lexicon:
    """The lexicon a topic service over `corpus` uses: the bundled one plus the deployment's entries the store keeps
    (`lexicon_rows()`, written at start-up from `[topics] lexicon`), so every process and command matches alike."""
    read = getattr(corpus, "lexicon_rows", None)
    rows: tuple[tuple[str, str, str, str], ...] = (
        tuple((en, uk, ru, domain) for en, uk, ru, domain in read()) if callable(read) else ()
    )
    return _from_rows(rows) if rows else bundled_lexicon()


def equivalents(phrase: str, lexicon: Lexicon | None = None) -> list[str]:
    """A phrase's renderings in the other languages (bundled lexicon unless one is given): "security
    guarantees" -> ["гарантії безпеки", "гарантии безопасности"]."""
    return (lexicon or bundled_lexicon()).equivalents(phrase)


def with_own_equivalents(text: str) -> str:
    """A typed topic with the chat's own equivalents, `"security guarantees" = "гарантії безпеки"` (quotes optional),
    as the query the chat follows: `"security guarantees" OR "гарантії безпеки"`. Text without "=" is returned as
    it is. :raises QueryError: when the topic before "=" is not one phrase, or a side is empty."""
    if "=" not in text:
        return text
    parts = [part.strip() for part in text.split("=")]
    phrases = [part[1:-1].strip() if len(part) > 1 and part[0] == part[-1] == '"' else part for part in parts]
    example = 'e.g. /subscribe "security guarantees" = "гарантії безпеки"'
    if any(not phrase for phrase in phrases):
        raise QueryError(f"Write a phrase on each side of =, {example}.")
    for phrase in phrases:
        if (
            '"' in phrase
            or any(word in ("OR", "AND", "NOT") or word.startswith("-") for word in phrase.split())
            or any(c in phrase for c in "()")
        ):
            raise QueryError(f"Equivalents (=) join plain phrases only, not {phrase!r}: {example}.")
    return " OR ".join(f'"{phrase}"' for phrase in dict.fromkeys(phrases))


def describe_equivalents(phrases: Sequence[str], limit: int = 6) -> str:
    """'гарантії безпеки, гарантии безопасности' (at most `limit`, then '…'), for "also matching: ..." lines."""
    shown = list(dict.fromkeys(phrases))
    text = ", ".join(shown[:limit])
    return text + (", …" if len(shown) > limit else "")
