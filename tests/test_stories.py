"""Story grouping: syndicated rewrites share one story (one alert); different events stay apart."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from diplobot import pipeline
from diplobot.analysis.stories import extract_features, group_articles, same_story, smoothed_idf
from diplobot.enrichment import stories
from diplobot.enrichment.stories import StoryAssigner, assign_story
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import MatchState, Pipeline, enrich_pending, match_pending, store_drafts
from diplobot.sandbox import Sandbox
from diplobot.store import articles
from diplobot.store.db import open_database
from diplobot.store.migrations import MIGRATIONS
from diplobot.store.worker import Store

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
LABELS = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))["articles"]
REWRITES = [(item["duplicate_of"], item["file"]) for item in LABELS if item["duplicate_of"]]
ISTANBUL_MAY = "2025-05-16-istanbul-first-direct-talks.txt"
ISTANBUL_JUNE = "2025-06-02-istanbul-second-round-memorandums.txt"
PARIS_ADVISERS = "2025-09-03-paris-yermak-umerov-witkoff-advisers.txt"
PARIS_ADVISERS_REWRITE = "2025-09-04-paris-meeting-vitkoff-advisers.txt"
PARIS_COALITION = "2025-09-04-coalition-of-the-willing-paris-summit.txt"
NOW = "2025-10-01T00:00:00+00:00"


def article(name: str) -> dict:
    lines = (CORPUS / "articles" / name).read_text(encoding="utf-8").splitlines()
    date = re.search(r"\d{4}-\d{2}-\d{2}", lines[0]).group()
    return {
        "file": name,
        "title": lines[1],
        "body": "\n".join(lines[2:]).strip(),
        "published_at": datetime.fromisoformat(date).replace(tzinfo=UTC),
    }


def stories_of(names: list[str]) -> dict[str, int]:
    """Each file's story, as group_articles decides it (numbered by the story's first file in `names`)."""
    stories = group_articles([article(name) for name in names])
    return {name: names[story] for name, story in zip(names, stories, strict=True)}


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "t.db")
    yield database
    database.close()


def store(db, name: str) -> int:
    """Insert a corpus article the way ingest does and assign its story in the same transaction."""
    item = article(name)
    with db.conn:
        row_id = (
            db["articles"]
            .insert(
                {
                    "title": item["title"],
                    "summary": item["body"].split("\n\n")[0],
                    "body": item["body"],
                    "published_at": item["published_at"].isoformat(),
                    "fetched_at": item["published_at"].isoformat(),
                    "content_hash": hashlib.sha256(item["body"].encode()).hexdigest(),
                }
            )
            .last_pk
        )
        assign_story(db, row_id)
    return row_id


def story_id(db, row_id: int) -> int:
    return db["articles"].get(row_id)["story_id"]


def test_each_labelled_rewrite_joins_its_original_story_across_the_corpus():
    names = sorted(item["file"] for item in LABELS)
    stories = stories_of(names)
    for original, rewrite in REWRITES:
        assert stories[rewrite] == stories[original] == original
    assert len(set(stories.values())) == len(names) - len(REWRITES)


@pytest.mark.parametrize(("original", "rewrite"), REWRITES)
def test_a_rewrite_published_after_its_original_joins_the_original_story(original, rewrite):
    assert stories_of([original, rewrite]) == {original: original, rewrite: original}


@pytest.mark.parametrize(("original", "rewrite"), REWRITES)
def test_a_rewrite_published_before_its_original_defines_the_story(original, rewrite):
    earlier_copy = dict(article(rewrite), published_at=article(original)["published_at"] - timedelta(hours=1))
    assert group_articles([article(original), earlier_copy]) == [1, 1]


def test_istanbul_talks_in_may_and_june_stay_two_stories_despite_shared_names():
    assert stories_of([ISTANBUL_MAY, ISTANBUL_JUNE]) == {ISTANBUL_MAY: ISTANBUL_MAY, ISTANBUL_JUNE: ISTANBUL_JUNE}


def test_same_city_months_apart_is_kept_apart_by_time_even_with_identical_text():
    may = article(ISTANBUL_MAY)
    june = dict(may, published_at=article(ISTANBUL_JUNE)["published_at"])
    assert group_articles([may, june]) == [0, 1]


def test_paris_coalition_summit_and_advisers_meeting_on_the_same_day_are_different_stories():
    names = [PARIS_ADVISERS, PARIS_COALITION, PARIS_ADVISERS_REWRITE]
    assert stories_of(names) == {
        PARIS_ADVISERS: PARIS_ADVISERS,
        PARIS_COALITION: PARIS_COALITION,
        PARIS_ADVISERS_REWRITE: PARIS_ADVISERS,
    }


def test_witkoff_and_vitkoff_spellings_count_as_one_name():
    when = datetime(2025, 9, 3, tzinfo=UTC)
    a = extract_features("Envoy meets advisers", "Talks with Steve Witkoff and Günter Sautter in Paris.", when)
    b = extract_features("Envoy meets advisers", "Talks with Steve Vitkoff and Gunther Sautter in Paris.", when)
    unrelated = extract_features("Envoy meets advisers", "Talks with Kaja Kallas and Antonio Costa in Brussels.", when)
    idf = smoothed_idf({}, 0)
    assert same_story(a, b, idf)
    assert not same_story(a, unrelated, idf)


@pytest.mark.parametrize("rewrite_first", [False, True], ids=["original-first", "rewrite-first"])
@pytest.mark.parametrize(("original", "rewrite"), REWRITES)
def test_assign_story_puts_a_rewrite_in_the_story_of_the_first_stored_copy(db, original, rewrite, rewrite_first):
    distractor = store(db, PARIS_COALITION)
    first, second = (rewrite, original) if rewrite_first else (original, rewrite)
    first_id = store(db, first)
    second_id = store(db, second)
    assert story_id(db, first_id) == story_id(db, second_id) == first_id
    assert story_id(db, distractor) == distractor


def test_an_article_that_joins_nothing_is_its_own_story(db):
    may = store(db, ISTANBUL_MAY)
    june = store(db, ISTANBUL_JUNE)
    assert (story_id(db, may), story_id(db, june)) == (may, june)


def test_assign_story_again_changes_nothing(db):
    original = store(db, PARIS_ADVISERS)
    store(db, PARIS_COALITION)
    rewrite = store(db, PARIS_ADVISERS_REWRITE)
    frequencies = list(db.query("select * from story_terms order by term"))
    assert assign_story(db, rewrite) == original
    assert assign_story(db, original) == original
    assert list(db.query("select * from story_terms order by term")) == frequencies


def test_the_store_groups_the_whole_corpus_like_group_articles(db):
    names = sorted((item["file"] for item in LABELS), key=lambda name: (name[:10], name))
    rows = {name: store(db, name) for name in names}
    expected = stories_of(names)
    assert {name: story_id(db, row) for name, row in rows.items()} == {
        name: rows[first] for name, first in expected.items()
    }


def test_assign_story_refuses_an_unknown_article(db):
    with pytest.raises(ValueError, match="no article"):
        assign_story(db, 999)


# --- the ingest stages (pipeline.py): store, then enrich (story, people), then match ------------------------------


def draft(name: str) -> ArticleDraft:
    item = article(name)
    return ArticleDraft(
        title=item["title"], body=item["body"], url=f"https://news.example/{name}", published_at=item["published_at"]
    )


def stories_by_name(db) -> dict[str, int]:
    """Each stored corpus article's story, as the file name of the story's first article."""
    name_of = {row["id"]: row["url"].rsplit("/", 1)[1] for row in db.query("select id, url from articles")}
    return {name_of[row["id"]]: name_of[row["story_id"]] for row in db.query("select id, story_id from articles")}


def test_storing_only_stores_and_enrichment_gives_the_story(db):
    original, rewrite = PARIS_ADVISERS, PARIS_ADVISERS_REWRITE
    counts = store_drafts(db, [draft(original), draft(PARIS_COALITION), draft(rewrite)], source_id=None, now=NOW)
    assert (counts.new, counts.duplicates) == (3, 0)
    assert [r["enriched_at"] for r in db.query("select enriched_at from articles")] == [None] * 3
    assert stories_by_name(db)[rewrite] == rewrite  # its own story until enriched
    assert articles.unmatched_ids(db) == []  # matching waits for the story
    assert db.execute("select count(*) from story_documents").fetchone()[0] == 0
    assert enrich_pending(db) == 3
    assert stories_by_name(db) == {original: original, PARIS_COALITION: PARIS_COALITION, rewrite: original}
    assert len(articles.unmatched_ids(db)) == 3
    assert enrich_pending(db) == 0


def test_a_batch_is_deduplicated_against_itself_and_the_store(db):
    first = draft(ISTANBUL_MAY)
    same_url = replace(draft(ISTANBUL_JUNE), url=first.url + "?utm_source=rss")
    same_guid = [replace(draft(PARIS_COALITION), guid="g1"), replace(draft(PARIS_ADVISERS), guid="g1")]
    counts = store_drafts(
        db, [first, same_url, *same_guid, replace(first, url="https://other.example/x")], source_id=None, now=NOW
    )
    assert (counts.new, counts.duplicates) == (2, 3)
    again = store_drafts(db, [first, draft(PARIS_ADVISERS_REWRITE)], source_id=None, now=NOW)
    assert (again.new, again.duplicates) == (1, 1)
    assert [r["story_id"] for r in db.query("select id, story_id from articles where story_id != id")] == []


def test_a_crash_between_or_during_stages_loses_and_double_counts_nothing(tmp_path, monkeypatch):
    names = sorted((item["file"] for item in LABELS), key=lambda name: (name[:10], name))
    path = tmp_path / "crash.db"
    db = open_database(path)
    store_drafts(db, [draft(name) for name in names], source_id=None, now=NOW)
    db.close()  # the process dies after the store stage committed

    db = open_database(path)
    calls = 0
    real = StoryAssigner.assign

    def dies_midway(self, article_id, prepared=None):
        nonlocal calls
        calls += 1
        if calls == 10:
            raise KeyboardInterrupt  # stands for a kill during the enrichment transaction
        return real(self, article_id, prepared)

    monkeypatch.setattr(StoryAssigner, "assign", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        enrich_pending(db)  # the kill comes in the first step (one transaction)
    db.close()
    monkeypatch.setattr(StoryAssigner, "assign", real)

    db = open_database(path)
    assert db.execute("select count(*) from articles where enriched_at is not null").fetchone()[0] == 0
    assert match_pending(db, MatchState(), datetime(2025, 10, 1, tzinfo=UTC)) == 0
    assert db.execute("select count(*) from articles where matched_at is null").fetchone()[0] == 0
    assert db.execute("select count(*) from story_documents").fetchone()[0] == len(names)
    assert db.execute("select value from meta where key = 'story_documents'").fetchone()[0] == str(len(names))
    expected = stories_of(names)
    assert stories_by_name(db) == expected
    db.close()


def test_an_article_whose_enrichment_fails_keeps_its_own_story_and_blocks_nothing(db, monkeypatch, caplog):
    original, rewrite = PARIS_ADVISERS, PARIS_ADVISERS_REWRITE
    store_drafts(db, [draft(original), draft(PARIS_COALITION), draft(rewrite)], source_id=None, now=NOW)
    real, calls = stories.best_match, []

    def fails_for_the_coalition(new, candidates, idf, spellings=None):
        calls.append(new)
        if len(calls) == 2:  # the second article, the coalition summit
            raise ValueError("odd text")  # after the article's writes and counts: all must be undone
        return real(new, candidates, idf, spellings)

    monkeypatch.setattr(stories, "best_match", fails_for_the_coalition)
    assert enrich_pending(db) == 3
    assert "enriching article 2: story failed" in caplog.text
    assert stories_by_name(db) == {original: original, PARIS_COALITION: PARIS_COALITION, rewrite: original}
    assert [r[0] for r in db.execute("select article_id from story_documents order by 1")] == [1, 3]
    assert len(articles.unmatched_ids(db)) == 3


def test_two_processes_enriching_in_turn_group_and_count_like_one(tmp_path):
    names = sorted((item["file"] for item in LABELS), key=lambda name: (name[:10], name))
    one, two = open_database(tmp_path / "shared.db"), open_database(tmp_path / "shared.db")
    alone = open_database(tmp_path / "alone.db")
    for index, name in enumerate(names):  # each connection keeps a frequency cache: the other's counts void it
        for db in (one if index % 3 else two, alone):
            store_drafts(db, [draft(name)], source_id=None, now=NOW)
            enrich_pending(db)
    assert stories_by_name(one) == stories_by_name(alone) == stories_of(names)
    terms = "select term, documents from story_terms order by term"
    assert list(one.query(terms)) == list(alone.query(terms))
    for db in (one, two, alone):
        db.close()


def test_only_text_changes_reindex_the_full_text(db):
    store_drafts(db, [draft(ISTANBUL_MAY)], source_id=None, now=NOW)
    trigger = db.execute("select sql from sqlite_master where name = 'articles_au'").fetchone()[0]
    assert "update of title, summary, body" in trigger.lower()  # story_id and stage marks leave the index alone
    db.execute("update articles set title = 'Zanzibar summit' where id = 1")
    assert [r["id"] for r in articles.search_articles(db, "zanzibar")] == [1]


def test_articles_stored_before_the_stages_count_as_enriched_and_remain_candidates(tmp_path):
    db = Database(tmp_path / "old.db")
    MIGRATIONS.apply(db, stop_before="m006_ingest_stages")
    item = article(PARIS_ADVISERS)
    db["articles"].insert(
        {
            "title": item["title"],
            "body": item["body"],
            "url": "https://news.example/old",
            "published_at": item["published_at"].isoformat(),
            "fetched_at": NOW,
            "content_hash": "old",
            "story_id": 1,
            "matched_at": NOW,
        }
    )
    terms = extract_features(item["title"], item["body"], item["published_at"]).terms  # counted as then
    db["story_documents"].insert({"article_id": 1})
    db["story_terms"].insert_all({"term": term, "documents": 1} for term in terms)
    db["meta"].insert({"key": "story_documents", "value": "1"})
    MIGRATIONS.apply(db)
    assert db["articles"].get(1)["enriched_at"] == NOW
    store_drafts(db, [draft(PARIS_ADVISERS_REWRITE)], source_id=None, now=NOW)
    assert enrich_pending(db) == 1
    assert db["articles"].get(2)["story_id"] == 1
    db.close()


# --- enrichment in two halves: story work prepared ahead (worker processes), decided in the write transaction ----


def test_story_work_prepared_before_any_article_was_enriched_decides_like_working_alone(tmp_path):
    """Prepared from a snapshot in which nothing was counted yet (as a worker ahead of the writer sees it): the
    decisions, the copies in one step included, and the frequencies come out as without preparing."""
    names = sorted((item["file"] for item in LABELS), key=lambda name: (name[:10], name))
    prepared_db, alone = open_database(tmp_path / "prepared.db"), open_database(tmp_path / "alone.db")
    for db in (prepared_db, alone):
        store_drafts(db, [draft(name) for name in names], source_id=None, now=NOW)
    reader = open_database(tmp_path / "prepared.db")
    ids = articles.unenriched_ids(prepared_db, 100)
    work = pipeline.prepare_articles(reader, ids)
    assert all(item.story is not None and item.story.candidates is not None for item in work)
    assert all(item.people is not None for item in work)
    for start in range(0, len(ids), 4):  # copies and originals land in the same step
        pipeline.enrich_ids(prepared_db, ids[start : start + 4], NOW, work)
    enrich_pending(alone)
    assert stories_by_name(prepared_db) == stories_by_name(alone) == stories_of(names)
    terms = "select term, documents from story_terms order by term"
    assert list(prepared_db.query(terms)) == list(alone.query(terms))
    people = "select id, name, mentions, articles from people order by id"  # the people too, resolved at the write
    assert list(prepared_db.query(people)) == list(alone.query(people))
    mentions = "select * from person_mentions order by id"
    assert list(prepared_db.query(mentions)) == list(alone.query(mentions))
    for db in (prepared_db, alone, reader):
        db.close()


def test_prepared_work_for_the_wrong_frequencies_is_redone(tmp_path):
    """Work prepared for other query terms is not used: the candidates are ranked again."""
    db = open_database(tmp_path / "t.db")
    store_drafts(
        db, [draft(PARIS_ADVISERS), draft(PARIS_COALITION), draft(PARIS_ADVISERS_REWRITE)], source_id=None, now=NOW
    )
    work = [
        replace(item, story=item.story and replace(item.story, query=("zanzibar",), candidates=()))
        for item in pipeline.prepare_articles(db, [1, 2, 3])
    ]
    assert pipeline.enrich_ids(db, [1, 2, 3], NOW, work) == 3
    assert stories_by_name(db)[PARIS_ADVISERS_REWRITE] == PARIS_ADVISERS
    db.close()


def test_a_rolled_back_step_leaves_no_counts_behind_in_memory(tmp_path, monkeypatch):
    db = open_database(tmp_path / "t.db")
    store_drafts(
        db, [draft(PARIS_ADVISERS), draft(PARIS_COALITION), draft(PARIS_ADVISERS_REWRITE)], source_id=None, now=NOW
    )
    real = articles.mark_enriched

    def dies(db_, article_id, now):
        if article_id == 3:
            raise sqlite3.OperationalError("disk I/O error")  # the whole step is rolled back
        return real(db_, article_id, now)

    monkeypatch.setattr(articles, "mark_enriched", dies)
    with pytest.raises(sqlite3.OperationalError):
        enrich_pending(db)
    monkeypatch.setattr(articles, "mark_enriched", real)
    assert db.execute("select count(*) from story_documents").fetchone()[0] == 0
    assert enrich_pending(db) == 3
    assert stories_by_name(db)[PARIS_ADVISERS_REWRITE] == PARIS_ADVISERS
    assert db.execute("select value from meta where key = 'story_documents'").fetchone()[0] == "3"
    db.close()


@pytest.mark.slow
async def test_two_workers_enrich_the_corpus_like_one_process(tmp_path):
    names = sorted((item["file"] for item in LABELS), key=lambda name: (name[:10], name))
    async with Store(tmp_path / "workers.db") as store:
        await store.run(store_drafts, [draft(name) for name in names], source_id=None, now=NOW)
        with Sandbox(processes=2) as box:
            assert await Pipeline(store, box).enrich(datetime(2025, 10, 1, tzinfo=UTC)) == len(names)
        assert await store.run(stories_by_name) == stories_of(names)
        assert (await store.run(articles.article_counts))["enrichment failed"] == 0
