"""The one topic service: reading queries, their identity, and finding stored articles exactly as alerts match them."""

from __future__ import annotations

import random
import re
import sqlite3
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest

from diplobot.analysis import topics
from diplobot.analysis.lexicon import Lexicon
from diplobot.analysis.query import QueryError, parse_query
from diplobot.analysis.text import normalize_phrase
from diplobot.analysis.topics import UNFOLDED, Topics, Window, topic_key
from diplobot.enrichment.corpus import StoredArticles
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import store_drafts
from diplobot.store.db import open_database

FIXTURES = Path(__file__).parent / "fixtures"
NOW = "2025-09-04T10:00:00+00:00"


class Spellings(StoredArticles):
    """Stored articles, with people's other spellings given by the test instead of the people index."""

    def __init__(self, db, spellings=None):
        super().__init__(db)
        self.spellings = spellings or {}

    def variants(self, phrase):
        return self.spellings.get(phrase, [])


def stored(*texts, published=None, now=NOW):
    """An in-memory store holding one article per text (title "A<n>", the text as body); ids follow the order."""
    db = open_database(":memory:")
    drafts = [
        ArticleDraft(
            title=f"A{n}",
            body=text,
            url=f"https://news.example/{n}",
            published_at=datetime.fromisoformat(published[n]) if published and published[n] else None,
        )
        for n, text in enumerate(texts)
    ]
    store_drafts(db, drafts, source_id=None, now=now)
    return db


def found_ids(service, text, **kwargs):
    return [hit.article["id"] for hit in service.find({0: parse_query(text)}, **kwargs).hits]


# --- the prefilter finds every article the matcher matches --------------------------------------------------------

SPELLINGS = [  # (topic as typed, article text the matcher matches although the index holds other words)
    ("ceasefire", "A cease-fire was agreed."),
    ("O'Brien", "Officials met OBrien today."),
    ("obrien", "Officials met O’Brien today."),
    ("US envoy", "The U.S. envoy arrived."),
    ("Lodz", "Talks in Łódź resumed."),
    ("Київ", "Делегація прибула до Киів."),
    ("Киів", "Делегація прибула до Київ."),
    ("Kilicdaroglu", "Kılıçdaroğlu spoke."),
    ("Soren", "Søren spoke."),
    ("strasse", "Die Straße."),
    ("Семенов", "Сказал Семёнов."),
    ("Вячеслав", "Сказав В'ячеслав."),
    ("Миколаівськии суд", "Миколаївський суд ухвалив."),
    ("email", "Send an e-mail."),
    ("Ukraine security guarantees", "On Ukraine's security guarantees, nothing new."),
    ("security guarantee", "Security guarantees were discussed."),
    ("crisis", "Several crises."),
    ("Τσίπρας", "Ο Τσιπρας είπε"),
    ("Giscard d'Estaing", "Giscard d’Estaing said"),
    ("Erdoğan", "Erdogan said"),
    ("coalition of the willing", "The coalition of the willing met."),
    ('"security guarantees" -loan', "Security guarantees, not a grant."),
    ("(ceasefire OR truce) Kyiv", "A truce for Kyiv."),
]


@pytest.mark.parametrize(("topic", "text"), SPELLINGS, ids=[t for t, _ in SPELLINGS])
def test_an_article_the_matcher_matches_is_found_whatever_the_index_holds(topic, text):
    db = stored("Nothing about it here.", text)
    service = Topics(StoredArticles(db))
    assert service.matcher({0: parse_query(topic)}).match("", "", text)
    assert found_ids(service, topic) == [2]


def corpus_texts():
    texts = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "corpus" / "articles").glob("*.txt"))]
    return texts + [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "seeds").glob("*.txt"))]


def test_over_real_articles_every_phrase_finds_exactly_what_the_matcher_matches():
    """Phrases cut from the articles themselves (punctuation, possessives, hyphens, capitals as written)."""
    texts = corpus_texts()
    db = stored(*texts)
    service = Topics(StoredArticles(db))
    rng = random.Random(5)
    checked = 0
    for _ in range(250):
        words = rng.choice(texts).split()
        start = rng.randrange(len(words))
        topic = " ".join(words[start : start + rng.randint(1, 3)]).strip('"“”()-—.,;:')
        try:
            query = service.parse(topic)
        except QueryError:
            continue
        matcher = service.matcher({0: query})
        expected = [n + 1 for n, text in enumerate(texts) if matcher.match("", "", text)]
        assert sorted(found_ids(service, topic, cap=1000)) == expected, topic
        checked += 1
    assert checked > 150


def test_the_unfolded_letters_are_exactly_those_sqlite_keeps_as_they_are():
    """Latin, Greek and Cyrillic lower-case letters the scan form folds but FTS5 (unicode61, remove_diacritics 2)
    does not: the prefilter puts exactly these back."""
    db = sqlite3.connect(":memory:")
    db.execute("create virtual table t using fts5(x, tokenize='porter unicode61 remove_diacritics 2')")
    kept = []
    for code in range(0xC0, 0x530):
        letter = chr(code)
        folded = normalize_phrase(letter)
        if unicodedata.category(letter) != "Ll" or not folded.isalpha() or normalize_phrase(folded) != folded:
            continue
        db.execute("delete from t")
        db.execute("insert into t values (?)", [f"qq{letter}zz"])
        if not db.execute("select count(*) from t where t match ?", [f'"qq{folded}zz"']).fetchone()[0]:
            kept.append(letter)
    assert set(kept) == set(UNFOLDED)


# --- people's other spellings -----------------------------------------------------------------------------------


def test_a_person_is_found_under_every_spelling_and_keys_include_them():
    db = stored("Steve Witkoff arrived.", "Vitkoff met officials in Moscow.", "Nothing.")
    service = Topics(Spellings(db, {"witkoff": ["Vitkoff", "Віткофф"]}))
    assert found_ids(service, "Witkoff") == [2, 1]
    assert found_ids(Topics(StoredArticles(db)), "Witkoff") == [1]  # nobody known: the typed spelling only
    assert " vitkoff " in service.keys(parse_query("Witkoff").expr)


# --- reading queries --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a", "too common or too short"),
        ("The", "too common or too short"),
        ("of the", "too common or too short"),
        ("x", "too common or too short"),
        ("the OR ceasefire", "too common or too short"),
        ("the -ceasefire", "too common or too short"),
        ("ceasefire -ceasefire", "can never match"),
        ("ceasefire -ceasefires", "can never match"),
        ('"security guarantees" -security', "can never match"),
        ("(ceasefire OR truce) -ceasefire -truce", "can never match"),
    ],
)
def test_queries_that_would_match_everything_or_nothing_are_refused_with_the_reason(text, says):
    with pytest.raises(QueryError, match=says):
        Topics(StoredArticles(stored())).parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "US",
        "G7",
        "EU",
        "ceasefire -truce",
        "coalition of the willing",
        "(ceasefire OR truce) -ceasefire",
        '"security guarantees" -"security council"',
        '"Kyiv, Moscow" -"kyiv moscow"',
    ],
)
def test_ordinary_queries_are_accepted(text):
    Topics(StoredArticles(stored())).parse(text)


def test_a_name_and_its_other_spelling_excluded_can_never_match():
    service = Topics(Spellings(stored(), {"witkoff": ["Vitkoff"], "vitkoff": ["Witkoff"]}))
    with pytest.raises(QueryError, match="can never match"):
        service.parse("Witkoff -Vitkoff")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ceasefire", "CEASEFIRE"),
        ("Erdoğan", "Erdogan"),
        ("ceasefire", "ceasefires"),
        ("ceasefire", '"ceasefire"'),
        ("truce AND ceasefire", "ceasefire AND truce"),
        ("ceasefire OR truce", "truce OR ceasefire"),
        ('"security guarantees" -loan', '-loan "Security Guarantees"'),
    ],
)
def test_the_same_topic_written_differently_has_one_identity(one, other):
    assert topic_key(parse_query(one)) == topic_key(parse_query(other))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ceasefire", "ceasefire -truce"),
        ("Kyiv, Moscow", "Kyiv Moscow"),
        ("truce ceasefire", "ceasefire truce"),
        ("ceasefire OR truce", "ceasefire truce"),
    ],
)
def test_different_topics_keep_different_identities(one, other):
    assert topic_key(parse_query(one)) != topic_key(parse_query(other))


# --- finding ----------------------------------------------------------------------------------------------------


def test_newest_first_by_publication_date_never_later_than_fetching():
    published = [
        None,
        "2025-09-01T00:00:00+00:00",
        "2025-09-03T00:00:00+00:00",
        "2031-01-01T00:00:00+00:00",
        "2025-08-01T00:00:00+00:00",
    ]
    db = stored(*["a ceasefire"] * 5, published=published)
    service = Topics(StoredArticles(db))
    # no date and a future date count as the fetch date (2025-09-04, ties newest id first), then by publication
    assert found_ids(service, "ceasefire") == [4, 1, 3, 2, 5]
    assert found_ids(service, "ceasefire", limit=2, offset=2) == [3, 2]
    window = Window(since="2025-09-02T00:00:00+00:00", until="2025-09-04T00:00:00+00:00")
    assert found_ids(service, "ceasefire", window=window) == [3]


def test_a_bounded_search_says_its_total_is_a_lower_bound():
    db = stored(*[f"ceasefire {n}" for n in range(7)], *["ceasefire-adjacent words"] * 3)
    service = Topics(StoredArticles(db))
    query = {0: parse_query("ceasefire")}
    everything = service.find(query, limit=2)
    assert (everything.total, everything.complete, len(everything.hits)) == (7, True, 2)
    capped = service.find(query, limit=2, cap=4)
    assert capped.total <= 4 and not capped.complete
    quick = service.find(query, limit=2, count=False)
    assert len(quick.hits) == 2 and not quick.complete


def test_stories_per_day_counts_each_story_once_on_its_first_day_in_the_chats_zone():
    published = ["2025-09-01T23:30:00+00:00", "2025-09-02T08:00:00+00:00", "2025-09-02T09:00:00+00:00"]
    db = stored("a ceasefire in Gaza", "the Gaza ceasefire holds", "ceasefire talks resume", published=published)
    db.execute("update articles set story_id = 1 where id in (1, 2)")  # the second reports the first's story
    days, complete = Topics(StoredArticles(db)).stories_per_day(parse_query("ceasefire"), Window(), "Europe/Kyiv")
    assert complete
    assert {day: [hit.article["id"] for hit in hits] for day, hits in days.items()} == {
        date(2025, 9, 2): [3, 1]
    }  # 23:30 UTC is 02:30 in Kyiv


def test_the_prefilter_of_a_word_in_another_script_keeps_the_rest():
    service = Topics(StoredArticles(stored("北京 summit on trade", "summit elsewhere")))
    assert found_ids(service, "北京 summit") == [1]
    assert re.search(r"summit", service.prefilter([parse_query("北京 summit")]) or "")


def test_a_query_the_index_cannot_narrow_is_matched_against_the_newest_articles():
    service = Topics(StoredArticles(stored("北京 summit on trade", "summit elsewhere")))
    assert service.prefilter([parse_query("北京")]) is None
    assert found_ids(service, "北京") == [1]


def test_a_pruned_article_still_counts_in_its_fetch_window_by_its_title():
    db = stored("Kept text about a ceasefire.", "Text that retention removes.", "Unrelated.")
    db.execute("update articles set title = 'Ceasefire holds', body = '', pruned_at = ? where id = 2", [NOW])
    window = Window(since="2025-09-04T00:00:00+00:00", until="2025-09-05T00:00:00+00:00", by="fetched")
    assert found_ids(Topics(StoredArticles(db)), "ceasefire", window=window) == [2, 1]
    assert found_ids(Topics(StoredArticles(db)), "ceasefire", window=Window(since=NOW[:10] + "T11", by="fetched")) == []


def test_many_other_spellings_still_narrow_by_the_index_and_are_all_found(monkeypatch):
    """Other spellings (people's, translations) are looked for as stored and as plain words; over the budget the
    typed words are looked for as plain words too, and far over it there is no prefilter (a bounded scan)."""
    spellings = {"ceasefire": [f"перемир'я{n}" for n in range(14)] + ["припинення вогню"]}
    db = stored("Оголосили припинення вогню.", "Говорили про перемир'я7.", "Nothing.")
    service = Topics(Spellings(db, spellings), Lexicon())  # these spellings only, no translations
    query = parse_query("ceasefire")
    assert "cease fire" in service.prefilter([query])
    monkeypatch.setattr(topics, "MAX_FTS_STRINGS", 45)
    assert "cease fire" not in service.prefilter([query])
    assert sorted(found_ids(service, "ceasefire")) == [1, 2]
    monkeypatch.setattr(topics, "MAX_FTS_STRINGS", 10)
    assert service.prefilter([query]) is None
    assert sorted(found_ids(service, "ceasefire")) == [1, 2]


def test_a_few_other_spellings_keep_every_form_of_the_typed_word():
    service = Topics(Spellings(stored("A cease-fire.", "Перемир'я."), {"ceasefire": ["перемир'я"]}))
    assert sorted(found_ids(service, "ceasefire")) == [1, 2]
