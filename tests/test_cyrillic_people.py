"""People in Ukrainian and Russian text, from sentences written for these tests."""

from __future__ import annotations

from diplobot.analysis.cyrillic_people import extract_cyrillic_people, is_cyrillic_text
from diplobot.analysis.names import same_person


def people(text: str, title: str = "") -> list[tuple[str, str, str | None]]:
    return [(m.name, m.surface, m.role_text) for m in extract_cyrillic_people(title, text)]


def test_declined_names_are_stored_in_the_nominative_with_their_roles() -> None:
    found = people("Міністр оборони Рустем Умєров провів переговори зі спецпосланцем Стівом Віткоффом.")
    assert ("Рустем Умєров", "Рустем Умєров", "Міністр оборони") in found
    assert ("Стів Віткофф", "Стівом Віткоффом", "спецпосланцем") in found


def test_a_surname_alone_is_the_full_name_given_earlier() -> None:
    found = people("Керівник Офісу Президента Андрій Єрмак прибув до Женеви. Там Єрмак зустрівся з делегацією.")
    assert [name for name, _, _ in found] == ["Андрій Єрмак", "Андрій Єрмак"]
    assert found[0][2] == "Керівник Офісу Президента"


def test_two_people_with_one_given_name_stay_two() -> None:
    found = people("Андрій Єрмак і Андрій Сибіга прибули до Женеви.")
    assert {name for name, _, _ in found} == {"Андрій Єрмак", "Андрій Сибіга"}
    assert not same_person("Андрій Єрмак", "Андрій Сибіга")


def test_places_institutions_and_sentence_starts_are_not_people() -> None:
    found = people(
        "У Стамбулі делегації працювали дві години. Від Франції говорив посол. Офіс Президента "
        "повідомив про зустріч у Лондоні."
    )
    assert found == []


def test_a_russian_sentence() -> None:
    found = people(
        "Помощник президента Юрий Ушаков сообщил, что Владимир Путин позвонил Дональду Трампу. "
        "Трамп заявил, что разговор был хорошим."
    )
    names = [name for name, _, _ in found]
    assert names == ["Юрий Ушаков", "Владимир Путин", "Дональд Трамп", "Дональд Трамп"]
    assert found[0][2] == "Помощник президента"


def test_a_word_before_a_full_name_describes_it() -> None:
    found = people("Помощник Путина Юрий Ушаков ответил журналистам.")
    assert found == [("Юрий Ушаков", "Юрий Ушаков", "Помощник Путина")]


def test_a_surname_after_a_role_word() -> None:
    assert people("Він мав розмову з президентом Зеленським.") == [("Зеленський", "Зеленським", "президентом")]


def test_known_roles_are_given_in_english() -> None:
    (mention,) = extract_cyrillic_people("", "Министр иностранных дел Сергей Лавров выступил в ООН.")
    assert mention.role == "foreign minister" and mention.role_text == "Министр иностранных дел"


def test_cyrillic_and_english_spellings_of_one_person_meet() -> None:
    assert same_person("Стів Віткофф", "Steve Witkoff")
    assert same_person("Дональд Трамп", "Donald Trump")
    assert same_person("Рустем Умєров", "Rustem Umerov")
    assert same_person("Владимир Зеленский", "Володимир Зеленський")
    assert not same_person("Дональд Туск", "Donald Trump")
    assert not same_person("Олена Зеленська", "Volodymyr Zelensky")


def test_which_articles_are_read_as_cyrillic() -> None:
    assert is_cyrillic_text("Переговори у Женеві", "Делегації працювали до ночі.")
    assert not is_cyrillic_text("Talks in Geneva", "Delegations met; «Переговори» was the Ukrainian headline.")
