"""Forms of Ukrainian and Russian topic phrases, from sentences written for these tests."""

from __future__ import annotations

import pytest

from diplobot.analysis.inflect import lemma_key, phrase_forms, phrase_languages
from diplobot.analysis.matcher import Matcher
from diplobot.analysis.query import parse_query


def _matches(topic: str, text: str) -> bool:
    """Whether a subscription to `topic`, with its forms as the matcher's variants, matches `text`."""
    matcher = Matcher(variants=phrase_forms)
    matcher.update({1: parse_query(topic)})
    return 1 in matcher.match(text, "", "")


@pytest.mark.parametrize(
    "sentence",
    [
        "Лідери говорили про коаліцію охочих.",
        "Засідання коаліції охочих відбудеться в Парижі.",
        "Коаліція охочих збереться знову.",
        "Париж керуватиме коаліцією охочих разом із Лондоном.",
    ],
)
def test_ukrainian_noun_with_dependent_genitive(sentence: str) -> None:
    assert _matches("коаліція охочих", sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Президент говорив о гарантиях безопасности для Киева.",
        "Вопрос гарантий безопасности остается открытым.",
        "Стороны обсудили гарантии безопасности.",
        "Все упирается в гарантию безопасности.",
    ],
)
def test_russian_noun_with_dependent_genitive(sentence: str) -> None:
    assert _matches("гарантии безопасности", sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Деталі мирного плану не розголошують.",
        "Посол ознайомився з мирним планом.",
        "Депутати говорили про мирні плани сторін.",
    ],
)
def test_adjective_agrees_with_its_noun(sentence: str) -> None:
    assert _matches("мирний план", sentence)


def test_dependent_word_keeps_its_case() -> None:
    # "безпеки" depends on "гарантії": it never takes the sentence's case, so a different phrase does not match
    forms = phrase_forms("гарантії безпеки")
    assert {"гарантій безпеки", "гарантіями безпеки", "гарантії безпеки"} <= forms
    assert "гарантіями безпекою" not in forms
    assert not _matches("гарантії безпеки", "Він згадав про гарантії, а не про безпеку.")


def test_look_alike_phrases_do_not_match() -> None:
    assert not _matches("коаліція охочих", "Коаліція культурних ініціатив провела форум.")
    assert not _matches("гарантии безопасности", "Премьер потребовал дополнительных гарантий.")
    assert not _matches("мирний план", "Мирний житель розповів про план евакуації.")


def test_phrase_typed_in_an_oblique_case_finds_the_nominative() -> None:
    assert _matches("гарантиях безопасности", "Гарантии безопасности обсудят в Женеве.")
    assert _matches("обміну полоненими", "Обмін полоненими відбувся вночі.")


def test_forms_survive_the_scan_form_folding() -> None:
    # the matcher hands variants the folded form (й -> и, ї -> і); the words are still recognised
    assert "мирного плану" in phrase_forms("мирнии план")
    assert "гарантіями безпеки" in phrase_forms("гарантіі безпеки")


def test_russian_participle_stays_a_passive_participle() -> None:
    forms = phrase_forms("замороженные активы")
    assert {"замороженных активов", "замороженными активами"} <= forms
    assert not any(form.startswith("заморозивш") for form in forms)


def test_names_decline_together() -> None:
    assert "стівом віткоффом" in phrase_forms("Стів Віткофф")
    assert "єрмаком" in phrase_forms("Єрмак")
    assert "зеленським" in phrase_forms("Зеленський")


def test_phrases_without_cyrillic_or_without_a_noun_keep_their_form() -> None:
    assert phrase_forms("security guarantees") == {"security guarantees"}
    assert phrase_forms("на фронті") == {"на фронті"}  # a preposition before the noun: not expanded
    assert phrase_forms("") == frozenset()


def test_languages_by_letters() -> None:
    assert phrase_languages("гарантії безпеки") == ("uk",)
    assert phrase_languages("мирный план") == ("ru",)
    assert phrase_languages("план") == ("uk", "ru")


def test_lemma_key_is_one_for_every_form() -> None:
    assert lemma_key("гарантиях безопасности") == lemma_key("гарантии безопасности") == "гарантия безопасность"
    assert lemma_key("мирних переговорах") == lemma_key("мирні переговори")
    assert lemma_key("замороженных активов") == lemma_key("замороженные активы")
    assert lemma_key("security guarantees") == "security guarantees"
