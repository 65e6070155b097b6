"""Cyrillic names: back to the nominative, into Latin letters, and kept apart when they differ (own sentences)."""

from __future__ import annotations

import pytest

from diplobot.analysis.cyrillic_names import (
    counterpart,
    dictionary_form,
    guess_language,
    latin_spellings,
    news_spelling,
    spellings,
    transliterate,
)
from diplobot.analysis.names import same_person


@pytest.mark.parametrize(
    ("written", "nominative"),
    [
        ("Єрмака", "Єрмак"),  # «зустріч Єрмака з радниками»
        ("Єрмаком", "Єрмак"),  # «разом з Єрмаком»
        ("Стівом Віткоффом", "Стів Віткофф"),  # «зі спецпосланцем Стівом Віткоффом»
        ("Віткоффу", "Віткофф"),
        ("Уиткоффа", "Уиткофф"),  # «позиция Уиткоффа»
        ("Владимиру Зеленскому", "Владимир Зеленский"),  # «Трамп позвонил Владимиру Зеленскому»
        ("Зеленським", "Зеленський"),  # «розмова з президентом Зеленським»
        ("Олені Зеленській", "Олена Зеленська"),  # a woman's name declines as a woman's
        ("Марию Захарову", "Мария Захарова"),
        ("Рустемом Умєровим", "Рустем Умєров"),
        ("Умєрова", "Умєров"),  # a lone unknown surname in -а: a man's genitive
        ("Юлії Свириденко", "Юлія Свириденко"),  # the surname does not decline, the given name does
        ("Дональда Трампа", "Дональд Трамп"),
        ("Сергея Лаврова", "Сергей Лавров"),
    ],
)
def test_names_go_back_to_the_nominative(written: str, nominative: str) -> None:
    assert dictionary_form(written) == nominative


@pytest.mark.parametrize(
    "name",
    [
        "Андрій Єрмак",
        "Рустем Умєров",
        "Марко Рубіо",
        "Кирилл Дмитриев",
        "Єрмак",
        "Джорджа Мелоні",
        "Захарова",
        "Steve Witkoff",
    ],
)
def test_nominatives_and_undeclined_names_stay_as_written(name: str) -> None:
    assert dictionary_form(name) == name


def test_capitals_are_kept() -> None:
    assert dictionary_form("ЄРМАКОМ") == "ЄРМАКОМ"  # all capitals: an acronym as often as a name, left alone
    assert dictionary_form("Віткоффом") == "Віткофф"


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Андрій Єрмак", "Andrii Yermak"),
        ("Володимир Зеленський", "Volodymyr Zelenskyi"),
        ("Олексій Сергієнко", "Oleksii Serhiienko"),
        ("Юрій Згурський", "Yurii Zghurskyi"),  # зг -> zgh
        ("Їжакевич", "Yizhakevych"),  # word-initial ї, є, й, ю, я
        ("Щербак", "Shcherbak"),
        ("Гюнтер", "Hiunter"),
    ],
)
def test_ukrainian_national_system(cyrillic: str, latin: str) -> None:
    assert transliterate(cyrillic, "uk") == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Дмитрий Песков", "Dmitry Peskov"),
        ("Юрий Ушаков", "Yury Ushakov"),
        ("Сергей Лавров", "Sergey Lavrov"),
        ("Евгений", "Yevgeny"),
        ("Пётр", "Pyotr"),
        ("Горбачёв", "Gorbachev"),
        ("Мария Захарова", "Mariya Zakharova"),
    ],
)
def test_russian_as_english_news_spells_it(cyrillic: str, latin: str) -> None:
    assert transliterate(cyrillic, "ru") == latin


def test_language_from_letters_and_endings() -> None:
    assert guess_language("Єрмак") == "uk"
    assert guess_language("Дмитрий") == "ru"
    assert guess_language("Лавров") == "uk"  # nothing tells: the Ukrainian system, and both from latin_spellings
    assert set(latin_spellings("Ермак")) == {"Ermak", "Yermak"}
    assert transliterate("Steve Witkoff") == "Steve Witkoff"


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Андрій Єрмак", "Andriy Yermak"),
        ("Рустем Умєров", "Rustem Umerov"),
        ("Володимир Зеленський", "Volodymyr Zelensky"),
        ("Олексій Кулеба", "Oleksiy Kuleba"),
    ],
)
def test_ukrainian_as_english_news_spells_it(cyrillic: str, latin: str) -> None:
    assert news_spelling(cyrillic) == latin
    assert latin in latin_spellings(cyrillic)


@pytest.mark.parametrize(
    ("written", "english"),
    [
        ("Єрмаком", "Yermak"),
        ("Андрієм Єрмаком", "Andriy Yermak"),
        ("Умєрова", "Rustem Umerov"),
        ("Владимиру Зеленскому", "Volodymyr Zelensky"),
        ("Зеленським", "Zelenskyy"),
    ],
)
def test_declined_cyrillic_names_meet_their_english_spelling(written: str, english: str) -> None:
    assert any(same_person(spelling, english) for spelling in spellings(dictionary_form(written)))


def test_given_names_in_the_other_language() -> None:
    assert counterpart("Владимир Зеленский") == "Володимир Зеленский"
    assert counterpart("Сергій Лавров") == "Сергей Лавров"
    assert counterpart("Стів Віткофф") is None
    assert "Sergey Lavrov" in spellings("Сергій Лавров")


def test_two_andrii_stay_two() -> None:
    # «Андрій Єрмак і Андрій Сибіга прибули до Женеви»: one given name, two people
    assert not same_person("Андрій Єрмак", "Андрій Сибіга")
    assert not same_person(transliterate("Андрій Єрмак"), transliterate("Андрій Сибіга"))
    assert dictionary_form("Андрієм Сибігою") != dictionary_form("Андрієм Єрмаком")
