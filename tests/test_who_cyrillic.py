"""Ukrainian and Russian people meet their English mentions (foreign names too, in either order), and /who answers a
Cyrillic name in whatever case a sentence put it in. Own sentences throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diplobot.analysis.cyrillic_names import lookup_spellings, nominative_guesses, readings
from diplobot.analysis.names import same_person
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import enrich_pending, ingest_drafts, store_drafts
from diplobot.store.db import open_database

WHEN = datetime(2025, 9, 5, 9, tzinfo=UTC)

EN_ADVISERS = ArticleDraft(
    title="Security advisers meet in Paris",
    body="Rustem Umerov and Andriy Yermak met national security advisers in Paris. Britain sent Jonathan Powell, "
    'Germany sent Günter Sautter. "The talks were useful," Umerov said.',
    url="https://wire.example/advisers",
    published_at=WHEN,
)
UK_ADVISERS = ArticleDraft(
    title="Радники з безпеки зустрілися в Парижі",
    body="Секретар РНБО Рустем Умєров і керівник Офісу Президента Андрій Єрмак зустрілися з радниками. Від "
    "Британії приїхав Джонатан Пауелл, від Німеччини — Гюнтер Заутер. Умєров заявив, що розмова була корисною.",
    url="https://ukr.example/radnyky",
    published_at=WHEN + timedelta(hours=1),
)
EN_ENVOY = ArticleDraft(
    title="Envoy flies to Moscow",
    body="Kremlin aide Yuri Ushakov said Steve Witkoff would meet officials on Friday.",
    url="https://wire.example/envoy",
    published_at=WHEN + timedelta(hours=2),
)
RU_ENVOY = ArticleDraft(
    title="Уиткофф прилетит в Москву",
    body="Помощник президента Юрий Ушаков сообщил, что Стив Уиткофф встретится с чиновниками в пятницу.",
    url="https://rus.example/uitkoff",
    published_at=WHEN + timedelta(hours=3),
)

# Look-alike surnames, so that a declined name is not left to typo matching (Єрмакові is no Yermakov).
LOOK_ALIKES = ArticleDraft(
    title="Regional officials replaced",
    body="Governor Oleg Yermakov and his deputy Timur Umarov were replaced on Tuesday, said spokesman Ivan Ushakin. "
    "Boris Wittkopf and Anna Sauterova also left.",
    url="https://wire.example/regions",
    published_at=WHEN - timedelta(days=2),
)


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Джонатан Пауелл", "Jonathan Powell"),  # дж as j, ау before a vowel as ow
        ("Гюнтер Заутер", "Günter Sautter"),  # ю after a consonant as ü/u, an initial з as German s
        ("Гюнтер Заутер", "Gunther Sautter"),
        ("Фрідріх Мерц", "Friedrich Merz"),  # ц as German z
        ("Олаф Шольц", "Olaf Scholz"),  # ш as German sch
        ("Стив Уиткофф", "Steve Witkoff"),  # Russian у for an initial w
        ("Емманюель Макрон", "Emmanuel Macron"),
        ("Марош Шефчович", "Maroš Šefčovič"),  # háčeks, folded as English news does
        ("Кароль Навроцький", "Karol Nawrocki"),  # Polish в as w, -цький as -cki
        ("Роберт Фіцо", "Robert Fico"),
        ("Олександр Лукашенко", "Alexander Lukashenko"),  # the Russian form of the given name
        ("Андрій Щербак", "Andriy Shcherbak"),  # щ, -ій as -iy
        ("Євген Шмигаль", "Yevhen Shmyhal"),  # Є at the start as Ye
        ("Ілля Пономарьов", "Ilya Ponomaryov"),  # the soft sign
        ("Кіт Келлог", "Keith Kellogg"),  # double consonants
    ],
)
def test_a_cyrillic_name_is_the_same_person_as_its_english_spelling(cyrillic, latin):
    assert same_person(cyrillic, latin) and same_person(latin, cyrillic)


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Джонатан Пауелл", "Jonathan Paul"),  # one given name, two people
        ("Гюнтер Заутер", "Günter Sauer"),
        ("Фрідріх Мерц", "Friedrich Maerz"),
        ("Андрій Єрмак", "Andriy Sybiha"),
        ("Олена Зеленська", "Volodymyr Zelensky"),
        ("Олег Петров", "Olga Petrova"),
        ("Дональд Туск", "Donald Trump"),
        ("Кароль Навроцький", "Karol Nowacki"),
    ],
)
def test_different_people_stay_apart_across_alphabets(cyrillic, latin):
    assert not same_person(cyrillic, latin)


def test_readings_and_lookup_spellings():
    assert readings("Гюнтер Заутер")[0] == "Hiunter Zauter"  # the national system's reading first
    assert "Gunter Sauter" in readings("Гюнтер Заутер")
    assert "Jonatan Powell" in readings("Джонатан Пауелл")
    assert readings("Jonathan Powell") == ("Jonathan Powell",)
    assert lookup_spellings("Jonathan Powell") == ("Jonathan Powell", "Dzhonathan Pauell")
    assert lookup_spellings("Donald Trump") == ("Donald Trump",)


def _people(db) -> dict[str, set[str]]:
    rows = db.execute("select p.id, s.spelling from people p join person_spellings s on s.person_id = p.id").fetchall()
    out: dict[str, set[str]] = {}
    for person_id, spelling in rows:
        out.setdefault(str(person_id), set()).add(spelling)
    return out


def _owner(persons: dict[str, set[str]], spelling: str) -> str:
    (owner,) = [person for person, spellings in persons.items() if spelling in spellings]
    return owner


@pytest.mark.parametrize("ukrainian_first", [False, True])
def test_foreign_names_merge_with_their_english_mentions_in_either_order(ukrainian_first):
    db = open_database(":memory:")
    drafts = [UK_ADVISERS, EN_ADVISERS] if ukrainian_first else [EN_ADVISERS, UK_ADVISERS]
    for n, draft in enumerate(drafts):
        store_drafts(db, [draft], source_id=None, now=(WHEN + timedelta(minutes=n)).isoformat())
        enrich_pending(db)
    persons = _people(db)
    for cyrillic, latin in [
        ("Джонатан Пауелл", "Jonathan Powell"),
        ("Гюнтер Заутер", "Günter Sautter"),
        ("Рустем Умєров", "Rustem Umerov"),
        ("Андрій Єрмак", "Andriy Yermak"),
    ]:
        assert _owner(persons, cyrillic) == _owner(persons, latin), (cyrillic, persons)
    assert len(persons) == 4
    db.close()


def test_two_jonathans_stay_two_when_the_ukrainian_report_names_one():
    db = open_database(":memory:")
    paul = ArticleDraft(
        title="Charity head resigns",
        body="Jonathan Paul, who ran the charity for a decade, resigned on Monday. Paul said he was proud.",
        url="https://wire.example/paul",
        published_at=WHEN - timedelta(days=1),
    )
    store_drafts(db, [paul, EN_ADVISERS, UK_ADVISERS], source_id=None, now=WHEN.isoformat())
    enrich_pending(db)
    persons = _people(db)
    assert _owner(persons, "Джонатан Пауелл") == _owner(persons, "Jonathan Powell")
    assert _owner(persons, "Jonathan Paul") != _owner(persons, "Jonathan Powell")
    db.close()


def test_nominative_guesses_for_names_typed_in_an_oblique_case():
    assert nominative_guesses("Умєрова")[0] == "Умєров"
    assert nominative_guesses("Єрмаком") == ["Єрмак"]
    assert "Умєров" in nominative_guesses("Умєрову")
    assert "Заутер" in nominative_guesses("Заутером")
    assert "Сибіга" in nominative_guesses("Сибігою")
    assert nominative_guesses("Рустема Умєрова")[0] == "Рустем Умєров"
    assert nominative_guesses("Ушакова") == ["Ушаков"]
    assert nominative_guesses("Умєров") == [] and nominative_guesses("Umerov") == []


async def _load(store, clock, *drafts):
    await ingest_drafts(store, list(drafts), now=clock.now())


@pytest.mark.parametrize(
    "query",
    ["Умєров", "Umerov", "Умєрова", "Умєрову", "Умєровим", "Рустема Умєрова", "Рустемові Умєрову", "Рустемом Умєровим"],
)
async def test_who_answers_umerov_in_any_case(chat, store, clock, query):
    await _load(store, clock, LOOK_ALIKES, EN_ADVISERS, UK_ADVISERS)
    reply = await chat(f"/who {query}")
    assert reply.startswith("Rustem Umerov"), (query, reply)


@pytest.mark.parametrize(
    "query", ["Єрмак", "Yermak", "Єрмаком", "Єрмака", "Єрмакові", "Андрієм Єрмаком", "Ермака", "Ермаком"]
)
async def test_who_answers_yermak_in_any_case(chat, store, clock, query):
    await _load(store, clock, LOOK_ALIKES, EN_ADVISERS, UK_ADVISERS)
    reply = await chat(f"/who {query}")
    assert reply.startswith("Andriy Yermak"), (query, reply)


@pytest.mark.parametrize(
    ("query", "person"),
    [
        ("Ушакова", "Yuri Ushakov"),
        ("Ушаковым", "Yuri Ushakov"),
        ("Уиткоффа", "Steve Witkoff"),
        ("Уиткоффом", "Steve Witkoff"),
        ("Стива Уиткоффа", "Steve Witkoff"),
        ("Заутером", "Günter Sautter"),
        ("Пауеллу", "Jonathan Powell"),
    ],
)
async def test_who_answers_russian_and_foreign_names_in_oblique_cases(chat, store, clock, query, person):
    await _load(store, clock, LOOK_ALIKES, EN_ADVISERS, UK_ADVISERS, EN_ENVOY, RU_ENVOY)
    reply = await chat(f"/who {query}")
    assert reply.startswith(person), (query, reply)


async def test_a_stored_woman_is_not_turned_into_a_man_by_the_guesses(chat, store, clock):
    ushakova = ArticleDraft(
        title="Посол Ушакова прибыла в Женеву",
        body="Посол Мария Ушакова заявила, что переговоры продолжатся.",
        url="https://rus.example/ushakova",
        published_at=WHEN,
    )
    await _load(store, clock, EN_ENVOY, RU_ENVOY, ushakova)
    assert (await chat("/who Мария Ушакова")).startswith("Мария Ушакова")
    assert (await chat("/who Юрия Ушакова")).startswith("Yuri Ushakov")


async def test_who_with_the_english_name_finds_a_person_named_only_in_ukrainian(chat, store, clock):
    await _load(store, clock, UK_ADVISERS)
    for query in ("Jonathan Powell", "Günter Sautter", "Гюнтером Заутером"):
        reply = await chat(f"/who {query}")
        assert reply.startswith(("Джонатан Пауелл", "Гюнтер Заутер")), (query, reply)
        assert "Several people" not in reply and "nobody" not in reply


async def test_an_unknown_inflected_name_still_says_nobody(chat, store, clock):
    await _load(store, clock, EN_ADVISERS, UK_ADVISERS)
    reply = await chat("/who Коваленком")
    assert reply.startswith("I found nobody called Коваленком")
