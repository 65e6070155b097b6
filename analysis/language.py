"""The language of an article: Ukrainian, Russian, English, or another one.

Why a rule and not a statistical detector. The bot needs three languages told apart for certain and every other
one marked as such, on the store path, where each article must cost microseconds (a model-based detector costs
milliseconds and tens of megabytes). Ukrainian and Russian share most of the Cyrillic alphabet and many short
words, but each has letters the other lacks: і, ї, є, ґ are Ukrainian only, ы, э, ъ, ё Russian only; and their most
frequent words differ (і, та, що, від, це, як, які, також / и, что, это, как, от, который, также). A text of a
sentence or more shows several of these. Other Cyrillic languages have letters of their own (Serbian ј љ њ ћ џ,
Macedonian ѓ ќ, Belarusian ў, Kazakh ә ғ қ ң ө ұ ү һ) or, like Bulgarian, frequent words of their own (че, са,
ще, във, със); those are "other". Latin-script text is English when English function words are at least as
frequent as those of the other common European languages; with no function words at all (a short headline), when
it has none of the accented letters those languages use either (names in English news keep theirs: Erdoğan, Günter
Sautter, so accents alone do not outvote English words). Text too short to show any evidence gets None
(unknown), never a guess.

Only the first `SAMPLE_CHARS` characters (title first, then summary and body) are read.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["uk", "ru", "en", "other"]
LANGUAGES: tuple[Language, ...] = ("uk", "ru", "en", "other")
NAMES: dict[str, str] = {"uk": "Ukrainian", "ru": "Russian", "en": "English", "other": "other language"}

SAMPLE_CHARS = 1500
MIN_LETTERS = 12
"""Fewer letters than this are no evidence of anything (a bare name, a number): the language is unknown."""

_UK_LETTERS = "іїєґ"
_RU_LETTERS = "ыэъё"
_OTHER_CYRILLIC = "јљњћџѓќўәғқңөұүһђѕ"
_UK_WORDS = frozenset(
    [
        "і",
        "та",
        "що",
        "від",
        "це",
        "як",
        "які",
        "який",
        "яка",
        "яке",
        "також",
        "щодо",
        "було",
        "були",
        "була",
        "його",
        "її",
        "їх",
        "вони",
        "він",
        "вона",
        "ми",
        "ви",
        "ще",
        "вже",
        "або",
        "між",
        "після",
        "через",
        "під",
        "може",
        "можуть",
        "буде",
        "будуть",
        "тому",
        "цей",
        "ця",
        "ці",
        "цього",
        "цієї",
        "коли",
        "де",
        "чи",
        "аби",
        "щоб",
        "якщо",
        "лише",
        "зокрема",
        "проте",
        "однак",
        "адже",
    ]
)
_RU_WORDS = frozenset(
    [
        "и",
        "что",
        "от",
        "это",
        "как",
        "которые",
        "который",
        "которая",
        "которое",
        "также",
        "был",
        "была",
        "были",
        "было",
        "его",
        "ее",
        "её",
        "их",
        "они",
        "он",
        "она",
        "мы",
        "вы",
        "еще",
        "ещё",
        "уже",
        "или",
        "между",
        "после",
        "через",
        "под",
        "во",
        "время",
        "может",
        "могут",
        "будет",
        "будут",
        "поэтому",
        "этот",
        "эта",
        "эти",
        "этого",
        "этой",
        "когда",
        "где",
        "ли",
        "чтобы",
        "если",
        "лишь",
        "только",
        "однако",
        "при",
    ]
)
_BG_WORDS = frozenset(
    ["че", "са", "ще", "във", "със", "съм", "бил", "била", "беше", "това", "тази", "този", "които", "също"]
)
_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "was",
        "that",
        "for",
        "on",
        "with",
        "as",
        "by",
        "at",
        "from",
        "it",
        "its",
        "are",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "this",
        "which",
        "who",
        "will",
        "would",
        "said",
        "after",
        "about",
        "not",
        "but",
        "or",
        "an",
        "their",
        "they",
        "he",
        "she",
        "his",
        "her",
        "than",
        "also",
        "into",
        "over",
    ]
)
"""English function words ("in", which German, Dutch and Italian share, is left out)."""
_OTHER_LATIN_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "mit",
        "von",
        "den",
        "dem",
        "ein",
        "eine",
        "einen",
        "auf",
        "für",
        "auch",
        "sich",
        "über",
        "werden",
        "wird",
        "wurde",
        "zum",
        "zur",
        "bei",
        "nach",
        "aus",
        "im",
        "sie",
        "wir",
        "oder",
        "aber",
        "le",
        "la",
        "les",
        "des",
        "du",
        "au",
        "aux",
        "sont",
        "été",
        "ce",
        "cette",
        "il",
        "elle",
        "ils",
        "nous",
        "ont",
        "mais",
        "où",
        "à",
        "est",
        "une",
        "pour",
        "dans",
        "qui",
        "que",
        "pas",
        "sur",
        "avec",
        "el",
        "los",
        "las",
        "del",
        "por",
        "una",
        "con",
        "para",
        "como",
        "es",
        "que",
        "ha",
        "il",
        "di",
        "che",
        "non",
        "per",
        "della",
        "sono",
        "gli",
        "dei",
        "nel",
        "het",
        "een",
        "van",
        "zijn",
        "niet",
        "ook",
        "voor",
        "op",
        "met",
        "og",
        "er",
        "ikke",
        "til",
        "som",
        "det",
        "af",
        "jest",
        "nie",
        "się",
        "że",
        "na",
        "do",
        "jak",
        "ale",
        "przez",
        "oraz",
        "dla",
        "em",
        "não",
        "uma",
        "com",
        "os",
        "ao",
        "da",
        "dos",
        "à",
        "pelo",
        "şi",
        "în",
        "pe",
        "cu",
        "sa",
        "ve",
        "bir",
        "bu",
        "ile",
        "için",
    ]
)
_OTHER_LATIN_LETTERS = frozenset("äöüßàâçéèêëîïôûùœáíóúñãõąćęłńśźżăâîșțşğıøåæčřšžůýőű")
_BREAKS = frozenset(chr(c) for c in range(128) if not chr(c).isalpha()) | frozenset("«»—–„“”…")
_SPACE_OUT = str.maketrans(dict.fromkeys(_BREAKS, " "))


def detect_language(title: str | None, summary: str | None = None, body: str | None = None) -> Language | None:
    """The language of an article's text (title, summary, body); None when there is too little text to tell."""
    sample = " \n ".join(part for part in (title, summary, body) if part)[:SAMPLE_CHARS]
    return detect_text(sample)


def detect_text(text: str) -> Language | None:
    """The language of a piece of text: "uk", "ru", "en", "other", or None when it shows too few letters.

    Scripts are counted per word (by its first letter), which keeps the per-character work in C."""
    lower = text.lower()
    words = _words(lower)
    if sum(map(len, words)) < MIN_LETTERS:
        return None
    if lower.isascii():
        return _latin_language(lower, words)
    cyrillic = latin = other = 0
    for word in words:
        first = word[0]
        if "\u0400" <= first <= "\u04ff":
            cyrillic += 1
        elif first <= "\u024f":
            latin += 1
        else:
            other += 1
    if other > cyrillic + latin:
        return "other"
    if cyrillic >= latin:
        return _cyrillic_language(lower, words)
    return _latin_language(lower, words)


def _words(lower: str) -> list[str]:
    """The words of lower-cased text (apostrophes stay inside words): C-level string work only."""
    if lower.isascii():
        return lower.translate(_SPACE_OUT).split()
    for char in _BREAKS.intersection(lower):  # str.translate is slow on non-ASCII strings; replace() is not
        lower = lower.replace(char, " ")
    return lower.split()


def _cyrillic_language(lower: str, words: list[str]) -> Language:
    """Ukrainian or Russian by their own letters and frequent words; "other" for the other Cyrillic languages."""
    if sum(map(lower.count, _OTHER_CYRILLIC)) * 30 > len(words):
        return "other"
    uk = sum(map(lower.count, _UK_LETTERS)) + 2 * sum(map(_UK_WORDS.__contains__, words))
    ru = sum(map(lower.count, _RU_LETTERS)) + 2 * sum(map(_RU_WORDS.__contains__, words))
    bulgarian = 2 * sum(map(_BG_WORDS.__contains__, words))
    if bulgarian > uk and bulgarian > ru:
        return "other"
    if uk > ru:
        return "uk"
    if ru > uk:
        return "ru"
    return "other"


def _latin_language(lower: str, words: list[str]) -> Language:
    """English unless another European language's function words or accented letters say otherwise."""
    english = sum(map(_EN_WORDS.__contains__, words))
    others = sum(map(_OTHER_LATIN_WORDS.__contains__, words))
    if others > english:
        return "other"
    if not english and not lower.isascii() and not _OTHER_LATIN_LETTERS.isdisjoint(lower):
        return "other"
    return "en"


def language_name(code: str | None) -> str:
    """How chats see a language code: 'Ukrainian', 'Russian', 'English', 'other language'; '' when unknown."""
    return NAMES.get(code or "", "")
