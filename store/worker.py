"""The one place where async code touches SQLite.

SQLite connections belong to the thread that made them, and sqlite-utils calls block. `Store` owns
one connection on one dedicated thread; coroutines `await store.run(fn, ...)`, where `fn(db, ...)` is
a plain store function. Calls run one at a time, which also serialises writes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlite_utils import Database

from diplobot.store.db import open_database

P = ParamSpec("P")
T = TypeVar("T")


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
        call: Callable[[], T] = functools.partial(fn, self._db, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

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
