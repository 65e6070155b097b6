"""What several benchmarks share: bench/ingest.py's article generator, a generated database kept between
runs (`--db PATH`), and the median of timed rounds."""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from sqlite_utils import Database

from diplobot.clock import iso
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import store_drafts
from diplobot.store.db import open_database


def ingest_bench() -> ModuleType:
    """bench/ingest.py as a module: its `Generator` makes realistic news (stories, people, dates)."""
    spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["bench_ingest"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def store_generated(db: Database, drafts: list[ArticleDraft]) -> None:
    """Store drafts as polling would, a feed's worth at a time, each batch fetched when its newest was published."""
    for start in range(0, len(drafts), 100):
        batch = drafts[start : start + 100]
        store_drafts(db, batch, source_id=None, now=iso(max(d.published_at for d in batch if d.published_at)))


def kept_database(path: Path, key: str, value: str, build: Callable[[Path], None]) -> Database:
    """The database at `path` if an earlier run built it with the same parameters (`meta[key] == value`),
    else a new one made by `build(path)`, which must record `value` under `key`."""
    if path.exists():
        db = open_database(str(path))
        row = db.execute("select value from meta where key = ?", [key]).fetchone()
        if row and row[0] == value:
            return db
        db.close()
        path.unlink()
    print("building the database (not timed; --db PATH keeps it for the next run)...", flush=True)
    build(path)
    return open_database(str(path))


def median_ms(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
