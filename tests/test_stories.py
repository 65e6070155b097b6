"""Story grouping: syndicated rewrites share one story (one alert); different events stay apart."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from diplobot.analysis.stories import extract_features, group_articles, same_story, smoothed_idf
from diplobot.store.db import open_database
from diplobot.store.stories import assign_story

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
LABELS = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))["articles"]
REWRITES = [(item["duplicate_of"], item["file"]) for item in LABELS if item["duplicate_of"]]
ISTANBUL_MAY = "2025-05-16-istanbul-first-direct-talks.txt"
ISTANBUL_JUNE = "2025-06-02-istanbul-second-round-memorandums.txt"
PARIS_ADVISERS = "2025-09-03-paris-yermak-umerov-witkoff-advisers.txt"
PARIS_ADVISERS_REWRITE = "2025-09-04-paris-meeting-vitkoff-advisers.txt"
PARIS_COALITION = "2025-09-04-coalition-of-the-willing-paris-summit.txt"


def article(name: str) -> dict:
    lines = (CORPUS / "articles" / name).read_text(encoding="utf-8").splitlines()
    date = re.search(r"\d{4}-\d{2}-\d{2}", lines[0]).group()
    return {"file": name, "title": lines[1], "body": "\n".join(lines[2:]).strip(),
            "published_at": datetime.fromisoformat(date).replace(tzinfo=UTC)}


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
        row_id = db["articles"].insert({
            "title": item["title"], "summary": item["body"].split("\n\n")[0], "body": item["body"],
            "published_at": item["published_at"].isoformat(), "fetched_at": item["published_at"].isoformat(),
            "content_hash": hashlib.sha256(item["body"].encode()).hexdigest(),
        }).last_pk
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
    assert stories_of(names) == {PARIS_ADVISERS: PARIS_ADVISERS, PARIS_COALITION: PARIS_COALITION,
                                 PARIS_ADVISERS_REWRITE: PARIS_ADVISERS}


def test_witkoff_and_vitkoff_spellings_count_as_one_name():
    when = datetime(2025, 9, 3, tzinfo=UTC)
    a = extract_features("Envoy meets advisers", "Talks with Steve Witkoff and Günter Sautter in Paris.", when)
    b = extract_features("Envoy meets advisers", "Talks with Steve Vitkoff and Gunther Sautter in Paris.", when)
    unrelated = extract_features("Envoy meets advisers", "Talks with Kaja Kallas and Antonio Costa in Brussels.",
                                 when)
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
