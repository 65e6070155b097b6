"""The one place where async code touches SQLite.

SQLite connections belong to the thread that made them, and sqlite-utils calls block. `Store` owns
one connection on one dedicated thread; coroutines `await store.run(fn, ...)`, where `fn(db, ...)` is
a plain store function. Calls run one at a time.

The bot opens two: one for commands and delivery, one for batch work (polling, matching, digests), so a
command never queues behind a batch step; SQLite's WAL lets both read at once, and each write
transaction is short (pipeline.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlite_utils import Database

from diplobot.store.db import is_locked, open_database

LOCKED_TRIES = 3  # another process held the write lock past the busy timeout: try the call again, this often
P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)


class Store:
    """A SQLite database served by a single worker thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diplobot-db")
        self._db: Database | None = None

    async def open(self) -> Store:
        loop = asyncio.get_running_loop()
        self._db = await loop.run_in_executor(self._executor, open_database, self.path)
        return self

    async def run(self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(db, *args, **kwargs)` on the database thread and return its result."""
        if self._db is None:
            raise RuntimeError("Store.open() was not awaited")
        loop = asyncio.get_running_loop()
        call: Callable[[], T] = functools.partial(_no_open_transaction, fn, self._db, *args, **kwargs)
        for attempt in range(1, LOCKED_TRIES + 1):
            try:
                return await loop.run_in_executor(self._executor, call)
            except Exception as exc:
                if not is_locked(exc) or attempt == LOCKED_TRIES:
                    raise
                log.warning("database busy in another process; trying %s again", getattr(fn, "__name__", fn))
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, db.close)
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> Store:
        return await self.open()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


def _no_open_transaction(fn: Callable[..., T], db: Database, *args: Any, **kwargs: Any) -> T:
    """Call `fn`; a transaction it left open (a bug) is rolled back: it would hold the write lock and stall
    every other connection and process."""
    try:
        return fn(db, *args, **kwargs)
    finally:
        if db.conn.in_transaction:
            log.error("%s left a transaction open; rolled back", getattr(fn, "__name__", fn))
            db.conn.rollback()
