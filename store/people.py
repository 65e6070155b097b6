"""PLACEHOLDER (being replaced by the people work for issue 4)."""

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database


def index_article_people(db: Database, article_id: int) -> None:
    return None


def reindex_all(db: Database, on_progress: Callable[[int, int], None] | None = None) -> None:
    return None


def phrase_variants(db: Database, phrase: str) -> list[str]:
    return []


def top_people(db: Database, article_ids: list[int], limit: int = 5) -> list[dict[str, Any]]:
    return []
