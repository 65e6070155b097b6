"""Names of people in Ukrainian and Russian text: back to their dictionary form, and into Latin letters.

Ukrainian and Russian decline names: the same Steve Witkoff is «Стів Віткофф», «Стіва Віткоффа», «зі Стівом
Віткоффом»; Yermak is «Єрмак», «Єрмака», «Єрмаком»; in Russian «Уиткофф», «Уиткоффа». A mention must be reduced to
the nominative before it can be stored, compared or transliterated, or every case becomes a person of its own.

`dictionary_form` does that with the pymorphy3 dictionaries (analysis/inflect.py loads them): each word of the name
is read as a given name, surname or patronymic (the dictionaries know the common ones; unknown foreign surnames
such as Віткоффом are read from their endings), and a case and gender is chosen that *every* word of the name can
be in, nominative first. So «Стівом Віткоффом» is instrumental (both words can be), «Владимиру Зеленскому» dative,
and each word is put back in the nominative of that gender: Стів Віткофф, Владимир Зеленский. Words that do not
decline (Рубіо, Мелоні) fit every case. A name the rule cannot read consistently is left as written: a name in
the wrong case is recoverable, a wrong name is not. A feminine given name before an undeclined foreign surname
("Джорджа Мелоні") is kept as written, since it reads as a masculine genitive only by accident.

`transliterate` gives the Latin spellings: Ukrainian by the national system (Cabinet of Ministers resolution 55 of
27 January 2010: Andrii Yermak, Volodymyr Zelenskyi, Zghurskyi), Russian by the spellings English-language news
uses (a simplified BGN/PCGN: Dmitry Peskov, Yuri Ushakov, Sergei Lavrov... ё as yo, -ий and -ый as -y). The
Latin form is what analysis/names.py compares, so Стівом Віткоффом, Стив Уиткофф and Steve Witkoff can be one
person while two Андрій with different surnames stay two.

Foreign names come into Cyrillic by other conventions than the national system undoes (Джонатан Пауелл is
Jonathan Powell, Гюнтер Заутер Günter Sautter): `readings` adds a reading per convention, which
names.same_person tries in turn, and `lookup_spellings` gives the keys the store files a person under in either
direction. `nominative_guesses` gives the dictionary forms a name typed in an oblique case may have (/who).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import product
from typing import Any

from diplobot.analysis.inflect import analyzer, is_cyrillic, phrase_languages
from diplobot.analysis.names import RU_LATIN, UK_LATIN, UK_LATIN_INITIAL, fold, to_latin

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "voct")
_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})
_APOSTROPHES = frozenset("'\u2019\u02bc`")

# --- transliteration ---------------------------------------------------------------------------------------------

# KMU 2010 (resolution No. 55): the second column is the form at the start of a word.
_UK_TABLE = {letter: (latin, UK_LATIN_INITIAL.get(letter, latin)) for letter, latin in UK_LATIN.items()}
# Russian as English-language news spells it (RU_LATIN, BGN/PCGN simplified), with these rules on top: е/ё are
# ye/yo at the start of a word and after a vowel or a hard or soft sign; -ий/-ый at the end of a word are -y.
_RU_VOWELS = frozenset("аеёиоуыэюяъь")
_HUSHING = frozenset("жчшщ")


def transliterate(text: str, lang: str | None = None) -> str:
    """`text` in Latin letters: Ukrainian by KMU 2010, Russian as English news spells it; other characters kept.

    Without `lang` the language is told by letters (і ї є ґ: Ukrainian; ы э ъ ё: Russian), then by endings only
    Russian spells so (Дмитрий, Сергей, Мария, Юрьевич); otherwise Ukrainian. Callers that know the article's
    language pass it; `latin_spellings` gives every reading."""
    if not is_cyrillic(text):
        return text
    language = lang or guess_language(text)
    return _uk_latin(text) if language == "uk" else _ru_latin(text)


_RUSSIAN_SHAPES = re.compile(r"(?<![ьй])[бвгдзклмнпрстфхцчшщ]ий\b|ей\b|ия\b|ие\b|ье\b|ьевич|ьевна|ьи", re.IGNORECASE)


def guess_language(text: str) -> str:
    """ "uk" or "ru" for a Cyrillic name: by the letters only one language has, then by Russian-only endings."""
    languages = phrase_languages(text)
    if len(languages) == 1:
        return languages[0]
    return "ru" if _RUSSIAN_SHAPES.search(text) else "uk"


def latin_spellings(text: str) -> list[str]:
    """Every Latin spelling of a Cyrillic name, as the letters allow: Ukrainian by KMU 2010 and as English news
    spells Ukrainian names (Andriy, Umerov, Zelensky), and/or Russian."""
    if not is_cyrillic(text):
        return [text]
    out: dict[str, None] = {}
    for lang in phrase_languages(text):
        out[transliterate(text, lang)] = None
        if lang == "uk":
            out[news_spelling(text)] = None
    return list(out)


_SOFT_E = re.compile(r"(?<=[бвгґджзклмнпрстфхцчшщ])є", re.IGNORECASE)
_NEWS_ENDINGS = (
    (re.compile(r"ii\b"), "iy"),
    (re.compile(r"II\b"), "IY"),
    (re.compile(r"yi\b"), "y"),
    (re.compile(r"YI\b"), "Y"),
)


def news_spelling(text: str) -> str:
    """A Ukrainian name as English-language news usually spells it: є after a consonant as e, -ій as -iy, -ий as
    -y (Andriy Yermak, Rustem Umerov, Volodymyr Zelensky, where KMU 2010 gives Andrii, Umierov, Zelenskyi)."""
    latin = _uk_latin(_SOFT_E.sub(lambda m: "е" if m.group(0) == "є" else "Е", text))
    for pattern, replacement in _NEWS_ENDINGS:
        latin = pattern.sub(replacement, latin)
    return latin


def _uk_latin(text: str) -> str:
    out = []
    lower = text.lower()
    for i, char in enumerate(text):
        low = lower[i]
        pair = _UK_TABLE.get(low)
        if pair is None:
            out.append(char)
            continue
        initial = i == 0 or (not lower[i - 1].isalpha() and lower[i - 1] not in _APOSTROPHES)
        latin = pair[1] if initial else pair[0]
        if low == "г" and i > 0 and lower[i - 1] == "з":
            latin = "gh"  # зг -> zgh (Zghurskyi), so it is not read as zh
        out.append(_cased(latin, char, text, i))
    return "".join(out)


def _ru_latin(text: str) -> str:
    out = []
    lower = text.lower()
    for i, char in enumerate(text):
        low = lower[i]
        latin = RU_LATIN.get(low)
        if latin is None:
            out.append(char)
            continue
        before = lower[i - 1] if i > 0 else " "
        after = lower[i + 1] if i + 1 < len(lower) else " "
        initial = not before.isalpha()
        if low == "е" and (initial or before in _RU_VOWELS):
            latin = "ye"
        elif low == "ё" and before in _HUSHING:
            latin = "e"  # Gorbachev, Khrushchev
        elif low == "й" and before in "иы" and not after.isalpha():
            latin = ""  # Дмитрий -> Dmitry, Мирный -> Mirny: the y of и/ы stands for the ending
        elif low in "иы" and after == "й" and (i + 2 >= len(lower) or not lower[i + 2].isalpha()):
            latin = "y"
        out.append(_cased(latin, char, text, i))
    return "".join(out)


def _cased(latin: str, char: str, text: str, at: int) -> str:
    """The Latin letters in the case of the Cyrillic one: Щ -> Shch inside a capitalised word, SHCH in capitals."""
    if not latin or char == char.lower():
        return latin
    neighbours = text[max(0, at - 1) : at + 2]
    if len(neighbours.strip()) > 1 and neighbours.upper() == neighbours and neighbours.lower() != neighbours:
        return latin.upper()
    return latin[0].upper() + latin[1:]


# --- the same given name in the other language ------------------------------------------------------------------

# Russian and Ukrainian forms of common given names: Russian-language news calls Volodymyr Zelensky «Владимир
# Зеленский», Ukrainian news calls Sergei Lavrov «Сергій Лавров». Written for diplobot (general knowledge).
_RU_UK_GIVEN = {
    "Александр": "Олександр",
    "Алексей": "Олексій",
    "Анатолий": "Анатолій",
    "Андрей": "Андрій",
    "Анна": "Ганна",
    "Василий": "Василь",
    "Виктор": "Віктор",
    "Виталий": "Віталій",
    "Владимир": "Володимир",
    "Вячеслав": "В'ячеслав",
    "Геннадий": "Геннадій",
    "Георгий": "Георгій",
    "Григорий": "Григорій",
    "Денис": "Денис",
    "Дмитрий": "Дмитро",
    "Евгений": "Євген",
    "Екатерина": "Катерина",
    "Елена": "Олена",
    "Иван": "Іван",
    "Игорь": "Ігор",
    "Ирина": "Ірина",
    "Кирилл": "Кирило",
    "Константин": "Костянтин",
    "Леонид": "Леонід",
    "Мария": "Марія",
    "Михаил": "Михайло",
    "Наталья": "Наталія",
    "Николай": "Микола",
    "Ольга": "Ольга",
    "Олег": "Олег",
    "Павел": "Павло",
    "Петр": "Петро",
    "Пётр": "Петро",
    "Роман": "Роман",
    "Сергей": "Сергій",
    "Светлана": "Світлана",
    "Степан": "Степан",
    "Татьяна": "Тетяна",
    "Тимофей": "Тимофій",
    "Федор": "Федір",
    "Фёдор": "Федір",
    "Юлия": "Юлія",
    "Юрий": "Юрій",
    "Ярослав": "Ярослав",
    "Рустем": "Рустем",
}
_UK_RU_GIVEN = {uk: ru for ru, uk in _RU_UK_GIVEN.items() if "ё" not in ru}


def counterpart(name: str) -> str | None:
    """The name with its given name in the other language's form (Владимир Зеленский -> Володимир Зеленский,
    Сергій Лавров -> Сергей Лавров), or None when the first word is no given name of the table."""
    first, _, rest = name.partition(" ")
    other = _RU_UK_GIVEN.get(first) or _UK_RU_GIVEN.get(first)
    if other is None or other == first or not rest:
        return None
    return f"{other} {rest}"


def same_given_name(a: str, b: str) -> bool:
    """Whether two Cyrillic given names are one name in Ukrainian and Russian (Володимир / Владимир)."""
    return a == b or _RU_UK_GIVEN.get(a) == b or _RU_UK_GIVEN.get(b) == a


def spellings(name: str) -> list[str]:
    """The Latin spellings of a Cyrillic name and of its counterpart with the other language's given name."""
    out = dict.fromkeys(latin_spellings(name))
    other = counterpart(name)
    if other is not None:
        out.update(dict.fromkeys(latin_spellings(other)))
    return list(out)


# --- dictionary form -----------------------------------------------------------------------------------------------


def dictionary_form(name: str) -> str:
    """A Cyrillic person's name in the nominative (Єрмаком -> Єрмак, Стівом Віткоффом -> Стів Віткофф, Уиткоффа ->
    Уиткофф); the name as given when it is not Cyrillic or cannot be read consistently."""
    if not is_cyrillic(name):
        return name
    return _dictionary_form(" ".join(name.split()))


@lru_cache(maxsize=50_000)
def _dictionary_form(name: str) -> str:
    words = name.split(" ")
    best: tuple[float, list[str]] | None = None
    for lang in phrase_languages(name):
        morph = analyzer(lang)
        if morph is None:
            continue
        found = _reduce(words, morph)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is None:
        return name
    return " ".join(_recase(new, old) for new, old in zip(best[1], words, strict=True))


def _reduce(words: list[str], morph: Any) -> tuple[float, list[str]] | None:
    """(how well the name was read, its words in the nominative) in one language; None when no case and gender
    fits every word.

    Every case and gender that each word can be in is scored by the dictionary's confidence in the readings it
    takes; the nominative wins a tie (a name that reads as written stays as written). A guessed (not listed)
    feminine reading counts a quarter: a lone unknown surname in -а is far more often a man's in the genitive
    (Стармера) than a woman's in the nominative; a feminine given name settles it either way."""
    readings = [_name_readings(word, morph) for word in words]
    if not any(readings):
        return None
    if _feminine_before_foreign(words, readings):
        return None
    best: tuple[float, int, list[Any | None]] | None = None
    for rank, (case, gender) in enumerate((c, g) for c in CASES for g in ("masc", "femn")):
        chosen = [_pick(options, case, gender) for options in readings]
        if any(choice is False for choice in chosen):
            continue
        score = sum(_weight(choice) for choice in chosen if choice is not None)
        if best is None or score > best[0] + 1e-9:
            best = (score, rank, chosen)
    if best is None:
        return None
    return best[0], [_nominative(choice, word) for choice, word in zip(best[2], words, strict=True)]


def _weight(parse: Any) -> float:
    """A listed reading counts by the dictionary's own confidence; a guessed one (from the word's ending, whose
    confidence figures mean little) counts 0.5 as a name or surname, 0.15 as another noun, and a quarter of that
    when feminine."""
    if parse.is_known:
        return float(parse.score)
    weight = 0.5 if _NAME_TAGS & parse.tag.grammemes else 0.15
    return weight * (0.25 if parse.tag.gender == "femn" else 1.0)


def _name_readings(word: str, morph: Any) -> list[Any]:
    """Readings of a word as a name: for a listed word, as a given name, surname or patronymic, or an adjective-like
    surname (Зеленського); for a word the dictionary does not list, every noun reading guessed from its ending.
    [] for a word that does not decline (foreign surnames in -і, -о, initials) or is listed but not as a name."""
    if not is_cyrillic(word) or len(word) < 2 or word.isupper():
        return []
    lower = word.lower()
    parses = [p for p in morph.parse(lower) if "Dist" not in p.tag]
    named = [p for p in parses if p.tag.POS == "NOUN" and (_NAME_TAGS & p.tag.grammemes or not p.is_known)]
    if word[:1].isupper():
        named += [p for p in parses if p.tag.POS == "ADJF" and _surname_adjective(p)]
    return named


def _surname_adjective(parse: Any) -> bool:
    """Whether an adjective reading may be a surname (Зеленський, Лавров's -ов is a noun): -ський/-цький/-ский."""
    return bool(re.search(r"(?:ськ|цьк|зьк|ск|цк)(?:ий|ой|ый)$", parse.normal_form))


def _feminine_before_foreign(words: list[str], readings: list[list[Any]]) -> bool:
    """A given name in -а/-я before a surname that does not decline (Джорджа Мелоні): kept as written."""
    if len(words) < 2 or readings[-1]:
        return False
    last = words[-1].lower()
    return last[-1:] in set("іоеуюиі") and words[0].lower().endswith(("а", "я"))


def _pick(options: list[Any], case: str, gender: str) -> Any | bool | None:
    """The word's reading in that case and gender (None: the word is no declinable name and fits any case; a
    reading the dictionary marks undeclinable, Fixd, fits any case of its gender; False: it cannot be in that
    case)."""
    if not options:
        return None
    for parse in options:
        tag = parse.tag
        if (tag.case == case or "Fixd" in tag) and "plur" not in tag and tag.gender in (gender, None):
            return parse
    return False


def _nominative(parse: Any | None, word: str) -> str:
    if parse is None:
        return word
    if parse.tag.case == "nomn" or "Fixd" in parse.tag:
        return str(parse.word)
    wanted = {"nomn", "sing"} if "sing" in parse.tag.grammemes else {"nomn"}
    form = parse.inflect(wanted)
    return form.word if form is not None else word


def _recase(new: str, old: str) -> str:
    """The nominative in the capitalisation of the written form (Єрмаком -> Єрмак; ЄРМАКОМ -> ЄРМАК)."""
    if old.isupper() and len(old) > 1:
        return new.upper()
    if old[:1].isupper():
        return "-".join(part[:1].upper() + part[1:] for part in new.split("-"))
    return new


# --- a name in Cyrillic and the same name in English-language news ------------------------------------------------

# Foreign names reach Ukrainian and Russian text through their own conventions, which the national system does not
# undo: Jonathan Powell is «Джонатан Пауелл» (Dzhonatan Pauell), Günter Sautter «Гюнтер Заутер» (Hiunter Zauter),
# Friedrich Merz «Фрідріх Мерц», Maroš Šefčovič «Марош Шефчович», Karol Nawrocki «Кароль Навроцький». A reading
# per convention brings each back near its Latin spelling (written for diplobot from the usual transcription
# practice; no source text copied):
# * English and German: дж is j; ю after a consonant is u (ü); з at the start of a word before a vowel is s (German
#   S); ц is z (German z); у is w at the start of a word or after a vowel when a vowel follows, and ау before a
#   vowel is ow (Powell, McDowell); є and я after a consonant are e and ia;
# * Czech, Slovak and the other Slavic languages written with háčeks, as English news folds them: ч c, ш s, ж z,
#   ц c, х ch, г h, й j;
# * Polish: ш sz, ч cz, щ szcz, ж z (ż), ц c, х ch, в w, й j, -ський/-цький/-ский/-цкий as -ski/-cki.
_VOWELS = frozenset("аеєиіїоуюяёыэ")
_CONSONANTS = frozenset("бвгґджзклмнпрстфхцчшщ")
# Russian as English news spells it (`RU_LATIN`), with the Ukrainian letters and the western х/ц and apostrophes.
_BASE = {
    **RU_LATIN,
    "ґ": "g",
    "є": "ye",
    "і": "i",
    "ї": "yi",
    "х": "h",
    "ц": "z",
    "ё": "yo",
    **dict.fromkeys("'\u2019\u02bc", ""),
}
_SLAVIC = {**_BASE, "г": "h", "й": "j", "ю": "ju", "я": "ja", "є": "je", "ї": "ji", "ч": "c", "ш": "s"}
_SLAVIC.update({"щ": "sc", "ж": "z", "ц": "c", "х": "ch", "ё": "jo"})
_POLISH = {**_SLAVIC, "в": "w", "ч": "cz", "ш": "sz", "щ": "szcz", "и": "y", "ю": "iu", "я": "ia", "є": "ie"}
_POLISH_ENDINGS = ((re.compile(r"(?<=[сцз])ь?к(?:ий|ій)$"), "ki"), (re.compile(r"(?<=[сцз])ь?к(?:а|ая)$"), "ka"))


def _western_word(word: str) -> str:
    """One word as an English or German name written in Cyrillic reads back (Пауелл -> Powell, Заутер -> Sauter)."""
    lower = word.lower()
    out: list[str] = []
    i = 0
    while i < len(lower):
        char = lower[i]
        before = lower[i - 1] if i else " "
        after = lower[i + 1] if i + 1 < len(lower) else " "
        latin = _BASE.get(char, char)
        if char == "д" and after == "ж":
            latin, i = "j", i + 1
        elif char == "ю" and before in _CONSONANTS:
            latin = "u"
        elif char in "єя" and before in _CONSONANTS:
            latin = "e" if char == "є" else "ia"
        elif char == "з" and i == 0 and after in _VOWELS:
            latin = "s"
        elif char == "у" and after in _VOWELS and (i == 0 or before in _VOWELS):
            latin = "w"
            if before == "а" and out and out[-1] == "a":
                out[-1] = "o"  # ау before a vowel: English ow (Пауелл -> Powell)
        out.append(latin)
        i += 1
    return "".join(out)


def _table_word(word: str, table: dict[str, str]) -> str:
    """One word letter by letter through a table; Polish -ський/-цький endings first (Навроцький -> Nawrocki)."""
    lower = word.lower()
    if table is _POLISH:
        for pattern, ending in _POLISH_ENDINGS:
            lower = pattern.sub(ending, lower)
    return "".join(table.get(char, char) for char in lower)


def _by_word(name: str, convert: Any) -> str:
    words = []
    for word in name.split(" "):
        latin = convert(word) if is_cyrillic(word) else word
        words.append(latin[:1].upper() + latin[1:] if word[:1].isupper() else latin)
    return " ".join(words)


@lru_cache(maxsize=20_000)
def readings(name: str) -> tuple[str, ...]:
    """The Latin spellings a Cyrillic name (in the nominative) may have in English-language news, most usual first:
    the readings analysis/names.py keys it by (national systems), the news spelling of Ukrainian names, the Russian
    one, the foreign-name readings above, and the same for the name with its given name in the other language's
    form (Олександр / Александр). A name in Latin letters is its own only reading."""
    name = " ".join(name.split())
    if not is_cyrillic(name):
        return (name,)
    out: dict[str, None] = {}
    other = counterpart(name)
    for form in (name, other) if other else (name,):
        out.update(dict.fromkeys(to_latin(form)))
        out.update(dict.fromkeys(latin_spellings(form)))
        out[_by_word(form, _western_word)] = None
        out[_by_word(form, lambda word: _table_word(word, _SLAVIC))] = None
        out[_by_word(form, lambda word: _table_word(word, _POLISH))] = None
    return tuple(out)


# The other way: a Latin name as it reads once written in Cyrillic and read back by the national system (what
# analysis/names.py keys a Cyrillic spelling by), so a Latin name finds the person first named in Cyrillic: j as
# dzh (Джонатан), ü as iu (Гюнтер), z and tz as ts (Мерц), c as ts before e/i/y and k elsewhere, an initial s
# before a vowel as z (Заутер), sch as sh (Шольц), ow before a vowel as au (Пауелл), an initial w as u (Уиткофф).
_READ_BACK = (
    (re.compile(r"sch"), "sh"),
    (re.compile(r"t?z"), "ts"),
    (re.compile(r"^s(?=[aeiou])"), "z"),
    (re.compile(r"j"), "dzh"),
    (re.compile(r"c(?=[eiy])"), "ts"),
    (re.compile(r"c(?!h)k?"), "k"),
    (re.compile(r"ow(?=[aeiou])"), "au"),
    (re.compile(r"^w(?=[aeiou])"), "u"),
    (re.compile(r"qu"), "kv"),
)


def _read_back_word(word: str) -> str:
    latin = fold(word.replace("ü", "iu").replace("Ü", "Iu")).lower()
    for pattern, replacement in _READ_BACK:
        latin = pattern.sub(replacement, latin)
    return latin[:1].upper() + latin[1:] if word[:1].isupper() else latin


@lru_cache(maxsize=50_000)
def lookup_spellings(name: str) -> tuple[str, ...]:
    """The spellings a stored person may be filed under when `name` is theirs: a Cyrillic name's `readings`; a
    Latin name itself and as it reads back from Cyrillic. For finding candidates; `names.same_person` decides."""
    name = " ".join(name.split())
    if is_cyrillic(name):
        return readings(name)
    back = " ".join(_read_back_word(word) for word in name.split(" "))
    return (name,) if back == name else (name, back)


# --- a name typed in an oblique case ------------------------------------------------------------------------------

MAX_GUESSES = 8


def nominative_guesses(name: str) -> list[str]:
    """Dictionary forms a Cyrillic name may have when typed as a sentence has it (/who Умєрова, /who Єрмаком),
    likeliest first, without the name as written: `dictionary_form`, then for each word the nominative of each of
    its readings as a name (Умєрову reads as Умєров's dative or as an unknown Умєрів's) and with a case ending
    undone, combined across the words. For look-ups, where the store tells which one is a person; never stored."""
    name = " ".join(name.split())
    if not is_cyrillic(name):
        return []
    words = name.split(" ")
    out = dict.fromkeys([dictionary_form(name)])
    if len(words) <= 3:
        per_word = [_word_nominatives(word)[: 8 if len(words) == 1 else 3] for word in words]
        for combination in product(*per_word):
            out[" ".join(combination)] = None
    out.pop(name, None)
    return list(out)[:MAX_GUESSES]


# Case endings of names the dictionaries' guesser may misread (an unknown surname in -ом read as a nominative):
# a consonant-stem surname's endings dropped (Заутером -> Заутер, Трампу -> Трамп), an adjective-like surname's
# ending back to -ий (Зеленського -> Зеленський), a surname in -а's ending back to -а (Сибігою -> Сибіга).
_ENDINGS = (
    (re.compile(r"(?<=[бвгґджзклмнпрстфхцчшщ])(?:ом|ем|єм|ові|еві|єві|у|ю|а|я|і|е)$"), ""),
    (re.compile(r"(?<=[сцз]ьк)(?:ого|ому|им|ім)$|(?<=[сцз]к)(?:ого|ому|им|ом)$"), "ий"),
    (re.compile(r"(?<=[бвгґджзклмнпрстфхцчшщ])(?:ою|ой|и|і|ы|у|е)$"), "а"),
)


@lru_cache(maxsize=20_000)
def _word_nominatives(word: str) -> tuple[str, ...]:
    """The word itself, then the nominatives of its readings as a name in either language, likeliest first, then
    the word with a case ending undone (`_ENDINGS`)."""
    out = dict.fromkeys([word])
    readings_: list[Any] = []
    for lang in phrase_languages(word):
        morph = analyzer(lang)
        if morph is not None:
            readings_ += _name_readings(word, morph)
    for parse in sorted(readings_, key=_weight, reverse=True):
        out[_recase(_nominative(parse, word), word)] = None
    lower = word.lower()
    for pattern, ending in _ENDINGS:
        stem = pattern.sub(ending, lower)
        if stem != lower and len(stem) >= 3:
            out[_recase(stem, word)] = None
    return tuple(out)
