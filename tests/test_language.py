"""Language per article: Ukrainian and Russian told apart by their own letters and frequent words (own sentences)."""

from __future__ import annotations

import pytest

from diplobot.analysis.language import detect_language, detect_text, language_name


@pytest.mark.parametrize(
    "text",
    [
        "Міністр закордонних справ заявив, що переговори тривають і будуть продовжені наступного тижня.",
        "Делегація повернулася з Женеви, де обговорювали гарантії безпеки та обмін полоненими.",
        "Прем'єр-міністерка зустрілася з послом, який привіз лист від президента.",
        "Сторони домовилися про обмін полоненими",  # a headline: no і, ї, є, ґ needed when the words tell
    ],
)
def test_ukrainian(text: str) -> None:
    assert detect_text(text) == "uk"


@pytest.mark.parametrize(
    "text",
    [
        "Министр иностранных дел заявил, что переговоры продолжатся на следующей неделе.",
        "Делегация вернулась из Женевы, где обсуждали гарантии безопасности и обмен пленными.",
        "Это решение было принято после встречи, которая длилась три часа.",
        "Стороны договорились об обмене пленными",
    ],
)
def test_russian(text: str) -> None:
    assert detect_text(text) == "ru"


def test_shared_words_do_not_decide_alone() -> None:
    # "не", "на", "за" are both languages' words: the letters and the other words decide
    assert detect_text("Президент не приїхав на зустріч у Києві за планом.") == "uk"
    assert detect_text("Президент не приехал на встречу в Киеве за планом, это странно.") == "ru"


def test_a_russian_quote_in_a_ukrainian_report_stays_ukrainian() -> None:
    text = (
        "Речник Кремля заявив журналістам, що «это не обсуждается», але українська сторона наполягає на "
        "повному припиненні вогню, яке має тривати щонайменше тридцять днів."
    )
    assert detect_text(text) == "uk"


@pytest.mark.parametrize(
    "text",
    [
        "Ceasefire talks resume in Geneva",
        "The foreign minister said the talks would continue next week in Istanbul.",
        "Erdoğan hosts Günter Sautter and Emmanuel Bonne for talks on the truce",  # accents in names stay English
    ],
)
def test_english(text: str) -> None:
    assert detect_text(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "Die Verhandlungen über einen Waffenstillstand werden in Genf fortgesetzt.",
        "Les négociations sur le cessez-le-feu reprennent à Genève.",
        "Rozmowy pokojowe zostaną wznowione w Genewie, jak powiedział minister.",
        "Преговорите в Женева продължават, каза той, че ще има среща.",  # Bulgarian
        "Преговори у Женеви се настављају, рекао је министар.",  # Serbian
        "Перамовы ў Жэневе працягнуцца на наступным тыдні.",  # Belarusian
        "停戦交渉はジュネーブで再開される",
        "Οι συνομιλίες για την εκεχειρία συνεχίζονται στη Γενεύη.",
    ],
)
def test_other_languages_are_marked_other(text: str) -> None:
    assert detect_text(text) == "other"


def test_too_little_text_is_unknown() -> None:
    assert detect_text("Зеленський") is None
    assert detect_text("2025-09-04") is None
    assert detect_language(None, None, None) is None


def test_article_fields_are_read_title_first() -> None:
    assert detect_language("Переговори у Стамбулі", "Сторони домовилися про обмін полоненими.", "") == "uk"
    assert detect_language("Talks in Istanbul", None, "The sides agreed on a prisoner exchange.") == "en"


def test_names_for_chats() -> None:
    assert language_name("uk") == "Ukrainian"
    assert language_name("ru") == "Russian"
    assert language_name("other") == "other language"
    assert language_name(None) == ""


async def test_stored_with_its_language_and_tagged_in_latest(chat, store, clock) -> None:
    from diplobot.ingest.models import ArticleDraft
    from diplobot.pipeline import ingest_drafts

    drafts = [
        ArticleDraft(
            title="Переговори у Стамбулі",
            body="Сторони домовилися про обмін полоненими у форматі 1000 на 1000, повідомив міністр.",
            url="https://news.example/uk-1",
        ),
        ArticleDraft(
            title="Talks in Istanbul",
            body="The sides agreed on a prisoner exchange, the minister said.",
            url="https://news.example/en-1",
        ),
    ]
    await ingest_drafts(store, drafts, now=clock.now())
    rows = await store.run(lambda db: dict(db.execute("select title, lang from articles").fetchall()))
    assert rows == {"Переговори у Стамбулі": "uk", "Talks in Istanbul": "en"}
    latest = await chat("/latest")
    ukrainian = next(line for line in latest.splitlines() if "Стамбулі" in line)
    english = next(line for line in latest.splitlines() if "Talks in Istanbul" in line)
    assert "in Ukrainian" in ukrainian
    assert "English" not in english and "Ukrainian" not in english  # English carries no tag


def test_alert_card_shows_the_language() -> None:
    from diplobot.handlers.alerts import alert_reply

    article = {
        "title": "Переговори у Стамбулі",
        "url": "https://news.example/uk-1",
        "summary": "",
        "body": "",
        "published_at": "2025-05-16T10:00:00+00:00",
        "source": "Укрінформ",
        "lang": "uk",
    }
    topic = {
        "id": 1,
        "describe": 'phrase "обмін полоненими"',
        "phrase": "обмін полоненими",
        "field": "title",
        "start": 0,
        "end": 10,
    }
    text = alert_reply(article, [topic], "UTC").plain()
    assert "Укрінформ · 2025-05-16 10:00 · in Ukrainian" in text
