"""People extraction stays cheap on outsized input: bounded text, near-linear in the number of names."""

from __future__ import annotations

import pytest

from diplobot.analysis.people import MAX_TEXT_CHARS, MAX_TITLE_CHARS, extract_people
from diplobot.enrichment import people
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import store_drafts
from diplobot.store.db import open_database
from diplobot.texts import clip

GIVEN = ("Anna", "Mario", "Olga", "Pierre", "Fatima", "Kenji", "Carlos", "Ingrid", "Tomas", "Amina")


def synthetic_names(count: int) -> list[str]:
    """Distinct made-up full names: a known given name and a six-letter surname of consonant-vowel syllables
    (no doubled letters, and no two surnames as close as the variant matching of analysis/names.py allows)."""
    syllables = [c + v for c in "bdfklmnprst" for v in "aeiou"]
    n = len(syllables)
    names = []
    for i in range(count):
        surname = syllables[i % n] + syllables[(i // n) % n] + syllables[(i // n // n) % n]
        names.append(f"{GIVEN[i % len(GIVEN)]} {surname.capitalize()}")
    return names


def listing(names: list[str]) -> str:
    return " ".join(f"Minister {name} spoke." for name in names)


@pytest.mark.timeout(60)  # comparing every name with every other took minutes: a hang guard, not a speed test
def test_an_item_naming_5000_people_is_indexed_quickly():
    text = listing(synthetic_names(5000))
    assert len(text) > MAX_TEXT_CHARS  # as the hostile feed item: about 150 KB
    db = open_database(":memory:")
    store_drafts(
        db,
        [ArticleDraft(title="Talks", body=text, url="https://news.example/5000")],
        source_id=None,
        now="2025-12-01T00:00:00+00:00",
    )
    people.index_article_people(db, 1)
    stored = db.execute("select count(*) from people").fetchone()[0]
    db.close()
    assert 1000 < stored < 5000  # the people of the first MAX_TEXT_CHARS characters


@pytest.mark.timeout(60)
def test_extraction_is_near_linear_in_the_number_of_names():
    """All 5,000 names read (no input bound): comparing each with every other would take minutes."""
    names = synthetic_names(5000)
    found = {m.name for m in extract_people("Talks", listing(names), limit=None)}
    assert len(found) >= 0.99 * len(names)  # a few made-up surnames are places or countries


def test_text_and_title_are_clipped_at_a_word():
    text = listing(synthetic_names(3000))
    found = {m.name for m in extract_people("Talks " * MAX_TITLE_CHARS, text)}
    assert 0 < len(found) < 3000
    assert clip("alpha beta gamma", 12) == "alpha beta…"
    assert clip("alphabetagamma", 5) == "alph…"
    assert clip("short", 50) == "short"
