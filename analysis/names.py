"""Person names: Cyrillic to Latin, spelling-variant keys, and a conservative "same person?" test.

One person is spelled many ways in translated news: Zelensky / Zelenskyy / Zelenskiy / Zelenskyi, Witkoff /
Vitkoff, Sybiha / Sybiga, Yermak / Iermak, Erdoğan / Erdogan, Єрмак / Ермак. `skeleton` reduces a word to a key
on which such variants agree: diacritics folded, Cyrillic transliterated (Ukrainian and Russian tables), and the
letters that transliteration systems disagree on collapsed (w/v, y/i/j, g/h, kh/h, ck/k, th/t, doubled letters,
a leading i before a vowel). The key is deliberately coarse; `same_person` stays conservative on top of it:

* surnames must have equal keys; a near miss (rapidfuzz ratio >= 85, same first letter: Bonne / Bonn) counts only
  when both names have a given name and the given names agree;
* given names, where both names have one, must agree: equal keys, an initial, a known short form (Steve /
  Stephen), or a near-equal spelling (Sergei / Serhiy) with equal surnames. Different first names with one
  surname stay apart, and so do close surnames of different people (Kallas / Kellogg);
* `Aliases` (a user-editable file, see `parse_aliases`) can force a merge or forbid one, overriding all of this.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from rapidfuzz import fuzz

from diplobot.analysis.text import LETTER_FOLDS

PARTICLES = frozenset(
    {
        "von",
        "van",
        "der",
        "den",
        "de",
        "da",
        "di",
        "du",
        "des",
        "del",
        "della",
        "la",
        "le",
        "al",
        "el",
        "bin",
        "ibn",
        "ter",
        "dos",
        "das",
        "zu",
        "af",
        "ben",
        "ul",
        "bint",
        "wa",
    }
)
SURNAME_NEAR = 85.0
GIVEN_NEAR = 85.0

_FOLD = str.maketrans({**LETTER_FOLDS, "\u2018": "'", "\u2019": "'", "\u02bc": "'"})


def _latin_letters(spec: str) -> list[str]:
    """A transliteration table's values written on one line: space-separated, `_` for nothing."""
    return ["" if letters == "_" else letters for letters in spec.split()]


# Ukrainian: the official national system (KMU 2010, resolution No. 55), and its forms at the start of a word.
# Russian: BGN/PCGN, the one English-language news mostly follows (Ye- at the start of a word and after a vowel).
UK_LATIN = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'\u2019\u02bc",
        _latin_letters("a b v h g d e ie zh z y i i i k l m n o p r s t u f kh ts ch sh shch _ iu ia _ _ _"),
        strict=True,
    )
)
UK_LATIN_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
RU_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        _latin_letters("a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya"),
        strict=True,
    )
)
_UK = {**UK_LATIN, "є": "e"}  # є inside a word as English news writes it: Umerov
_RU_AFTER_VOWEL = {"е": "ye"}
_UK_ONLY = frozenset("іїєґ")
_RU_ONLY = frozenset("ыэъё")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_VOWELS = frozenset("аеёиоуыэюяіїєАЕЁИОУЫЭЮЯІЇЄ")

_SKELETON_RULES = (
    ("kh", "h"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("q", "k"),
    ("j", "i"),
    ("y", "i"),
    ("g", "h"),
    ("tz", "ts"),
)
_DOUBLE = re.compile(r"(.)\1+")
_LEADING_I = re.compile(r"^i(?=[aeou])")
_NICKNAMES = {
    "steve": "stephen",
    "steven": "stephen",
    "mike": "michael",
    "bob": "robert",
    "rob": "robert",
    "bill": "william",
    "will": "william",
    "jim": "james",
    "jimmy": "james",
    "tony": "anthony",
    "dick": "richard",
    "rick": "richard",
    "alex": "alexander",
    "sasha": "alexander",
    "dan": "daniel",
    "dave": "david",
    "tom": "thomas",
    "joe": "joseph",
    "ed": "edward",
    "ted": "edward",
    "chris": "christopher",
    "nick": "nicholas",
    "pete": "peter",
    "sam": "samuel",
    "ben": "benjamin",
    "matt": "matthew",
    "andy": "andrew",
    "greg": "gregory",
    "jeff": "jeffrey",
    "ken": "kenneth",
    "liz": "elizabeth",
    "kate": "katherine",
    "larry": "lawrence",
    "jerry": "gerald",
    "charlie": "charles",
    "chuck": "charles",
    "jon": "jonathan",
    "volodya": "volodymyr",
}


def fold(text: str) -> str:
    """Diacritics removed and typographic apostrophes unified (Erdoğan -> Erdogan, Günter -> Gunter)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return unicodedata.normalize("NFKC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None


def to_latin(text: str) -> list[str]:
    """Latin spellings of `text`: itself when it has no Cyrillic, else the Ukrainian and/or Russian romanization.

    A word with і, ї, є or ґ is Ukrainian, one with ы, э, ъ or ё Russian; others get both (Ермак -> Ermak, Yermak).
    """
    if not has_cyrillic(text):
        return [text]
    lower = text.lower()
    langs = ["uk", "ru"]
    if any(c in _UK_ONLY for c in lower):
        langs = ["uk"]
    elif any(c in _RU_ONLY for c in lower):
        langs = ["ru"]
    return list(dict.fromkeys(_transliterate(text, lang) for lang in langs))


def _transliterate(text: str, lang: str) -> str:
    out = []
    previous = " "
    for char in text:
        lower = char.lower()
        at_start = not previous.isalpha()
        if lang == "uk":
            latin = UK_LATIN_INITIAL.get(lower) if at_start else None
            latin = latin if latin is not None else _UK.get(lower)
        else:
            latin = _RU_AFTER_VOWEL.get(lower) if (at_start or previous in _VOWELS) else None
            latin = latin if latin is not None else RU_LATIN.get(lower)
        if latin is None:
            out.append(char)
        elif char != lower and latin:
            out.append(latin[0].upper() + latin[1:])
        else:
            out.append(latin)
        previous = char
    return "".join(out)


@lru_cache(maxsize=50_000)
def skeleton(word: str) -> str:
    """The spelling-variant key of one word (or of several, run together): 'Zelenskyy' -> 'zelenski'."""
    if has_cyrillic(word):
        word = to_latin(word)[0]
    text = "".join(c for c in fold(word).casefold() if c.isalpha())
    text = _NICKNAMES.get(text, text)
    for old, new in _SKELETON_RULES:
        text = text.replace(old, new)
    return _LEADING_I.sub("", _DOUBLE.sub(r"\1", text))


@dataclass(frozen=True)
class Name:
    """A person's name split into given names and surname (the surname keeps particles: 'von der Leyen')."""

    text: str
    given: tuple[str, ...]
    surname: str

    @property
    def is_full(self) -> bool:
        return bool(self.given)

    @cached_property
    def surname_key(self) -> str:
        return skeleton(self.surname.replace(" ", ""))

    @cached_property
    def given_key(self) -> str:
        return skeleton(self.given[0]) if self.given else ""

    @cached_property
    def key(self) -> str:
        """The whole name's key: given name and surname keys ('volodimir zelenski')."""
        return f"{self.given_key} {self.surname_key}".strip()


_POSSESSIVE = re.compile(r"['\u2019]s?$")


@lru_cache(maxsize=50_000)
def parse_name(text: str) -> Name:
    """Split a name: 'Ursula von der Leyen' -> (Ursula,) + 'von der Leyen'; 'Von der Leyen' -> () + the rest."""
    tokens = text.split()
    if tokens:
        tokens[-1] = _POSSESSIVE.sub("", tokens[-1])
    tokens = [t for t in tokens if t]
    if not tokens:
        return Name(text, (), "")
    start = len(tokens) - 1
    for i, token in enumerate(tokens[:-1]):
        if token.casefold() in PARTICLES and all(t.casefold() in PARTICLES for t in tokens[i:-1]):
            start = i
            break
    return Name(" ".join(tokens), tuple(tokens[:start]), " ".join(tokens[start:]))


def name_keys(text: str) -> set[str]:
    """Whole-name keys of every Latin reading of `text` (Cyrillic can read two ways)."""
    return {parse_name(latin).key for latin in to_latin(text)}


def surname_keys(text: str) -> set[str]:
    return {parse_name(latin).surname_key for latin in to_latin(text)}


@lru_cache(maxsize=50_000)
def _latin_name(text: str) -> Name:
    return parse_name(to_latin(text)[0])


def given_compatible(a: Name, b: Name) -> bool:
    """Given names agree (either missing counts as agreeing): same key, an initial, or any shared given name."""
    if not a.given or not b.given:
        return True
    keys_a = [skeleton(g) for g in a.given]
    keys_b = [skeleton(g) for g in b.given]
    if set(keys_a) & set(keys_b):
        return True
    first_a, first_b = keys_a[0], keys_b[0]
    if _is_initial(a.given[0]) or _is_initial(b.given[0]):
        return first_a[:1] == first_b[:1]
    return first_a[:1] == first_b[:1] and a.surname_key == b.surname_key and fuzz.ratio(first_a, first_b) >= GIVEN_NEAR


def _is_initial(token: str) -> bool:
    stripped = token.rstrip(".")
    return len(stripped) <= 2 and stripped.isupper()


def surname_compatible(a: Name, b: Name, *, near: bool = True) -> bool:
    """Equal surname keys, or (`near`) a near miss between full names with equal given names (Bonne / Bonn)."""
    if a.surname_key == b.surname_key:
        return True
    if not (near and a.given and b.given) or a.surname_key[:1] != b.surname_key[:1]:
        return False
    return fuzz.ratio(a.surname_key, b.surname_key) >= SURNAME_NEAR and _strict_given(a, b)


def _strict_given(a: Name, b: Name) -> bool:
    """Given names equal by key (no fuzziness): what a near-miss surname needs."""
    return skeleton(a.given[0]) == skeleton(b.given[0])


def same_person(a: str, b: str, aliases: Aliases | None = None) -> bool:
    """Could these two spellings name one person? Surname-only names match any given name."""
    if aliases is not None:
        decided = aliases.decide(a, b)
        if decided is not None:
            return decided
    if has_cyrillic(a) != has_cyrillic(b):
        # one name in each alphabet: the same person when one of the Cyrillic name's readings is (Гюнтер Заутер
        # reads Gunter Sauter as a German name, Джонатан Пауелл Jonatan Powell as an English one). The readings
        # beyond the first are guesses already, so a near miss of their surname does not count (Sauer stays apart)
        from diplobot.analysis.cyrillic_names import readings  # imported late: it loads the dictionaries' code

        cyrillic, latin = (a, b) if has_cyrillic(a) else (b, a)
        name_b = _latin_name(latin)
        return any(
            _same_names(parse_name(reading), name_b, aliases, cross=True, near=number == 0)
            for number, reading in enumerate(readings(cyrillic))
        )
    name_a, name_b = _latin_name(a), _latin_name(b)
    if _same_names(name_a, name_b, aliases, cross=False):
        return True
    return has_cyrillic(a) and name_a.surname_key == name_b.surname_key and _counterparts(a, b)


def _same_names(name_a: Name, name_b: Name, aliases: Aliases | None, *, cross: bool, near: bool = True) -> bool:
    """`same_person` on two Latin spellings; `cross`: one of them was read from Cyrillic."""
    if aliases is not None and aliases.same_surname(name_a, name_b):
        return given_compatible(name_a, name_b) if name_a.given and name_b.given else True
    if not surname_compatible(name_a, name_b, near=near):
        # written in two alphabets, full names whose surnames differ only in vowels (Трамп / Trump, Макрон /
        # Macron) and whose given names agree
        return (
            cross
            and bool(name_a.given and name_b.given)
            and given_compatible(name_a, name_b)
            and bool(_consonants(name_a.surname) & _consonants(name_b.surname))
        )
    if given_compatible(name_a, name_b):
        return True
    return cross and _same_consonants(name_a, name_b)


def _counterparts(a: str, b: str) -> bool:
    """Both Cyrillic: the same given name in its Ukrainian and Russian forms (Володимир Зеленський / Владимир
    Зеленский)."""
    from diplobot.analysis.cyrillic_names import same_given_name  # imported late: it loads the dictionaries' code

    return same_given_name(a.split(maxsplit=1)[0], b.split(maxsplit=1)[0])


def _same_consonants(a: Name, b: Name) -> bool:
    """Given names written in two alphabets agree when their consonants do (Стів / Steve, Кір / Keir, Джонатан /
    Jonathan, Владимир / Volodymyr): transliteration back and forth changes vowels, rarely consonants."""
    if not a.given or not b.given or a.surname_key != b.surname_key:
        return False
    return bool(_consonants(a.given[0]) & _consonants(b.given[0]))


def _consonants(word: str) -> set[str]:
    """The consonant skeletons a name may have across alphabets: voiced and voiceless s/z alike, German sch as sh
    (Scholz / Шольц), g as h (Гюнтер) or, before e/i/y, as j (Giorgia / Джорджа), w as v (Witkoff / Віткофф). A w
    written as a vowel (Powell / Пауелл, Уиткофф) is for the Cyrillic name's readings to bring back
    (analysis/cyrillic_names.readings): as a vowel here it would make Powell and Paul one consonant skeleton."""
    latin = fold(word).casefold().replace("sch", "sh").replace("dzh", "j").replace("zh", "j").replace("kh", "h")
    latin = latin.replace("th", "t").replace("ph", "f").replace("c", "k").replace("s", "z").replace("q", "k")
    latin = latin.replace("x", "ks")
    out = set()
    for g_front in ("h", "j"):
        form = re.sub(r"g(?=[eiy])", g_front, latin).replace("g", "h").replace("w", "v")
        consonants = _DOUBLE.sub(r"\1", "".join(ch for ch in form if ch.isalpha() and ch not in "aeiouy"))
        if consonants:
            out.add(consonants)
    return out


def match_keys(name: str, aliases: Aliases | None = None) -> set[str]:
    """Keys such that two names `same_person` may accept always share one: for indexing people by name.

    The surname key; the first given name's key with the surname's initial (Bonne / Bonn); and the alias groups
    the name or its surname is in. Comparing a name only with the people filed under its keys keeps extraction
    near-linear in the number of names (an item naming thousands of people), with the same answers.
    """
    parsed = _latin_name(name)
    keys = {"s:" + parsed.surname_key}
    if parsed.given and parsed.surname_key:
        keys.add(f"n:{skeleton(parsed.given[0])}:{parsed.surname_key[:1]}")
    if aliases:
        group = aliases.surname_groups.get(parsed.surname_key)
        if group is not None:
            keys.add(f"a:{group}")
        full = aliases._full_group(name)
        if full is not None:
            keys.add(f"f:{full}")
    return keys


# --- aliases ------------------------------------------------------------------------------------------------


class AliasError(ValueError):
    """The aliases file cannot be read; the message says where."""


@dataclass
class Aliases:
    """User overrides. A merge group of full names makes them one person; a group of single words (surnames)
    makes those surnames equivalent. A separate pair is never merged (full names, or surnames for single words).
    """

    full_groups: dict[str, int] = field(default_factory=dict)
    surname_groups: dict[str, int] = field(default_factory=dict)
    apart: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.full_groups or self.surname_groups or self.apart)

    def _full_group(self, name: str) -> int | None:
        for key in name_keys(name):
            if key in self.full_groups:
                return self.full_groups[key]
        return None

    def same_surname(self, a: Name, b: Name) -> bool:
        group = self.surname_groups.get(a.surname_key)
        return group is not None and group == self.surname_groups.get(b.surname_key)

    def decide(self, a: str, b: str) -> bool | None:
        """True: forced together; False: kept apart; None: no rule applies."""
        keys_a, keys_b = _entry_keys_all(a), _entry_keys_all(b)
        for left, right in self.apart:
            if (keys_a & left and keys_b & right) or (keys_a & right and keys_b & left):
                return False
        group = self._full_group(a)
        if group is not None and group == self._full_group(b):
            return True
        return None

    def canonical(self, name: str) -> str | None:
        """A stable label of the merge group a full name is in (for store lookups), else None."""
        group = self._full_group(name)
        return None if group is None else f"alias:{group}"


def _entry_keys(entry: str) -> frozenset[str]:
    """Keys an alias entry matches: 'f:' whole-name keys for names, 's:' surname keys for single words."""
    if len(entry.split()) == 1:
        return frozenset("s:" + key for key in surname_keys(entry))
    return frozenset("f:" + key for key in name_keys(entry))


def _entry_keys_all(name: str) -> frozenset[str]:
    """Every key a name can meet in an alias entry: its whole-name keys and its surname keys."""
    return frozenset({"f:" + k for k in name_keys(name)} | {"s:" + k for k in surname_keys(name)})


def parse_aliases(text: str, where: str = "aliases") -> Aliases:
    """Read the aliases file (TOML):

        merge = [["Emmanuel Bonne", "Emmanuel Bonn"], ["Sybiha", "Sybiga"]]
        separate = [["Kaja Kallas", "Keith Kellogg"]]

    :raises AliasError: when it is not TOML or the lists are not lists of names.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AliasError(f"{where}: not valid TOML: {exc}") from None
    unknown = set(data) - {"merge", "separate"}
    if unknown:
        raise AliasError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; use merge and separate")
    aliases = Aliases()
    for number, group in enumerate(_groups(data.get("merge", []), "merge", where)):
        for entry in group:
            if len(entry.split()) == 1:
                aliases.surname_groups.update(dict.fromkeys(surname_keys(entry), number))
            else:
                aliases.full_groups.update(dict.fromkeys(name_keys(entry), number))
    for group in _groups(data.get("separate", []), "separate", where):
        keys = [_entry_keys(entry) for entry in group]
        for i, first in enumerate(keys):
            for j in range(i + 1, len(keys)):
                if first & keys[j]:
                    raise AliasError(
                        f"{where}: {group[i]!r} and {group[j]!r} are spellings of the same name; "
                        "separate can only keep apart names that differ (see analysis/names.py)"
                    )
        aliases.apart.extend((keys[i], keys[j]) for i in range(len(keys)) for j in range(i + 1, len(keys)))
    return aliases


def _groups(value: object, key: str, where: str) -> Iterable[list[str]]:
    if not isinstance(value, list) or not all(
        isinstance(g, list) and len(g) >= 2 and all(isinstance(n, str) and n.strip() for n in g) for g in value
    ):
        raise AliasError(f'{where}: {key} must be a list of lists of two or more names, e.g. [["A B", "A C"]]')
    return value
