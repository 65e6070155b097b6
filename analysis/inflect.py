"""Grammatical forms of Ukrainian and Russian phrases, so a topic matches whatever case the sentence puts it in.

"коаліція охочих" must find «коаліції охочих» and «коаліцію охочих», "гарантии безопасности" must find «гарантиях
безопасности», "мирний план" must find «мирного плану». Lemmatising every word of every article would make
matching cost a dictionary look-up per word; instead a phrase is expanded *once*, when a subscription brings it,
into the forms it can take, and those become keys of the matcher's one automaton (analysis/matcher.py). Articles
are then scanned exactly as before.

How a phrase is expanded (`phrase_forms`), with the morphological dictionaries of pymorphy3 (OpenCorpora for
Russian, VESUM for Ukrainian):

* the *head* is the phrase's first noun; adjectives and participles (ordinals too) before it agree with it, so
  each is put in the head's case and number (and gender, in the singular): "мирний план" -> "мирного плану",
  "мирним планом", "мирних планів"...;
* words after the head keep the form they were given, since they depend on the head, not on the sentence:
  "гарантії безпеки" -> "гарантій безпеки", "гарантіям безпеки" (never "гарантій безпекою"); "обмін
  полоненими", "прекращение огня" likewise;
* proper names right after a name head agree with it too: "Стів Віткофф" -> "Стівом Віткоффом";
* a phrase that does not fit this shape (a verb, a preposition before the head, a word the dictionary does not
  know as a noun or adjective) keeps only the forms it was given: a missed form is better than a false one.

Which language: a word with і ї є ґ is Ukrainian, one with ы э ъ ё Russian; otherwise each dictionary that knows
every word of the phrase is used (both, for "план"). The dictionaries are loaded on first use (about a third of a
second and some 40 MB for both) and only in processes that expand a Cyrillic phrase. When the dictionaries are
not installed, phrases keep their own form only, with a warning in the log.

Input may be in the matcher's scan form, where й is folded to и and ї to і (analysis/text.py): the analyzers are
told those letters may stand for each other, so "мирнии" is still read as "мирний".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import product
from typing import Any

log = logging.getLogger(__name__)

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "voct", "gen2", "acc2", "loc2")
NUMBERS = ("sing", "plur")
MAX_FORMS = 400
"""Forms of one phrase at most (a long phrase of ambiguous words could otherwise multiply out)."""

_UK_ONLY = frozenset("іїєґ")
_RU_ONLY = frozenset("ыэъё")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_AGREEING = frozenset({"ADJF", "PRTF"})
_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})
_KIND = frozenset({"actv", "pssv", "pres", "past", "Supr", "Cmp2", "COMP"})
"""Grammemes an agreeing word keeps across its forms: a passive participle stays passive, a positive adjective
positive (a participle's lexeme is its whole verb; an adjective's includes its superlative)."""
# Letters the scan form folds (й -> и, ї -> і, ё -> е) may stand for the unfolded ones when looking words up.
_SUBSTITUTES = {"uk": {"і": "ї", "и": "й"}, "ru": {"е": "ё", "и": "й"}}

_analyzers: dict[str, Any] = {}


def is_cyrillic(text: str) -> bool:
    """Whether `text` has any Cyrillic letter."""
    return _CYRILLIC.search(text) is not None


def analyzer(lang: str) -> Any | None:
    """The pymorphy3 analyzer for "uk" or "ru", loaded once per process; None when its dictionary is missing."""
    if lang not in _analyzers:
        try:
            import pymorphy3

            _analyzers[lang] = pymorphy3.MorphAnalyzer(lang=lang, char_substitutes=_SUBSTITUTES[lang])
        except (ImportError, ValueError, OSError) as exc:  # pymorphy3 raises ValueError for a missing dictionary
            log.warning(
                "no %s morphology (pymorphy3 dictionary not installed: %s); %s phrases match only as written",
                lang,
                exc,
                lang,
            )
            _analyzers[lang] = None
    return _analyzers[lang]


def phrase_languages(phrase: str) -> tuple[str, ...]:
    """The languages a Cyrillic phrase may be in, by the letters only one of them has: ("uk",), ("ru",) or both."""
    lower = phrase.lower()
    uk, ru = not _UK_ONLY.isdisjoint(lower), not _RU_ONLY.isdisjoint(lower)
    if uk and not ru:
        return ("uk",)
    if ru and not uk:
        return ("ru",)
    return ("uk", "ru")


@lru_cache(maxsize=20_000)
def phrase_forms(phrase: str) -> frozenset[str]:
    """The grammatical forms of a Ukrainian or Russian phrase, lower-case, the phrase itself included.

    A phrase without Cyrillic letters is returned as it is (lower-cased); see the module docstring for the rules.
    """
    text = " ".join(phrase.translate(_APOSTROPHES).lower().split())
    if not text or not is_cyrillic(text):
        return frozenset({text} if text else ())
    forms = {text}
    words = text.split()
    found = {lang: _readings(words, morph) for lang in phrase_languages(text) if (morph := analyzer(lang)) is not None}
    if any(exact for _, exact in found.values()):  # a language that knows the words as written outranks one that
        found = {lang: item for lang, item in found.items() if item[1]}  # knows them only with folded letters
    for lang, (readings, _) in found.items():
        forms.update(_forms(words, readings, analyzer(lang)))
    return frozenset(sorted(forms)[:MAX_FORMS] if len(forms) > MAX_FORMS else forms)


@lru_cache(maxsize=20_000)  # topics and lexicon entries ask for the same phrases again and again
def lemma_key(phrase: str) -> str:
    """The phrase with each Cyrillic word in its dictionary form ("гарантиях безопасности" -> "гарантия
    безопасность"): equal for the inflections of one phrase. Other words are left as they are (lower-cased).

    Of a word's readings the first noun is taken, else the first adjective, else the first participle, else the first
    reading: every form of a word has the readings of its lexemes, so each form gives the same lemma."""
    words = phrase.translate(_APOSTROPHES).lower().split()
    if not is_cyrillic(" ".join(words)):
        return " ".join(words)
    langs = phrase_languages(" ".join(words))
    out = []
    for word in words:
        found = [parses for lang in langs if (parses := _parses(word, analyzer(lang)))]
        found.sort(key=lambda parses: parses[0].word != word)  # a language that has the word as written first
        if not found:
            out.append(word)
            continue
        parses = found[0]
        best = min(range(len(parses)), key=lambda i: (_LEMMA_ORDER.get(parses[i].tag.POS, 9), i))
        out.append(parses[best].normal_form)
    return " ".join(out)


_LEMMA_ORDER = {"NOUN": 0, "ADJF": 1, "PRTF": 2}


def _parses(word: str, morph: Any | None) -> list[Any]:
    """The dictionary's readings of a Cyrillic word, known words only (no guesses), best first; those of the word
    as written when there are any, else those with folded letters restored (мирнии -> мирний)."""
    if morph is None or not is_cyrillic(word):
        return []
    found = [p for p in morph.parse(word) if p.is_known and "Dist" not in p.tag]
    return [p for p in found if p.word == word] or found


def _readings(words: list[str], morph: Any) -> tuple[list[list[Any]], bool]:
    """Each word's readings, and whether every Cyrillic word was found as written."""
    readings = [_parses(word, morph) for word in words]
    exact = all(
        parses and parses[0].word == word for word, parses in zip(words, readings, strict=True) if is_cyrillic(word)
    )
    return readings, exact


def _guessed(word: str, morph: Any) -> list[Any]:
    """Readings including the analyzer's guesses from word endings (for names the dictionary does not list)."""
    return [p for p in morph.parse(word) if "Dist" not in p.tag]


def _forms(words: list[str], readings: list[list[Any]], morph: Any) -> set[str]:
    """The phrase's forms in one language (empty when the phrase does not have the shape described above)."""
    head = _head(readings)
    if head is None:
        return _without_noun(words, readings, morph)
    if not all(any(p.tag.POS in _AGREEING for p in readings[i]) for i in range(head)):
        return set()
    nouns = [p for p in readings[head] if p.tag.POS == "NOUN"]
    nouns = [p for p in nouns if p.normal_form == nouns[0].normal_form]  # one word, all its genders and paradigms
    noun = nouns[0]
    agreeing = list(range(head))
    names = _following_names(words, head, noun, morph)
    numbers = ("sing",) if _NAME_TAGS & noun.tag.grammemes else NUMBERS  # a person is one
    out: set[str] = set()
    for case, number in product(CASES, numbers):
        slot = {form for parse in nouns for form in _noun_forms(parse, case, number)}
        if not slot:
            continue
        gender = noun.tag.gender if number == "sing" else None
        options: list[set[str]] = [{w} for w in words]
        options[head] = slot
        for i in agreeing:
            options[i] = _adjective_forms(readings[i], case, number, gender)
        for i, parse in names:
            options[i] = _name_forms(parse, case, noun.tag.gender) or {words[i]}
        if all(options):
            out.update(" ".join(combo) for combo in product(*options))
    return out


def _head(readings: list[list[Any]]) -> int | None:
    """The first noun, skipping words that can also be read as an adjective of the noun after them ("мирный" is
    also a town, "Зеленский" a surname: before "план" they are adjectives)."""
    for i, parses in enumerate(readings):
        if not any(p.tag.POS == "NOUN" for p in parses):
            continue
        modifier = any(p.tag.POS in _AGREEING for p in parses)
        if modifier and i + 1 < len(readings) and any(p.tag.POS == "NOUN" for p in readings[i + 1]):
            continue
        return i
    return None


def _without_noun(words: list[str], readings: list[list[Any]], morph: Any) -> set[str]:
    """A phrase with no noun: a name the dictionary reads as an adjective (Зеленський) or an unknown name
    (Віткофф, guessed from its ending) alone is declined; anything else keeps its form."""
    if len(words) != 1 or not is_cyrillic(words[0]):
        return set()
    parses = readings[0]
    adjective = next((p for p in parses if p.tag.POS == "ADJF"), None)
    if adjective is not None:
        number = "plur" if "plur" in adjective.tag else "sing"
        gender = adjective.tag.gender if number == "sing" else None
        return {form for case in CASES for form in _adjective_forms([adjective], case, number, gender)}
    if parses:
        return set()
    guess = next((p for p in _guessed(words[0], morph) if p.tag.POS == "NOUN" and _NAME_TAGS & p.tag.grammemes), None)
    if guess is None:
        return set()
    return {form for case in CASES for form in _noun_forms(guess, case, "sing")}


def _following_names(words: list[str], head: int, noun: Any, morph: Any) -> list[tuple[int, Any]]:
    """Proper names right after a name head ("Стів Віткофф"), of the head's gender: they decline with it. Unknown
    surnames are read from their endings (pymorphy3's guesser); a surname may be adjectival (Зеленський)."""
    if not _NAME_TAGS & noun.tag.grammemes:
        return []
    out = []
    for i in range(head + 1, len(words)):
        guess = next(
            (
                p
                for p in _guessed(words[i], morph)
                if (p.tag.POS == "ADJF" or (p.tag.POS == "NOUN" and _NAME_TAGS & p.tag.grammemes))
                and p.tag.gender in (noun.tag.gender, None)
                and "Fixd" not in p.tag
            ),
            None,
        )
        if guess is None:
            break
        out.append((i, guess))
    return out


def _name_forms(parse: Any, case: str, gender: str | None) -> set[str]:
    if parse.tag.POS == "ADJF":
        return _adjective_forms([parse], case, "sing", gender)
    return _noun_forms(parse, case, "sing")


def _number_of(tag: Any) -> str:
    return "plur" if "plur" in tag else "sing"


def _noun_forms(parse: Any, case: str, number: str) -> set[str]:
    """The forms of a noun's lexeme in one case and number (Ukrainian tags leave the singular unmarked)."""
    return {form.word for form in _lexeme(parse) if form.tag.case == case and _number_of(form.tag) == number}


def _adjective_forms(parses: Iterable[Any], case: str, number: str, gender: str | None) -> set[str]:
    """Full forms of the first agreeing reading in a case, number and (singular only) gender, any animacy."""
    reading = next((p for p in parses if p.tag.POS in _AGREEING), None)
    if reading is None:
        return set()
    kind = _KIND & reading.tag.grammemes
    out = set()
    for form in _lexeme(reading):
        tag = form.tag
        if tag.POS != reading.tag.POS or tag.case != case or _number_of(tag) != number or _KIND & tag.grammemes != kind:
            continue
        if number == "sing" and gender is not None and tag.gender not in (gender, None):
            continue
        out.add(form.word)
    return out


def _lexeme(parse: Any) -> list[Any]:
    try:
        return list(parse.lexeme)
    except (ValueError, KeyError, IndexError):  # a guessed reading without a full paradigm
        return [parse]
