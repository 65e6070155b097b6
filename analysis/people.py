"""People named in an article, with the role and the state or organisation the text gives them.

Rules and gazetteers (analysis/data/), no model, nothing downloaded. The gazetteers are generated from maintained,
openly licensed packages by analysis/data/generate.py (given names of many countries, every country with its
demonyms and capitals, cities, company legal forms) plus small hand-kept files; each file's header says its
source and licence. How a text is read:

1. Only the first MAX_TEXT_CHARS of the text and MAX_TITLE_CHARS of the title are read, so an item naming
   thousands of people costs no more than a long article. Sentences are split into tokens. A maximal run of
   capitalised words (with name particles such as von der, de, bin, el-, and an ordinal: Henry VIII) is a name
   candidate once the role words it starts with are peeled off ("British Prime Minister Keir Starmer" -> Keir
   Starmer; "On Saturday Trump" -> Trump). A word inside the run that cannot be part of a name (a title, a
   country, a body) ends what is peeled ("Hong Kong Financial Secretary Donald Tsang" -> Donald Tsang), and so
   does a common word glued before a given name ("Defender Hassan Abbas", "Polish-born Pope John Paul").
2. Places, outlets, bodies, companies, teams and things are dropped (data/nonpersons.json: Lancaster House, Le
   Monde, Putin-era; a run starting on a city or ending on a company or team word: Chicago Tribune, Salomon
   Brothers, Munich Re, Norwest Corp, Bayer Leverkusen; a name before "airport" or "daily"), and so is the same
   name elsewhere in the article ("Norwest said"). Two or more words are a person when the first is a known
   given name or an initial, or the text gives them a role, or a person verb follows ("said"), or the surname
   recurs alone, or the surname has a common surname ending (-ov, -enko, -escu...), or they stand alone on a
   line near the top or after "--" (a byline). One word is a person only as the surname or variant of a full
   name in the same article ("Vitkoff" -> Steve Witkoff; "Wang" -> Wang Donghai, family name first), after a
   title ("President Zelensky"), or as the possessor of a role ("Zelensky's chief of staff"). A lone word
   followed by a person verb is returned as `weak`: the store keeps it only for a person it already knows; a
   place or country ("Jordan said") is never more than that. People named only by a title ("the Belgian prime
   minister") are not invented. In a headline in capitals, only names the body also gives count.
3. Roles: the title words just before the name, read backwards over role vocabulary ("the head of the
   Presidential Office Andriy Yermak", "the UK prime minister's National Security Advisor Jonathan Powell"); an
   apposition after it ("Steve Witkoff, the US special envoy,"); "who became German chancellor". Coordinated names
   share a plural role ("diplomatic advisors to French president Emmanuel Bonn and Italian PM Fabrizio Saggio":
   each is an advisor, to their own leader; "the advisers of Britain, France and Germany, A, B and C":
   respectively). "his German counterpart X" takes the office of the person named before, with X's own state.
   "Finland's president, Alexander Stubb" goes to the name after the comma when the name before it already has
   a title.
4. The state is the country, demonym, capital or institution the role names (Kremlin -> Russia, NSDC ->
   Ukraine), or a parenthesis after the name ("Jonathan Powell (Britain)").

Candidates are compared only with the people filed under the same name keys (`names.match_keys`), so the work
grows with the number of names, not its square. `extract_people` returns every mention in text order; `name` is
the person's full name as the article gives it (later surnames and variants resolve to it), `surface` the words
at that place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from diplobot.analysis.names import PARTICLES, Aliases, fold, match_keys, parse_name, same_person, skeleton
from diplobot.texts import clip

DATA = Path(__file__).parent / "data"
CONNECTORS = frozenset({"of", "to", "for"})
_LEFT_TRIM = frozenset({"of", "to", "for", "and"})
_PRONOUNS = frozenset({"his", "her", "their", "its"})
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "gen",
        "lt",
        "col",
        "sgt",
        "jr",
        "sr",
        "no",
        "vs",
        "prof",
        "rep",
        "sen",
        "gov",
        "adm",
        "capt",
        "maj",
        "mt",
        "ft",
        "ave",
        "approx",
        "inc",
        "ltd",
    }
)
_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*(?:(?<=s)['\u2019](?!\w))?|\d[\d.,]*|\S")
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_ENDS = frozenset(".!?…")
_INITIALS = re.compile(r"(?:[A-Z]\.){1,2}")
_ROLE_PREFIXES = frozenset(
    {"ex", "co", "vice", "deputy", "acting", "lieutenant", "major", "brigadier", "rear", "under", "sub", "former"}
)
# Arabic article or name prefix joined by a hyphen to a capitalised name: Osama el-Baz, Zine al-Abidine Ben Ali
_PREFIXED_NAME = re.compile(r"(?:al|el|ad|ar|as|ash|at|az|ud|ul|bin|ibn|abu|abd|bint)-[A-Z]\w")
# Surname endings of many languages (Mamatuyeva, Kaczmarek is not one): a capitalised pair ending so is a name
_SURNAME_ENDING = re.compile(
    r"\w{3,}(?:ov|ova|ev|eva|yev|yeva|sky|ski|ska|skaya|skiy|skyi|enko|chuk|yuk|escu|"
    r"ovic|evic|vich|vili|dze|oglu|opoulos|akis|sson)$"
)
_HYPHENS = re.compile(r"[-\u2010\u2011]")
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")
_ROMAN = frozenset({"II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI"})
# Lower-case words after a hyphen that make a capitalised word an adjective, not a name: Putin-era, Kremlin-backed
_HYPHEN_ADJECTIVE = frozenset(
    {
        "era",
        "led",
        "backed",
        "born",
        "based",
        "style",
        "made",
        "owned",
        "run",
        "held",
        "linked",
        "type",
        "like",
        "free",
        "wide",
        "allied",
        "friendly",
        "controlled",
        "funded",
        "sponsored",
        "dominated",
        "leaning",
        "aligned",
        "brokered",
        "appointed",
        "speaking",
        "inspired",
        "bound",
        "related",
        "oriented",
        "level",
        "class",
        "listed",
        "registered",
        "area",
        "zone",
        "wing",
        "supported",
        "trained",
        "educated",
        "minded",
    }
)
_WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
MAX_TEXT_CHARS = 50_000  # text handed to extraction: a feed item naming thousands of people stays cheap
MAX_TITLE_CHARS = 300


@dataclass(frozen=True)
class Mention:
    """One place where a person is named."""

    name: str
    surface: str
    role: str | None
    role_text: str | None
    state: str | None
    sentence: str
    start: int
    end: int
    weak: bool = False


# --- gazetteers -----------------------------------------------------------------------------------------------


@dataclass
class Lexicon:
    """The vocabularies in analysis/data, folded and lower-cased for lookups."""

    heads: set[str]
    singular: dict[str, str]
    modifiers: set[str]
    relative: set[str]
    honorifics: set[str]
    copulas: set[str]
    determiners: set[str]
    institutions: dict[str, str | None]
    institution_words: set[str]
    display: list[tuple[re.Pattern[str], str]]
    synonyms: list[tuple[re.Pattern[str], str]]
    person_verbs: set[str]
    nonperson_words: set[str]
    surname_words: set[str]
    leading: set[str]
    nonperson_names: set[str]
    outlet_nouns: set[str]
    given: set[str]
    countries: dict[str, str]
    abbreviations: dict[str, str]
    places: set[str] = field(default_factory=set)
    country_names: set[str] = field(default_factory=set)
    org_suffixes: set[str] = field(default_factory=set)
    org_prefixes: set[str] = field(default_factory=set)
    after_nouns: set[str] = field(default_factory=set)
    multiword_countries: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    multiword_starts: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    def country(self, tok: Tok) -> str | None:
        """The state a single token names: country, abbreviation (exact case), demonym or capital."""
        found = self.abbreviations.get(tok.base.replace(".", ""))
        if found is None and not tok.base.isupper():
            found = self.countries.get(tok.low)
        return found

    def role_word(self, tok: Tok) -> bool:
        low = tok.low
        return (
            self.is_head(tok)
            or low in self.modifiers
            or low in self.institution_words
            or (tok.cap and low in self.nonperson_words)
            or self.country(tok) is not None
        )

    def is_head(self, tok: Tok) -> bool:
        low = tok.low
        if low in self.heads:
            return True
        if "-" not in low:
            return False
        # Compounds of role words: ex-president, co-premiers, Lieutenant-General, Vice-Admiral
        parts = low.split("-")
        return parts[-1] in self.heads and all(
            p in self.heads or p in self.modifiers or p in _ROLE_PREFIXES for p in parts[:-1]
        )

    def org_suffix(self, tok: Tok) -> bool:
        """A word that ends a company or team name: Brothers, Re, AG, FC, Corp (dots ignored)."""
        return tok.low.replace(".", "") in self.org_suffixes


def _plurals(word: str) -> list[str]:
    if word.endswith("man"):
        return [word[:-3] + "men"]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return [word[:-1] + "ies"]
    if word.endswith(("s", "sh", "ch")):
        return [word + "es"]
    return [word + "s"]


def _countries() -> tuple[dict[str, str], dict[str, str], set[str]]:
    """Names, demonyms and capitals (folded) -> state; exact-case abbreviations -> state; the country names alone."""
    names: dict[str, str] = {}
    abbreviations: dict[str, str] = {}
    country_names: set[str] = set()
    for line in (DATA / "countries.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("|")] + ["", "", ""]
        canonical = fields[0]
        country_names.update(
            fold(v.strip()).casefold()
            for v in [canonical, *fields[1].split(",")]
            if v.strip() and not v.replace(".", "").strip().isupper()
        )
        for value in [canonical, *(v.strip() for f in fields[1:4] for v in f.split(","))]:
            if not value:
                continue
            plain = value.replace(".", "")
            if plain.isupper() and len(plain) <= 5:
                abbreviations[plain] = canonical
            else:
                names[fold(value).casefold()] = canonical
    return names, abbreviations, country_names


def _words_of(name: str) -> list[str]:
    """The words of a gazetteer file in analysis/data, comment lines left out."""
    return [
        word
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
        for word in line.split()
    ]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Load the gazetteers once per process."""
    roles = json.loads((DATA / "roles.json").read_text(encoding="utf-8"))
    nonpersons = json.loads((DATA / "nonpersons.json").read_text(encoding="utf-8"))
    heads: set[str] = set()
    singular: dict[str, str] = {}
    for head in roles["heads"]:
        heads.add(head)
        for plural in _plurals(head):
            heads.add(plural)
            singular[plural] = head
    relative = set(roles["relative"])
    for word in list(relative):
        for plural in _plurals(word):
            relative.add(plural)
            singular[plural] = word
    institutions = {fold(k).casefold(): v for k, v in roles["institutions"].items()}
    # Uncached: tens of thousands of names would crowd the LRU cache of the words actually read
    given = {skeleton.__wrapped__(word) for word in _words_of("given_names.txt") + _words_of("given_names_extra.txt")}
    names, abbreviations, country_names = _countries()
    org_lines = (DATA / "org_words.txt").read_text(encoding="utf-8").splitlines()
    org_suffixes = {w.casefold() for line in org_lines if not line.startswith(("#", "prefix:")) for w in line.split()}
    org_suffixes |= set(_words_of("legal_forms.txt"))
    org_prefixes = {w.casefold() for line in org_lines if line.startswith("prefix:") for w in line.split()[1:]}
    places = {
        fold(line).casefold()
        for line in (DATA / "places.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    lex = Lexicon(
        heads=heads,
        singular=singular,
        modifiers=set(roles["modifiers"]),
        relative=relative,
        honorifics=set(roles["honorifics"]),
        copulas=set(roles["copulas"]),
        determiners=set(roles["determiners"]),
        institutions=institutions,
        institution_words={w for k in institutions for w in k.split() if w not in ("of", "the", "and")},
        display=[
            (re.compile(rf"\b{re.escape(d)}\b", re.I), d) for d in sorted(roles["display"], key=len, reverse=True)
        ],
        synonyms=[(re.compile(rf"\b{re.escape(k)}\b"), v) for k, v in roles["role_synonyms"].items()],
        person_verbs=set(roles["person_verbs"]),
        nonperson_words=set(nonpersons["words"]),
        surname_words=set(nonpersons["surname_words"]),
        leading=set(nonpersons["leading"]),
        nonperson_names={fold(n).casefold() for n in nonpersons["names"]},
        outlet_nouns=set(nonpersons["outlet_nouns"]),
        given=given,
        countries=names,
        abbreviations=abbreviations,
        places=places,
        after_nouns=set(nonpersons["after_nouns"]),
        org_suffixes=org_suffixes,
        org_prefixes=org_prefixes,
        country_names=country_names,
    )
    lex.heads |= lex.relative
    lex.multiword_countries = sorted(
        ((tuple(k.split()), v) for k, v in names.items() if " " in k), key=lambda kv: -len(kv[0])
    )
    for words, state in lex.multiword_countries:
        lex.multiword_starts.setdefault(words[0], []).append((words, state))
    return lex


# --- tokens and sentences -------------------------------------------------------------------------------------


class Tok:
    """A token with its offsets; `base` drops a possessive 's, `low` is folded lower case."""

    __slots__ = ("base", "cap", "end", "low", "poss", "start", "text", "word")

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.start = start
        self.end = start + len(text)
        facts = _FACTS.get(text)
        if facts is None:
            if len(_FACTS) > 100_000:
                _FACTS.clear()
            facts = _FACTS[text] = _token_facts(text)
        self.word, self.poss, self.base, self.cap, self.low = facts


_FACTS: dict[str, tuple[bool, bool, str, bool, str]] = {}


def _token_facts(text: str) -> tuple[bool, bool, str, bool, str]:
    """(word, possessive, base, capitalised, folded lower case) of a token's text; news vocabulary repeats."""
    word = text[:1].isalpha()
    poss = word and _POSSESSIVE.search(text) is not None and not text.isupper()
    base = _POSSESSIVE.sub("", text) if poss else text
    return word, poss, base, base[:1].isupper(), fold(base).casefold()


@dataclass
class Sentence:
    """One sentence: its text, where it starts in the article, and its tokens (offsets into `line`)."""

    text: str
    offset: int
    toks: list[Tok]
    line: str = ""
    origin: int = 0  # where `line` starts in the article: token offsets plus this are article offsets


def sentences(text: str, offset: int = 0) -> Iterator[Sentence]:
    """Sentences of one paragraph; offsets are into the text the paragraph came from (plus `offset`)."""
    toks = [Tok(m.group(), m.start()) for m in _TOKEN.finditer(text)]
    begin = 0
    for i, tok in enumerate(toks):
        if tok.text in _ENDS and _sentence_ends(toks, i):
            yield _sentence(text, toks[begin : i + 1], offset)
            begin = i + 1
    if begin < len(toks):
        yield _sentence(text, toks[begin:], offset)


def _sentence_ends(toks: list[Tok], i: int) -> bool:
    if i + 1 >= len(toks):
        return True
    previous, following = toks[i - 1] if i else None, toks[i + 1]
    if previous is not None and tok_is_abbreviation(previous, toks[i]):
        return False
    return following.text[:1].isupper() or following.text in "\"“«'‘(" or following.text[:1].isdigit()


def tok_is_abbreviation(previous: Tok, period: Tok) -> bool:
    return (
        period.text == "."
        and previous.end == period.start
        and (previous.low in _ABBREVIATIONS or (len(previous.base) == 1 and previous.cap))
    )


def _sentence(text: str, toks: list[Tok], offset: int) -> Sentence:
    start, end = toks[0].start, toks[-1].end
    return Sentence(text[start:end], offset + start, toks, text, offset)


# --- roles ----------------------------------------------------------------------------------------------------


@dataclass
class Role:
    """A role as found: the words of the text, the state they name, and whether it is relative ("counterpart")."""

    text: str
    state: str | None = None
    relative: bool = False
    initial: bool = False  # starts the sentence, so its first capital may only be the sentence's


@dataclass
class ListRole:
    """A plural role shared by coordinated names: 'diplomatic advisor' (+ 'to' their own leader) or respectively."""

    head: str
    connector: str | None
    states: list[str]


@dataclass
class Candidate:
    sentence: Sentence
    index: int  # sentence number in the article, for ordering
    first: int
    last: int
    surface: str
    full: bool
    given_known: bool = False
    titled: bool = False
    verb_after: bool = False
    poss_role: bool = False
    pre: Role | None = None
    pre_first: int = -1
    pre_connector_split: bool = False
    post: Role | None = None
    post_then_name: bool = False
    paren_state: str | None = None
    after: int = 0  # first token after the name and its parenthesis
    list_role: ListRole | None = None
    after_the: bool = False  # "The Hague": a lone word after 'the' is not a surname
    byline: bool = False  # alone on its line, or '-- Name, Newsroom': the writer
    place: bool = False  # a lone word that is a place or country: a person only as a surname named before
    caps: bool = False  # in an all-caps headline: only a person the body names

    @property
    def role(self) -> Role | None:
        return self.pre or self.post


@dataclass
class _Article:
    """What the whole article tells the reading of each sentence."""

    lower_words: set[str] = field(default_factory=set)  # words the text writes in lower case: common words
    caps_vocab: set[str] = field(default_factory=set)  # words the body capitalises: names in an all-caps headline
    orgs: set[str] = field(default_factory=set)  # names seen as companies or teams ("Banc One" of "Banc One Corp")


class _Reader:
    """Reads one sentence: candidates, then their roles."""

    def __init__(
        self,
        lex: Lexicon,
        sentence: Sentence,
        index: int,
        *,
        words_only: bool = False,
        caps: bool = False,
        byline: bool = False,
        article: _Article | None = None,
    ) -> None:
        self.words_only = words_only
        self.caps = caps
        self.byline = byline
        self.article = article or _Article()
        self.lex = lex
        self.s = sentence
        self.toks = sentence.toks
        self.index = index
        self.cands: list[Candidate] = []
        self.by_first: dict[int, Candidate] = {}
        self.by_last: dict[int, Candidate] = {}
        self.places: list[Candidate] = []

    def read(self) -> list[Candidate]:
        self._find_names()
        for cand in self.cands:
            self._pre_role(cand)
            self._post_role(cand)
        self._comma_titles()
        self._coordination()
        if self.places:  # read apart, so that "Powell (Britain) and Sautter" stays one list of names
            return sorted(self.cands + self.places, key=lambda c: c.first)
        return self.cands

    # names

    def _name_token(self, tok: Tok) -> bool:
        if not tok.word:
            return False
        if not tok.cap:
            return _PREFIXED_NAME.match(tok.base) is not None  # el-Baz, al-Abidine
        if self.caps and tok.base.isupper():
            return tok.low in self.article.caps_vocab
        if _ACRONYM_PLURAL.fullmatch(tok.base):
            return False  # GDRs, MPs
        return (
            not tok.base.isupper()
            or len(tok.base) == 1
            or tok.base == "JD"
            or (_INITIALS.fullmatch(tok.base) is not None and self.lex.country(tok) is None)
        )

    def _initial_at(self, k: int) -> bool:
        """'John F. Kennedy': a capital letter and its period inside a name."""
        toks = self.toks
        return (
            k + 2 < len(toks)
            and len(toks[k].base) == 1
            and toks[k].cap
            and toks[k + 1].text == "."
            and toks[k + 1].start == toks[k].end
            and self._name_token(toks[k + 2])
        )

    def _find_names(self) -> None:
        toks, i = self.toks, 0
        while i < len(toks):
            if not self._name_token(toks[i]):
                i += 1
                continue
            run = [i]
            j = i
            while not toks[j].poss and not self.words_only:
                if self._initial_at(j):
                    run.append(j + 2)
                    j += 2
                    continue
                k = j + 1
                while k < len(toks) and toks[k].low in PARTICLES and not toks[k].poss:
                    k += 1
                if k < len(toks) and self._name_token(toks[k]) and (k == j + 1 or self._name_token(toks[j])):
                    run.extend(range(j + 1, k + 1))
                    j = k
                elif k == j + 1 < len(toks) and toks[k].text in _ROMAN and not toks[k].poss:
                    run.append(k)  # Henry VIII
                    j = k
                    break
                else:
                    break
            self._add_run(run)
            i = j + 1

    def _peel(self, run: list[int]) -> int:
        """How many leading tokens of a capitalised run are role words or sentence openers, not the name."""
        lex, k = self.lex, 0
        while k < len(run):
            tok = self.toks[run[k]]
            if tok.low in lex.leading or tok.low in lex.honorifics or (lex.role_word(tok) and not tok.poss):
                k += 1
            else:
                break
        if (
            0 < k == len(run) - 1
            and skeleton(self.toks[run[k - 1]].base) in lex.given
            and lex.country(self.toks[run[k - 1]])
            and not lex.is_head(self.toks[run[k - 1]])
        ):
            k -= 1  # "Energy Minister German Galushchenko": a demonym that is also a given name
        # A word that cannot be part of a name inside the run: the name is what follows it ("Hong Kong Financial
        # Secretary Donald Tsang", "Chicago Cardinal Joseph Bernardin", "Federal Air Traffic Control
        # Administration Director Branko Bilbija")
        for m in range(len(run) - 2, k - 1, -1):
            if self._not_name_word(self.toks[run[m]]):
                k = m + 1
                break
        if len(run) - k >= 3 and self._common_word_before_given(run[k], run[k + 1]):
            k += 1  # "Defender Hassan Abbas", "Polish-born Pope John Paul": a common word glued to the name
        return k

    def _not_name_word(self, tok: Tok) -> bool:
        lex = self.lex
        if tok.poss:
            return False
        if lex.is_head(tok) or tok.low in lex.honorifics or tok.low in lex.institution_words:
            return True
        if tok.low in lex.nonperson_words and tok.low not in lex.surname_words:
            return True
        return lex.country(tok) is not None and skeleton(tok.base) not in lex.given

    def _common_word_before_given(self, first: int, second: int) -> bool:
        """A capitalised common word (written in lower case elsewhere, or not a name at all) before a given name."""
        toks, lex = self.toks, self.lex
        word = toks[first]
        if skeleton(word.base) in lex.given or skeleton(toks[second].base) not in lex.given:
            return False
        return word.low in self.article.lower_words or _hyphen_adjective(word)

    def _add_run(self, run: list[int]) -> None:
        toks, lex = self.toks, self.lex
        k = self._peel(run)
        name = run[k:]
        while name and toks[name[0]].low in PARTICLES and len(name) > 1 and not toks[name[0]].cap:
            name = name[1:]
        while len(name) > 1 and toks[name[-1]].low in _WEEKDAYS:
            name = name[:-1]  # "Jose Miguel Insulza Monday"
        if not name:
            if len(run) == 1 and toks[run[0]].low in lex.country_names and not toks[run[0]].poss:
                self._add_place(run[0])  # "Holland": maybe the surname of a person named before
            return
        if self._organisation(name):
            return
        if not self._plausible(name, run[:k]):
            return
        self._add(run, k, name, place=len(name) == 1 and toks[name[0]].low in lex.places)

    def _add(self, run: list[int], k: int, name: list[int], *, place: bool = False) -> None:
        toks, lex = self.toks, self.lex
        surface = self.s.line[toks[name[0]].start : toks[name[-1]].end]
        surface = _POSSESSIVE.sub("", surface) if toks[name[-1]].poss else surface
        full = len(name) > 1 and toks[name[0]].low not in PARTICLES
        peeled = [toks[i] for i in run[:k]]
        initial = len(toks[name[0]].base) == 1 and name[0] + 1 < len(toks) and toks[name[0] + 1].text == "."
        # A sentence's first word is capitalised anyway: one the text also writes in lower case ("Key Points") is
        # no given name there
        common = name[0] == 0 and toks[0].low in self.article.lower_words
        cand = Candidate(
            self.s,
            self.index,
            name[0],
            name[-1],
            surface,
            full,
            caps=self.caps,
            after_the=name[0] > 0 and toks[name[0] - 1].low == "the",
            given_known=full and (initial or (skeleton(toks[name[0]].base) in lex.given and not common)),
            titled=any(lex.is_head(t) or t.low in lex.honorifics for t in peeled),
            byline=full
            and self.byline
            and len(name) <= 4
            and self._alone(run)
            and not any(toks[i].low in self.article.lower_words for i in name),
            place=place,
        )
        self.cands.append(cand)
        self.by_first[cand.first] = cand
        self.by_last[cand.last] = cand

    def _add_place(self, i: int) -> None:
        toks = self.toks
        tok = toks[i]
        self.places.append(
            Candidate(
                self.s,
                self.index,
                i,
                i,
                tok.text,
                False,
                place=True,
                after_the=i > 0 and toks[i - 1].low == "the",
                verb_after=i + 1 < len(toks) and toks[i + 1].low in self.lex.person_verbs,
            )
        )

    def _alone(self, run: list[int]) -> bool:
        """The run is the whole line, or the line is '-- Name, ...' or 'By Name': a byline."""
        toks = self.toks
        before = [t.low for t in toks[: run[0]]]
        after = toks[run[-1] + 1 :]
        return before in ([], ["by"], ["-", "-"], ["--"]) and (not after or after[0].text in ",(")

    def _organisation(self, name: list[int]) -> bool:
        """A company or team: 'Salomon Brothers', 'Munich Re', 'Norwest Corp', 'Bayer Leverkusen'; its name
        without the suffix is remembered, so that 'Banc One said' after 'Banc One Corp' is no person either."""
        toks, lex = self.toks, self.lex
        last = toks[name[-1]]
        after = name[-1] + 1
        amp_suffix = after + 1 < len(toks) and toks[after].text == "&" and lex.org_suffix(toks[after + 1])
        if len(name) >= 2 and ((lex.org_suffix(last) and not last.poss) or toks[name[0]].low in lex.org_prefixes):
            body = name[:-1] if lex.org_suffix(last) else name
            self.article.orgs.add(" ".join(toks[i].low for i in body))
            return True
        if amp_suffix:
            self.article.orgs.add(" ".join(toks[i].low for i in name))
            return True
        return False

    def _plausible(self, name: list[int], peeled: list[int]) -> bool:
        lex, toks = self.lex, self.toks
        words = [toks[i] for i in name]
        folded = " ".join(t.low for t in words)
        if folded in lex.nonperson_names or folded in lex.countries or folded in lex.institutions:
            return False
        if all(t.low in PARTICLES for t in words):
            return False  # El Al
        first_given = skeleton(words[0].base) in lex.given
        given = len(words) == 2 and first_given
        for tok in words:
            if _hyphen_adjective(tok):
                return False  # Putin-era, Mar-a-Lago (but Kim In-so, Kang Young-hoon)
            if tok.low in lex.nonperson_words and not (given and tok is words[1] and tok.low in lex.surname_words):
                return False  # Lancaster House, but Samantha Power
            if (
                tok.base.isupper()
                and len(tok.base) > 1
                and tok is not words[0]
                and tok.base not in _ROMAN
                and not self.caps
            ):
                return False
            if (
                lex.country(tok)
                and skeleton(tok.base) not in lex.given
                and not (given and tok is words[1] and tok.low in lex.country_names and not lex.country(words[0]))
            ):
                return False  # Senegal's, Iraqis; but Trevor Holland
        if (
            len(words) >= 2
            and not first_given
            and (
                words[0].low in lex.places
                or " ".join(t.low for t in words[:2]) in lex.nonperson_names
                or " ".join(t.low for t in words[:2]) in lex.places
            )
        ):
            return False  # Chicago Tribune, Hong Kong Standard (a city's last word is no sign: Wang Donghai)
        after = name[-1] + 1
        if after < len(toks) and toks[after].word and not toks[after].cap and toks[after].low in lex.after_nouns:
            self.article.orgs.add(folded)
            return False  # Charles de Gaulle airport, Zycie Warszawy daily: and so wherever the article names it
        if len(words) == 1 and (
            (words[0].base.isupper() and not self.caps)
            or words[0].low in lex.leading
            or lex.is_head(words[0])
            or words[0].low in lex.modifiers
        ):
            return False
        start = peeled[0] if peeled else name[0]
        before = toks[start - 1].low if start > 0 else ""
        if before in lex.outlet_nouns or (before.endswith("s") and before[:-1] in lex.outlet_nouns):
            self.article.orgs.add(folded)
            return False  # the newspaper Le Monde, the aircraft carriers Vinson and Enterprise
        return True

    # roles before the name

    def _scan_back(self, i: int) -> list[int]:
        """Indices of the role words that end just before token i (maybe none), left-trimmed of connectors."""
        lex, toks, out = self.lex, self.toks, []
        j = i - 1
        while j >= 0:
            tok = toks[j]
            if tok.word and (
                lex.role_word(tok)
                or tok.low in CONNECTORS
                or tok.low == "and"
                or tok.low in lex.determiners
                or (tok.poss and tok.cap)
            ):
                if (
                    tok.low == "and"
                    and j > 0
                    and toks[j - 1].word
                    and not lex.role_word(toks[j - 1])
                    and toks[j - 1].low not in lex.determiners
                ):
                    break  # "Powell and his German counterpart": the 'and' joins two people
                out.append(j)
                if tok.poss and tok.cap and not lex.role_word(tok):
                    j -= 1
                    break  # a possessor ("Zelenskyy's chief of staff") ends the phrase
                j -= 1
                continue
            if tok.text == ")" and out and j >= 2 and toks[j - 2].text == "(" and toks[j - 1].word:
                out.extend((j, j - 1, j - 2))  # "the Security Service of Ukraine (SBU) chief"
                j -= 3
                continue
            if (
                tok.text == ","
                and out
                and j > 0
                and lex.country(toks[j - 1])
                and all(lex.country(toks[k]) or toks[k].low == "and" for k in out)
            ):
                out.append(j)  # inside a list of states: "of Britain, France and Germany"
                j -= 1
                continue
            break
        out.reverse()
        while out and toks[out[0]].low in _LEFT_TRIM:
            out.pop(0)
        if (
            not out
            or toks[out[-1]].low in CONNECTORS
            or toks[out[-1]].low in lex.determiners
            or toks[out[-1]].low == "and"
            or not any(lex.is_head(toks[k]) for k in out)
        ):
            return []
        return out

    def _pre_role(self, cand: Candidate) -> None:
        phrase = self._scan_back(cand.first)
        if not phrase:
            return
        cand.pre_first = phrase[0]
        cand.titled = True
        toks = self.toks
        connector = next((k for k in phrase if toks[k].low in ("to", "of")), None)
        previous = self._cand_ending_at(phrase[0] - 2) if phrase[0] >= 2 and toks[phrase[0] - 1].text == "," else None
        if connector is not None and previous is not None:
            # "Bonne, diplomatic adviser to President Emmanuel Macron": only the last title is Macron's
            tail = [k for k in phrase if k > connector and toks[k].low not in self.lex.determiners]
            if tail and any(self.lex.is_head(toks[k]) for k in tail):
                cand.pre_connector_split = True
                cand.pre = self._role(tail)
                return
        self._set_pre(cand, phrase)

    def _set_pre(self, cand: Candidate, phrase: list[int]) -> None:
        toks, lex = self.toks, self.lex
        body = [k for k in phrase if toks[k].low not in lex.determiners or k != phrase[0]]
        heads = [k for k in body if lex.is_head(toks[k])]
        first_head = heads[0]
        if toks[first_head].low in lex.singular and not toks[first_head].poss:
            self._plural(cand, phrase, first_head)
            return
        cand.pre = self._role(phrase)

    def _plural(self, cand: Candidate, phrase: list[int], head: int) -> None:
        """A plural head: the names that follow share it ('national security advisers A (Britain) and B')."""
        toks, lex = self.toks, self.lex
        start = next(k for k in phrase if toks[k].low not in lex.determiners)
        head_text = self._text(start, head - 1) + (" " if head > start else "") + lex.singular[toks[head].low]
        rest = [k for k in phrase if k > head]
        connector = toks[rest[0]].low if rest and toks[rest[0]].low in CONNECTORS else None
        complement = [k for k in rest[1:] if toks[k].low not in lex.determiners] if connector else []
        states = [s for k in complement if (s := lex.country(toks[k]))]
        if (
            connector == "of"
            and complement
            and all(lex.country(toks[k]) or toks[k].text == "," or toks[k].low == "and" for k in complement)
        ):
            cand.list_role = ListRole(head_text, None, states)
            cand.pre = Role(head_text, states[0] if states else None)
            return
        state = self._state(phrase)
        if connector and complement:
            text = f"{head_text} {connector} {self._text(complement[0], complement[-1])}"
            cand.list_role = ListRole(head_text, connector, [])
            cand.pre = Role(text, state)
            return
        cand.list_role = ListRole(head_text, None, [])
        cand.pre = Role(head_text, state)

    def _role(self, phrase: list[int]) -> Role:
        toks, lex = self.toks, self.lex
        relative = any(toks[k].low in lex.relative for k in phrase)
        body = phrase
        while (
            len(body) > 1 and toks[body[0]].low in lex.determiners and not (relative and toks[body[0]].low in _PRONOUNS)
        ):
            body = body[1:]
        return Role(self._text(body[0], body[-1]), self._state(body), relative=relative, initial=body[0] == 0)

    def _state(self, phrase: list[int]) -> str | None:
        """The state a role names: before its head, else in an of/to complement, else an institution's state."""
        toks, lex = self.toks, self.lex
        head = next((k for k in phrase if lex.is_head(toks[k])), phrase[-1])
        complement: list[int] = []
        for k in phrase:
            if k > head and toks[k].low in ("of", "to"):
                complement = [m for m in phrase if m > k]
                break
        for part in ([k for k in phrase if k <= head], complement):
            for state in (lex.country(toks[k]) for k in part):
                if state:
                    return state
            found = _multiword_country(lex, [toks[k].low for k in part])
            if found:
                return found
        text = " " + " ".join(toks[k].low for k in phrase) + " "
        return next((state for name, state in lex.institutions.items() if state and f" {name} " in text), None)

    def _text(self, first: int, last: int) -> str:
        return self.s.line[self.toks[first].start : self.toks[last].end]

    def _cand_ending_at(self, index: int) -> Candidate | None:
        return self.by_last.get(index)

    # roles after the name

    def _post_role(self, cand: Candidate) -> None:
        toks, lex, n = self.toks, self.lex, len(self.toks)
        k = cand.last + 1
        cand.verb_after = k < n and toks[k].low in lex.person_verbs
        if (
            toks[cand.last].poss
            and k < n
            and (lex.is_head(toks[k]) or (toks[k].low in lex.modifiers and k + 1 < n and lex.is_head(toks[k + 1])))
        ):
            cand.poss_role = True
        if k < n and toks[k].text == "(":
            close = next((m for m in range(k + 1, min(n, k + 6)) if toks[m].text == ")"), None)
            if close is not None:
                inside = [toks[m] for m in range(k + 1, close)]
                cand.paren_state = (
                    lex.country(inside[0]) if len(inside) == 1 else _multiword_country(lex, [t.low for t in inside])
                )
                k = close + 1
        cand.after = k
        if k + 1 >= n or toks[k].text != ",":
            return
        k += 1
        if toks[k].low == "who":
            m = k + 1
            while m < n and toks[m].low in lex.copulas:
                m += 1
            if m == k + 1:
                return
            k = m
            cand.verb_after = True
        end = self._apposition_end(k)
        if end is None:
            return
        phrase = list(range(k, end))
        while phrase and (
            toks[phrase[-1]].low in CONNECTORS
            or toks[phrase[-1]].low in lex.determiners
            or toks[phrase[-1]].low == "and"
        ):
            phrase.pop()
        if not phrase or not any(lex.is_head(toks[m]) for m in phrase):
            return
        cand.post = self._role(phrase)
        cand.titled = True
        cand.post_then_name = end + 1 < n and toks[end].text == "," and (end + 1) in self.by_first

    def _apposition_end(self, start: int) -> int | None:
        """Where a role phrase starting at `start` ends (exclusive); None when it runs into the next name's title."""
        toks, lex, n = self.toks, self.lex, len(self.toks)
        seen_head = seen_connector = False
        k = start
        while k < n:
            tok = toks[k]
            cand = self.by_first.get(k)
            if cand is not None:
                if seen_connector and k > start and lex.is_head(toks[k - 1]):
                    k = cand.last + 1  # the principal: "adviser to President Emmanuel Macron"
                    continue
                return None  # the phrase is the next name's title: "NATO Secretary General Mark Rutte"
            if not tok.word:
                break
            if tok.low == "and":
                following = toks[k + 1] if k + 1 < n else None
                if following is None or not following.word:
                    break
                if not seen_head and lex.role_word(following):
                    k += 1
                    continue
                if (
                    seen_connector
                    and following.cap
                    and not following.poss
                    and toks[k - 1].cap
                    and (k + 1) not in self.by_first
                ):
                    k += 1
                    continue
                break
            if lex.is_head(tok):
                seen_head = True
            elif tok.low in CONNECTORS and seen_head:
                seen_connector = True
            elif not (
                tok.low in lex.determiners
                or lex.role_word(tok)
                or (tok.poss and tok.cap)
                or (seen_connector and tok.cap)
            ):
                break
            k += 1
        return k

    # sharing roles between names

    def _comma_titles(self) -> None:
        """'Finland's president, Alexander Stubb' and 'the advisers of Britain, France and Germany, A, B and C'."""
        toks = self.toks
        for cand in self.cands:
            if cand.pre is not None or cand.pre_connector_split or cand.first < 2 or toks[cand.first - 1].text != ",":
                continue
            phrase = self._scan_back(cand.first - 1)
            if not phrase or (phrase[0] > 0 and toks[phrase[0] - 1].low in CONNECTORS | {"according"}):
                continue  # "According to the leaders, Trump ..."
            previous = None
            if phrase[0] >= 2 and toks[phrase[0] - 1].text == ",":
                previous = self._cand_ending_at(phrase[0] - 2)
            if previous is not None:
                if previous.pre is None or not previous.post_then_name:
                    continue
                previous.post = None
            cand.pre_first = phrase[0]
            cand.titled = True
            self._set_pre(cand, phrase)

    def _coordination(self) -> None:
        toks = self.toks
        chains: list[list[Candidate]] = []
        for before, cand in zip(self.cands, self.cands[1:], strict=False):
            shared = before.list_role
            if shared is None:
                continue
            between = toks[before.after : (cand.pre_first if cand.pre_first >= 0 else cand.first)]
            if not between or any(t.text != "," and t.low != "and" for t in between):
                continue
            if not chains or chains[-1][-1] is not before:
                chains.append([before])
            chains[-1].append(cand)
            cand.list_role = shared
            if cand.pre is None:
                cand.pre = Role(shared.head, cand.paren_state)
                cand.titled = True
            elif shared.connector and not cand.pre.relative:
                cand.pre = Role(f"{shared.head} {shared.connector} {cand.pre.text}", cand.pre.state)
        in_chain = {id(c) for chain in chains for c in chain}
        for cand in self.cands:
            if cand.list_role is not None and id(cand) not in in_chain:
                cand.list_role = None  # a plural title before one name is not that person's role
                cand.pre = None
        for chain in chains:
            states = chain[0].list_role.states if chain[0].list_role else []
            if states and len(states) == len(chain):
                for cand, state in zip(chain, states, strict=True):
                    if cand.pre is not None:
                        cand.pre.state = state


def _hyphen_adjective(tok: Tok) -> bool:
    """'Putin-era', 'Polish-born', 'Mar-a-Lago': a capitalised word whose hyphenated tail is lower case."""
    if "-" not in tok.base and "\u2010" not in tok.base and "\u2011" not in tok.base:
        return False
    parts = _HYPHENS.split(tok.base)
    tail = [p for p in parts[1:] if p[:1].islower()]
    return bool(tail) and (len(parts) > 2 or tail[0] in _HYPHEN_ADJECTIVE or len(tail[0]) > 4)


def _without_multiword_countries(lex: Lexicon, words: list[str]) -> list[str]:
    """The words with every multi-word state name ('united states', "saudi arabia's") taken out."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for names, _ in lex.multiword_starts.get(words[i], ()):
            end = i + len(names)
            if (
                end <= len(words)
                and tuple(words[i : end - 1]) == names[:-1]
                and _POSSESSIVE.sub("", words[end - 1]) == names[-1]
            ):
                i = end
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _multiword_country(lex: Lexicon, lows: list[str]) -> str | None:
    """The first state named by several words in a row ('United States', 'Saudi Arabia'), if any."""
    starts = lex.multiword_starts
    for i, low in enumerate(lows):
        for words, state in starts.get(low, ()):
            if tuple(lows[i : i + len(words)]) == words:
                return state
    return None


# --- the article ----------------------------------------------------------------------------------------------


@dataclass
class _Person:
    name: str
    spellings: list[str]
    last_seen: int
    order: int = 0


def article_text(title: str, text: str) -> str:
    """The title and body as one text (the title is left out when the body starts with it)."""
    head = title.strip().rstrip("…").rstrip(".").strip()
    if not head or text.lstrip().startswith(head):
        return text
    return f"{title.strip()}\n\n{text}"


def extract_people(
    title: str, text: str, aliases: Aliases | None = None, *, limit: int | None = MAX_TEXT_CHARS
) -> list[Mention]:
    """Every mention of a person in the title and text, in text order, with role, state and sentence.

    Only the first `limit` characters of the text (cut at a word boundary) and MAX_TITLE_CHARS of the title are
    read, so that one outsized item costs no more than a long article; None reads everything (benchmarks).
    """
    lex = lexicon()
    title = clip(title, MAX_TITLE_CHARS)
    text = clip(text, limit) if limit is not None else text
    full_text = article_text(title, text)
    has_title = full_text != text
    caps = has_title and caps_title(title)
    title_words_only = has_title and not caps and title_case(title)
    article = _Article(lower_words=set(re.findall(r"\b[a-z][a-z'-]+\b", full_text)))
    if caps:
        article.caps_vocab = {fold(w).casefold() for w in re.findall(r"\b[A-Z][a-z][\w'-]*", text)}
        article.caps_vocab -= article.lower_words
    cands: list[Candidate] = []
    index = 0
    for number, match in enumerate(re.finditer(r"[^\n]+", full_text)):
        line = match.group()
        first = has_title and number == 0
        byline = 0 < number <= 2 or line.lstrip().startswith(("--", "By ", "by "))
        for sentence in sentences(line, match.start()):
            cands.extend(
                _Reader(
                    lex,
                    sentence,
                    index,
                    words_only=title_words_only and first,
                    caps=caps and first,
                    byline=byline,
                    article=article,
                ).read()
            )
            index += 1
    return _resolve(lex, cands, aliases, article)


def caps_title(title: str) -> bool:
    """'CRICKET - ENGLAND'S ATHERTON HITS CENTURY': a headline in capitals, read against the body's spellings."""
    letters = [c for c in title if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def title_case(title: str) -> bool:
    """'Zelensky Meets Trump At The White House': capitals say nothing there, so only lone words are read."""
    long_words = [w for w in re.findall(r"[^\W\d_]+", title) if len(w) > 3]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= 0.8 * len(long_words)


def _accept_full(cand: Candidate, lone_surnames: set[str]) -> bool:
    """Two or more capitalised words are a person's name when something says so (see the module docstring);
    the surname or, in family-name-first names (Wang Donghai ... Wang), the first word recurring alone counts."""
    words = cand.surface.split()
    return (
        cand.given_known
        or cand.titled
        or cand.verb_after
        or cand.poss_role
        or cand.paren_state is not None
        or cand.byline
        or parse_name(cand.surface).surname_key in lone_surnames
        or skeleton(words[0]) in lone_surnames
        or _SURNAME_ENDING.search(words[-1]) is not None
    )


class _People:
    """The people of one article, filed under `match_keys`, so a name is compared only with people it may be."""

    FUZZY_BUCKET = 16  # near-miss surnames (Bonne / Bonn) are sought among the latest this many per given name

    def __init__(self, aliases: Aliases | None) -> None:
        self.aliases = aliases
        self.people: list[_Person] = []
        self.index: dict[str, list[_Person]] = {}
        self.by_first_word: dict[str, list[_Person]] = {}

    def find(self, surface: str) -> list[_Person]:
        """The people one of whose spellings `same_person` accepts for `surface`, first named first."""
        seen: dict[int, _Person] = {}
        for key in match_keys(surface, self.aliases):
            bucket: Sequence[_Person] = self.index.get(key, ())
            if key.startswith("n:"):
                bucket = bucket[-self.FUZZY_BUCKET :]
            for person in bucket:
                if person.order not in seen and any(same_person(surface, s, self.aliases) for s in person.spellings):
                    seen[person.order] = person
        return [seen[order] for order in sorted(seen)]

    def family_first(self, surface: str, lex: Lexicon) -> list[_Person]:
        """The one person whose full name starts with this lone word when it is no given name: 'Wang' after
        'Wang Donghai', 'Chen' after 'Chen Chun-yeh' (family name first)."""
        key = skeleton(surface)
        if key in lex.given:
            return []
        found = [p for p in self.by_first_word.get(key, ()) if len(p.name.split()) >= 2]
        return found if len(found) == 1 else []

    def add(self, surface: str, number: int) -> _Person:
        found = self.find(surface)
        person = found[0] if found else None
        if person is None:
            person = _Person(surface, [], number, len(self.people))
            self.people.append(person)
            self.by_first_word.setdefault(skeleton(surface.split(maxsplit=1)[0]), []).append(person)
        elif person.name.isupper() and not surface.isupper():
            person.name = surface  # shown as the body spells it, not as the all-caps headline does
        if surface not in person.spellings:
            person.spellings.append(surface)
            for key in match_keys(surface, self.aliases):
                bucket = self.index.setdefault(key, [])
                if not bucket or bucket[-1] is not person:
                    bucket.append(person)
        return person


def _resolve(lex: Lexicon, cands: list[Candidate], aliases: Aliases | None, article: _Article) -> list[Mention]:
    cands = [c for c in cands if c.surface.casefold() not in article.orgs]
    lone = {parse_name(c.surface).surname_key for c in cands if not c.full}
    people = _People(aliases)
    named: dict[int, _Person] = {}
    for number, cand in enumerate(cands):
        if cand.full and not cand.caps and _accept_full(cand, lone):
            named[number] = people.add(cand.surface, number)
    mentions: list[tuple[Candidate, _Person | str, bool]] = []
    for number, cand in enumerate(cands):
        if number in named:
            named[number].last_seen = number
            mentions.append((cand, named[number], False))
            continue
        if cand.full and not cand.caps:
            continue
        matches = people.find(cand.surface) or people.family_first(cand.surface, lex)
        if cand.caps and not matches:
            continue
        if matches:
            before = [p for p in matches if p.last_seen <= number]
            person = max(before, key=lambda p: p.last_seen) if before else matches[0]
            person.last_seen = max(person.last_seen, number)
            mentions.append((cand, person, False))
        elif cand.place and not cand.titled:
            if cand.verb_after and not cand.after_the:
                mentions.append((cand, cand.surface, True))  # "Jordan said": only a person the store knows
        elif cand.titled or cand.poss_role:
            mentions.append((cand, cand.surface, False))
        elif cand.verb_after and cand.surface.casefold() not in article.lower_words and not cand.after_the:
            mentions.append((cand, cand.surface, True))
    return _with_roles(lex, [(c, p if isinstance(p, str) else p.name, weak) for c, p, weak in mentions])


def _with_roles(lex: Lexicon, found: list[tuple[Candidate, str, bool]]) -> list[Mention]:
    out: list[Mention] = []
    last_role: tuple[str, str] | None = None  # (person, role) of the latest mention with its own role
    for cand, name, weak in found:
        role = cand.role if not cand.caps else None  # a headline in capitals: the body gives the role
        display = role_text = state = None
        if role is not None:
            role_text = role.text
            state = role.state or cand.paren_state
            if role.relative:
                display = base_role(last_role[1]) if last_role and last_role[0] != name else None
            else:
                display = role_display(role.text, initial=role.initial)
                last_role = (name, display)
        else:
            state = cand.paren_state
        toks = cand.sentence.toks
        start = cand.sentence.origin + toks[cand.first].start
        end = cand.sentence.origin + toks[cand.last].end
        out.append(
            Mention(
                name=name,
                surface=cand.surface,
                role=display,
                role_text=role_text,
                state=state,
                sentence=cand.sentence.text,
                start=start,
                end=end,
                weak=weak,
            )
        )
    return out


# --- role wording ---------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.replace("\u2019", "'").split()


def role_display(text: str, *, initial: bool = False) -> str:
    """A role as shown to users: no leading article or state ('British Prime Minister' -> 'Prime Minister'),
    institution names spelled one way ('head of the presidential Office' -> 'head of the Presidential Office').
    """
    lex = lexicon()
    words = _words(text)
    while len(words) > 1 and words[0].casefold() in lex.determiners:
        words = words[1:]
    if (
        len(words) > 1
        and words[0][:1].isupper()
        and (initial or words[0].casefold() in ("head", "chief"))
        and words[1][:1].islower()
        and words[0].casefold() in lex.heads | lex.modifiers
    ):
        words[0] = words[0][:1].lower() + words[0][1:]
    while len(words) > 1 and _word_state(lex, words[0]) and any(_base(w) in lex.heads for w in words[1:]):
        words = words[1:]
    display = " ".join(words)
    for pattern, canonical in lex.display:
        display = pattern.sub(canonical, display)
    return display


def base_role(display: str) -> str:
    """The office without whose it is: "prime minister's National Security Advisor" -> 'National Security Advisor'."""
    words = display.split()
    last_possessive = max((i for i, w in enumerate(words) if _POSSESSIVE.search(w) and w[-1] != "'"), default=-1)
    rest = words[last_possessive + 1 :]
    return " ".join(rest) if rest else display


def _base(word: str) -> str:
    return fold(_POSSESSIVE.sub("", word)).casefold()


def _word_state(lex: Lexicon, word: str) -> str | None:
    base = _POSSESSIVE.sub("", word)
    plain = base.replace(".", "")
    if plain in lex.abbreviations:
        return lex.abbreviations[plain]
    return None if plain.isupper() else lex.countries.get(fold(base).casefold())


def role_key(text: str) -> tuple[str, str | None]:
    """A role reduced for comparison, and the state it names: 'the Presidential Office head' and 'Head of the
    Office of the President' -> ('head of presidential office', 'Ukraine'); 'British Prime Minister' ->
    ('prime minister', 'United Kingdom'). Case, diacritics, articles, adviser/advisor, defence/defense, PM,
    plurals, the word order of '<body> head' and the spelling of a possessor's name do not count.
    """
    lex = lexicon()
    lowered = " ".join(w.strip(',.;:()"').casefold() for w in _words(fold(text)))
    for pattern, replacement in lex.synonyms:
        lowered = pattern.sub(replacement, lowered)
    state = _multiword_country(lex, [_POSSESSIVE.sub("", w) for w in lowered.split()])
    lowered = " ".join(_without_multiword_countries(lex, lowered.split()))
    kept: list[str] = []
    for word in lowered.split():
        found = _word_state(lex, word) or lex.abbreviations.get(_POSSESSIVE.sub("", word).replace(".", "").upper())
        if found:
            state = state or found
        elif word not in lex.determiners:
            kept.append(
                skeleton(word[:-2]) + "'s"
                if word.endswith("'s") and word[:-2] not in lex.heads
                else lex.singular.get(word, word)
            )
    key = " ".join(kept)
    for head in ("head", "secretary", "chief"):
        if key.endswith(" " + head) and " of " not in key:
            key = f"{head} of {key[: -len(head) - 1]}"
    if state is None:
        state = next((s for name, s in lex.institutions.items() if s and f" {name} " in f" {key} "), None)
    return re.sub(r"\b(of|to|for|and)$", "", key).strip(), state


# --- role ranking -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ranking:
    description_heads: frozenset[str]
    qualifiers: tuple[re.Pattern[str], ...]  # qualifiers and institution names, longest first
    offices: dict[str, str]  # role key of a wording -> role key of the office's official title


@lru_cache(maxsize=1)
def _ranking() -> _Ranking:
    """roles.json's `descriptions` and `same_office`, read once (see its `_about`)."""
    roles = json.loads((DATA / "roles.json").read_text(encoding="utf-8"))
    lex = lexicon()
    words = {w.casefold() for w in roles["descriptions"]["qualifiers"]} | set(lex.institutions)
    offices: dict[str, str] = {}
    for official, wordings in roles["same_office"].items():
        office = role_key(official)[0]
        offices.update({role_key(wording)[0]: office for wording in wordings})
    return _Ranking(
        description_heads=frozenset(roles["descriptions"]["heads"]),
        qualifiers=tuple(
            re.compile(rf"(?<![\w-]){re.escape(w)}(?![\w-])") for w in sorted(words, key=len, reverse=True)
        ),
        offices=offices,
    )


def role_kind(role: str) -> str:
    """'title' for an office ('President', 'head of the Presidential Office', 'opposition leader'), 'description'
    for words that characterise a person instead ('Russian dictator', 'Kremlin strongman', 'top diplomat').

    /who and digests prefer titles, whatever the latest article called someone: a description is a head word of
    roles.json's `descriptions` with nothing before it but its qualifiers, an institution or a state.
    """
    ranking = _ranking()
    words = role_key(base_role(role))[0].split()
    if not words or words[-1] not in ranking.description_heads:
        return "title"
    rest = " ".join(words[:-1])
    for qualifier in ranking.qualifiers:
        rest = qualifier.sub(" ", rest)
    return "description" if not rest.split() else "title"


def office_key(key: str) -> str:
    """The role key of the office a role key words otherwise ('chief of staff' -> 'head of presidential office'),
    from roles.json's `same_office`; the key itself when it is no such wording."""
    return _ranking().offices.get(key, key)
