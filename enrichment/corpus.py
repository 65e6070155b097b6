"""The stored articles as analysis.topics sees them (its `Corpus`): people's other spellings, candidates, rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from diplobot.analysis.topics import Window
from diplobot.enrichment.people import phrase_variants
from diplobot.store import lexicon
from diplobot.store.articles import articles_by_ids, topic_candidates


class StoredArticles:
    """analysis.topics' `Corpus` over one connection: what every topic match (alerts, /latest, /search, digests,
    charts) reads, so that they all match alike."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def variants(self, phrase: str) -> list[str]:
        return phrase_variants(self.db, phrase)

    def lexicon_rows(self) -> list[lexicon.Row]:
        """The deployment's own cross-language lexicon entries (store/lexicon.py)."""
        return lexicon.lexicon_rows(self.db)

    def candidates(self, fts: str | None, window: Window, limit: int) -> list[int]:
        return topic_candidates(self.db, fts, since=window.since, until=window.until, by=window.by, limit=limit)

    def articles(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        return articles_by_ids(self.db, ids)
