"""People named in Ukrainian and Russian text, with their roles: the Cyrillic counterpart of analysis/people.py.

The English extractor reads capitalised runs against English vocabularies; Ukrainian and Russian need the same idea
with two changes. Names are declined («зі Стівом Віткоффом»), so each is reduced to the nominative
(analysis/cyrillic_names.py) before it is stored and compared. And capital letters say less (every sentence starts
with one, «Офісу Президента» is an institution), so a word is taken as part of a name only when the morphological
dictionaries read it as a given name, surname or patronymic (or do not know it, as with most foreign surnames),
never when they know it only as a common word or place (Стамбулі, Росії, Керівник).

A run of such words is a person when:
* it has two or three words and starts with a given name (the dictionaries' Name tag, or a given name of
  analysis/data's lists once transliterated: Еммануель, Хакан), or a role word stands before it ("міністр армії
  США Ден Дрісколл"), or its last word has a surname's ending (-ов, -ський, -енко...), or a speech verb follows;
* it is one word, and either it is the surname of a full name given earlier in the same article ("Єрмак" after
  "Андрій Єрмак"), or a role word stands right before it ("з президентом Зеленським"), or a speech verb follows it
  ("Умєров заявив"). A lone word directly before a full name is part of that person's description ("Помощник
  Путина Юрий Ушаков"), not a mention of its own.

Roles are the words before the name, back to a role word (керівник, міністр, президент, помічник, глава...),
stopping at a comma, a dash or a conjunction: "Керівник Офісу Президента Андрій Єрмак і секретар РНБО Рустем
Умєров" gives each their own. `role_text` keeps the words as written; `role` is the English role when the head
word is a known one with nothing after it that changes it ("міністр оборони" -> "defence minister"), else the
words as written. Different people with one given name stay apart: each name is its own full name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from diplobot.analysis.cyrillic_names import dictionary_form, latin_spellings
from diplobot.analysis.inflect import analyzer, is_cyrillic
from diplobot.analysis.names import skeleton
from diplobot.analysis.people import MAX_TEXT_CHARS, MAX_TITLE_CHARS, Mention, lexicon
from diplobot.texts import clip

_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})
_TOKEN = re.compile(r"[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*|\d+|[^\w\s]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(]?[A-ZА-ЯҐЄІЇЁ])|\n+")
_LOCATIVE = frozenset({"у", "в", "во", "на"})
_PARTICLES = frozenset({"де", "ван", "фон", "дер", "ді", "ди", "да", "ла", "ле", "ель", "аль", "бен", "бін", "бин"})
_SURNAME_END = re.compile(
    r"(?:ов|ев|єв|ёв|ін|ин|ський|цький|ська|цька|ский|цкий|ская|енко|ук|юк|чук|як|ич|вич|"
    r"ова|ева|іна|ина|швілі|дзе|ян)$"
)
_STOPS = frozenset(
    [
        "і",
        "та",
        "й",
        "и",
        "а",
        "але",
        "або",
        "чи",
        "но",
        "или",
        "у",
        "в",
        "з",
        "із",
        "зі",
        "до",
        "на",
        "від",
        "по",
        "за",
        "про",
        "о",
        "об",
        "при",
        "для",
        "с",
        "со",
        "к",
        "из",
        "от",
        "після",
        "после",
        "під",
        "под",
        "що",
        "что",
        ",",
        ";",
        ":",
        "—",
        "–",
        "-",
        "(",
        ")",
        "«",
        "»",
        '"',
        ".",
        "!",
        "?",
    ]
)
_SPEECH = frozenset(
    [
        "заявив",
        "заявила",
        "сказав",
        "сказала",
        "повідомив",
        "повідомила",
        "зазначив",
        "зазначила",
        "наголосив",
        "наголосила",
        "додав",
        "додала",
        "підкреслив",
        "підкреслила",
        "написав",
        "написала",
        "назвав",
        "назвала",
        "пояснив",
        "пояснила",
        "вважає",
        "каже",
        "говорить",
        "заявил",
        "сказал",
        "сообщил",
        "сообщила",
        "отметил",
        "отметила",
        "подчеркнул",
        "подчеркнула",
        "добавил",
        "добавила",
        "написал",
        "назвал",
        "объяснил",
        "объяснила",
        "считает",
        "говорит",
        "говорил",
        "говорила",
        "позвонил",
        "позвонила",
        "провів",
        "провела",
        "провел",
        "зустрівся",
        "зустрілася",
        "встретился",
        "встретилась",
    ]
)

# Role words (lemmas) and their English role when nothing after them changes it.
_ROLE_HEADS = {
    "президент": "president",
    "прем'єр-міністр": "prime minister",
    "прем'єр-міністерка": "prime minister",
    "премьер-министр": "prime minister",
    "міністр": "minister",
    "міністерка": "minister",
    "министр": "minister",
    "керівник": "head",
    "керівниця": "head",
    "руководитель": "head",
    "голова": "head",
    "глава": "head",
    "очільник": "head",
    "секретар": "secretary",
    "секретарь": "secretary",
    "держсекретар": "secretary of state",
    "госсекретарь": "secretary of state",
    "помічник": "aide",
    "помічниця": "aide",
    "помощник": "aide",
    "радник": "adviser",
    "радниця": "adviser",
    "советник": "adviser",
    "спецпосланець": "special envoy",
    "посланець": "envoy",
    "спецпосланник": "special envoy",
    "посланник": "envoy",
    "посол": "ambassador",
    "речник": "spokesperson",
    "речниця": "spokesperson",
    "пресс-секретарь": "press secretary",
    "прес-секретар": "press secretary",
    "канцлер": "chancellor",
    "генсек": "secretary general",
    "віцепрезидент": "vice president",
    "вице-президент": "vice president",
    "заступник": "deputy",
    "заместитель": "deputy",
    "командувач": "commander",
    "командующий": "commander",
    "спікер": "speaker",
    "спикер": "speaker",
    "лідер": "leader",
    "лидер": "leader",
    "представник": "representative",
    "представитель": "representative",
    "генерал": "general",
    "король": "king",
    "королева": "queen",
    "папа": "pope",
    "мер": "mayor",
    "губернатор": "governor",
    "посадовець": "official",
    "чиновник": "official",
}
_ROLE_ADJECTIVES = frozenset(
    {
        "державний",
        "государственный",
        "генеральний",
        "генеральный",
        "спеціальний",
        "специальный",
        "головний",
        "главный",
        "перший",
        "первый",
        "новий",
        "новый",
        "колишній",
        "бывший",
        "тодішній",
        "чинний",
        "действующий",
    }
)
# Roles whose whole wording is known: the English role shown for them.
_KNOWN_ROLES = {
    "міністр оборони": "defence minister",
    "министр обороны": "defence minister",
    "міністр закордонних справ": "foreign minister",
    "министр иностранных дел": "foreign minister",
    "міністр фінансів": "finance minister",
    "министр финансов": "finance minister",
    "керівник офісу президента": "head of the Office of the President",
    "секретар рнбо": "secretary of the National Security and Defence Council",
    "державний секретар": "secretary of state",
    "государственный секретарь": "secretary of state",
    "радник з національної безпеки": "national security adviser",
    "советник по национальной безопасности": "national security adviser",
}


@dataclass
class _Token:
    text: str
    start: int
    end: int


def extract_cyrillic_people(title: str, text: str) -> list[Mention]:
    """Every mention of a person in a Ukrainian or Russian title and text, in text order (see the module doc)."""
    title = clip(title, MAX_TITLE_CHARS)
    text = clip(text, MAX_TEXT_CHARS)
    full = f"{title}\n\n{text}" if title else text
    found: list[Mention] = []
    known: dict[str, str] = {}  # surname key -> full name given earlier in the article
    for sentence, offset in _sentences(full):
        tokens = [_Token(m.group(), offset + m.start(), offset + m.end()) for m in _TOKEN.finditer(sentence)]
        for run in _runs(tokens):
            mention = _mention(tokens, run, sentence, known)
            if mention is not None:
                found.append(mention)
    return found


def _sentences(text: str) -> list[tuple[str, int]]:
    out, at = [], 0
    for match in _SENTENCE_END.finditer(text):
        if text[at : match.start()].strip():
            out.append((text[at : match.start()], at))
        at = match.end()
    if text[at:].strip():
        out.append((text[at:], at))
    return out


def _runs(tokens: list[_Token]) -> list[tuple[int, int]]:
    """(start, end) index ranges of name-like words in a row: particles such as "Де" inside, and any capitalised
    word right after a given name (Джорджа Мелоні, where the dictionary knows "мелоні" as another word)."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, token in enumerate([*tokens, _Token(".", 0, 0)]):
        following = tokens[i + 1].text if i + 1 < len(tokens) else ""
        inside = start is not None and (
            (token.text.lower() in _PARTICLES and _name_like(following))
            or (token.text[:1].isupper() and is_cyrillic(token.text) and _given(tokens[i - 1].text))
        )
        if inside or _name_like(token.text, before=following):
            start = i if start is None else start
            continue
        if start is not None:
            runs.append((start, i))
            start = None
    out = []
    for start, end in runs:  # a run is split before each given name that starts a new name: "Путина | Юрий Ушаков"
        cut = start
        for i in range(start + 1, end - 1):
            if tokens[i].text.lower() not in _PARTICLES and _given(tokens[i].text):
                out.append((cut, i))
                cut = i
        out.append((cut, end))
    return out


def _name_like(word: str, before: str = "") -> bool:
    """A capitalised Cyrillic word the dictionaries read as a name, or do not know (a foreign surname); one read as
    an adjective only when no lower-case word follows it (Зеленський, not «Российского фонда»)."""
    kind = _name_kind(word)
    if kind == "adjective":
        return not before[:1].islower()
    return kind == "name" or (kind == "other" and _given(word))


@lru_cache(maxsize=50_000)
def _name_kind(word: str) -> str:
    """ "name", "adjective" (only an -ський/-ский adjective), "other" or "no" (not capitalised Cyrillic)."""
    if not word[:1].isupper() or not is_cyrillic(word) or (word.isupper() and len(word) > 1):
        return "no"
    lower = word.lower()
    readings = [
        p
        for lang in ("uk", "ru")
        if (m := analyzer(lang)) is not None
        for p in m.parse(lower)
        if p.word == lower or not p.is_known
    ]
    known = [p for p in readings if p.is_known]
    if not known or any(_NAME_TAGS & p.tag.grammemes for p in known):
        return "name"
    if any(p.tag.POS == "ADJF" for p in known) and re.search(r"(?:ськ|цьк|ск|цк)", lower):
        return "adjective"
    return "other"


@lru_cache(maxsize=50_000)
def _given(word: str) -> bool:
    """A given name: the dictionaries' Name tag, or (for a word they know at most as a noun) one of analysis/data's
    given names once transliterated (Хакан -> Hakan). Never a preposition or other function word (У, Від)."""
    lower = word.lower()
    if len(lower) < 2 or not is_cyrillic(word):
        return False
    parts_of_speech: set[str | None] = set()
    for lang in ("uk", "ru"):
        morph = analyzer(lang)
        if morph is None:
            continue
        known = [p for p in morph.parse(lower) if p.is_known and p.word == lower]
        if any("Name" in p.tag for p in known):
            return True
        parts_of_speech.update(p.tag.POS for p in known)
    if len(lower) < 3 or parts_of_speech - {"NOUN"}:
        return False
    given = lexicon().given
    return any(
        skeleton(spelling.replace("kh", "h").replace("Kh", "H")) in given
        for spelling in latin_spellings(dictionary_form(word))
    )


def _mention(tokens: list[_Token], run: tuple[int, int], sentence: str, known: dict[str, str]) -> Mention | None:
    start, end = run
    words = [t.text for t in tokens[start:end]]
    if start == 0 and len(words) > 1 and not _given(words[0]) and _given(words[1]):
        start, words = start + 1, words[1:]  # a capitalised first word of the sentence before a given name
    after = tokens[end].text.lower() if end < len(tokens) else ""
    role_words = _role_words(tokens, start)
    speech = after in _SPEECH
    nominative = dictionary_form(" ".join(words))
    surname_key = skeleton(latin_spellings(nominative.split()[-1])[0])
    if len(words) > 3:
        return None
    if len(words) >= 2:
        if not (_given(words[0]) or role_words or speech or _SURNAME_END.search(nominative.split()[-1].lower())):
            return None
        known[surname_key] = nominative
        name = nominative
    else:
        if end < len(tokens) and _name_like(tokens[end].text):
            return None  # "Помощник Путина Юрий Ушаков": part of the next person's description
        name = known.get(surname_key) or nominative
        place = start > 0 and tokens[start - 1].text.lower() in _LOCATIVE  # "у Лондоні заявив": a place
        if surname_key not in known and (place or not (role_words or speech)):
            return None
    role_text = " ".join(role_words) if role_words else None
    return Mention(
        name=name,
        surface=" ".join(words),
        role=_english_role(role_words) if role_words else None,
        role_text=role_text,
        state=None,
        sentence=sentence.strip(),
        start=tokens[start].start,
        end=tokens[end - 1].end,
    )


def _role_words(tokens: list[_Token], start: int) -> list[str]:
    """The words before a name back to a role word, within its clause; [] when there is no role word."""
    collected: list[str] = []
    for i in range(start - 1, max(-1, start - 9), -1):
        word = tokens[i].text
        if word.lower() in _STOPS or not word[:1].isalpha():
            break
        collected.insert(0, word)
    for i, word in enumerate(collected):
        lemma = _lemma(word)
        if lemma in _ROLE_HEADS or lemma.replace("ʼ", "'").replace("’", "'") in _ROLE_HEADS:
            first = i - 1 if i > 0 and _lemma(collected[i - 1]) in _ROLE_ADJECTIVES else i
            return collected[first:]
    return []


@lru_cache(maxsize=50_000)
def _lemma(word: str) -> str:
    lower = word.lower().replace("’", "'").replace("ʼ", "'")
    for lang in ("uk", "ru"):
        morph = analyzer(lang)
        if morph is None:
            continue
        parses = [p for p in morph.parse(lower) if p.is_known and p.word == lower]
        nouns = [p for p in parses if p.tag.POS in ("NOUN", "ADJF")]
        if nouns:
            return str(nouns[0].normal_form)
    return lower


def _english_role(words: list[str]) -> str:
    """The English role for role words whose whole wording is known, or whose head alone is the role; otherwise
    the words as written."""
    lemmas = " ".join(_lemma(w) for w in words)
    written = " ".join(words).lower()
    for wording, english in _KNOWN_ROLES.items():
        if written == wording or lemmas == " ".join(_lemma(w) for w in wording.split()):
            return english
    if len(words) == 1 and _lemma(words[0]) in _ROLE_HEADS:
        return _ROLE_HEADS[_lemma(words[0])]
    return " ".join(words)


def is_cyrillic_text(title: str, text: str) -> bool:
    """Whether an article is mostly Cyrillic (its people are read by this module): more Cyrillic than Latin letters
    in its first thousand characters."""
    sample = (title + " " + text)[:1000]
    if not is_cyrillic(sample):  # the usual case, one C-level search
        return False
    cyrillic = len(re.findall(r"[\u0400-\u04ff]", sample))
    return cyrillic > len(re.findall(r"[A-Za-z]", sample))
