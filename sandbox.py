"""Worker processes that a limit can stop, for untrusted parsing and heavy analysis.

A hostile feed can make a parser backtrack or expand entities, and one huge item can make people
extraction slow. In the bot's own process either would freeze every chat: one event loop, one GIL.
Here each task runs in a pebble worker process under an address-space cap and a CPU-time cap set in
the worker itself, and a wall-clock timeout the parent enforces by killing the worker (pebble starts
a fresh one). A task stopped by a limit raises `LimitExceeded`, whose message names the limit.

Workers come from a fork server started before the bot opens threads or connections, so a fork
never copies a lock another thread holds.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import resource
import signal
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

import pebble

from diplobot.logs import setup_logging

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Imported once in the fork server, so that each worker starts with the parsers and analysis loaded.
PRELOAD = ["diplobot.pipeline", "diplobot.ingest.documents", "diplobot.poller"]


class Runner(Protocol):
    """Where CPU-bound work on untrusted input runs: a `Sandbox`, or `THREADS` (tests, trusted input)."""

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T: ...


class ThreadRunner:
    """Off the event loop in a thread, with no limits."""

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)


THREADS = ThreadRunner()


@dataclass(frozen=True)
class Limits:
    """What one task may use: CPU seconds, address space, wall-clock seconds."""

    cpu_s: float = 20.0
    memory_mb: int = 1536
    timeout_s: float = 60.0


class LimitExceeded(Exception):
    """A worker task was stopped by a limit, or its worker died; the message says which."""


class Sandbox:
    """A pool of limited worker processes; `await sandbox.run(fn, *args)` runs `fn` in one of them.

    `fn` must be a module-level function and its arguments and result picklable.
    """

    def __init__(
        self, limits: Limits | None = None, processes: int = 2, *, log_format: str = "text", log_level: str = "WARNING"
    ) -> None:
        self.limits = limits or Limits()
        self.processes = processes
        self.log_setup = (log_format, log_level)
        self._pool: pebble.ProcessPool | None = None

    def _ensure_pool(self) -> pebble.ProcessPool:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            self._pool = pebble.ProcessPool(
                max_workers=self.processes,
                initializer=_init_worker,
                initargs=(self.limits.memory_mb * 1024 * 1024, *self.log_setup),
                context=context,
            )
        return self._pool

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """The result of `fn(*args, **kwargs)` run in a worker; raises LimitExceeded or what `fn` raised."""
        pool = self._pool if self._pool is not None else await asyncio.to_thread(self._ensure_pool)  # it blocks
        future = pool.schedule(_limited, args=(fn, self.limits.cpu_s, args, kwargs), timeout=self.limits.timeout_s)
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError:
            raise LimitExceeded(f"took longer than {self.limits.timeout_s:g} s and was stopped") from None
        except pebble.ProcessExpired as exc:
            raise LimitExceeded(_death_reason(exc.exitcode, self.limits)) from None
        except BrokenProcessPool:
            self.close()  # the next task starts a new pool
            raise LimitExceeded("its worker processes could not be started") from None
        except MemoryError:
            raise LimitExceeded(f"needed more than {self.limits.memory_mb} MB and was stopped") from None
        except asyncio.CancelledError:
            future.cancel()  # pebble stops the worker running it
            raise

    async def warm(self) -> None:
        """Start the workers now (parsers and analysis loaded), so the first real task does not wait for that."""
        await self.run(_nothing)

    def close(self) -> None:
        """Stop the workers now: whatever they were doing is redone at the next start."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.stop()
            pool.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _nothing() -> None:
    return None


def _death_reason(exitcode: int | None, limits: Limits) -> str:
    if exitcode == -signal.SIGXCPU:
        return f"used more than {limits.cpu_s:g} s of CPU time and was stopped"
    if exitcode == -signal.SIGKILL:
        return "was killed (out of memory?)"
    return f"its worker process died (exit code {exitcode})"


def _init_worker(memory_bytes: int, log_format: str, log_level: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops the pool
    setup_logging(log_format, log_level)  # workers handle no secrets: nothing to redact


def _limited(fn: Callable[..., T], cpu_s: float, args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Run `fn` with `cpu_s` more CPU seconds than the worker has used so far (SIGXCPU ends it after)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    allowed = int(usage.ru_utime + usage.ru_stime + cpu_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (allowed if hard == resource.RLIM_INFINITY else min(allowed, hard), hard))
    try:
        return fn(*args, **kwargs)
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
