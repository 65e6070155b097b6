"""Crash safety: diplobot as a real process, killed with SIGKILL over and over, loses and repeats nothing.

The bot runs against the fake Telegram Bot API (tests/fake_telegram.py) in this test's event loop, with a
temporary SQLite file and a folder source that the test fills with articles matching several chats' topics
(the chats subscribe by sending /subscribe through the fake Telegram). A seeded random schedule kills the
process with SIGKILL at moments spread over ingest, enrichment/matching and delivery (chosen as a random delay
after an event: the process started, began polling, stored the round's articles, sent its first alert) and
restarts it, until 20 kills hit work; then `python -m diplobot.bot --config X run` drains the outbox and stops
on SIGTERM. Then:

* every expected alert (chat x matching article) arrived; none lost, none unexpected;
* duplicates are counted, and each must be a message Telegram accepted from a run that was killed before its
  `sent` mark was committed (the database holds the later copy's message id); no crash may cause more than one;
* `PRAGMA integrity_check` is ok.

Process start-up (imports) takes 2-5 s here, so 20+ restarts of `python -m diplobot.bot` would take minutes.
The final run uses that exact command; the others come from a small fork server: a Python process that has
imported `diplobot.bot` once and forks a child per run, which calls the same CLI entry point
(`diplobot.bot.main()`) with the same argv. Each child is a separate OS process with its own event loop,
threads and SQLite connection, killed with a real SIGKILL: it shares with the command everything but the
import time.

The second test stops the bot with SIGTERM while alerts drain at Telegram's real pace and one chat's requests
hang: it must exit within 10 s, with everything Telegram accepted recorded, the rest (the hung one included)
pending, and a restart then delivers each alert exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fake_telegram as ft
import pytest

pytestmark = pytest.mark.slow  # each test runs the bot in many processes for tens of seconds

SEED = 20250904
WORKING_CRASHES = 20  # SIGKILLs during ingest, enrichment/matching or delivery
MAX_CRASHES = 34
WORK_PHASES = ("ingest", "enrich/match", "delivery")
ARTICLES_PER_ROUND = 8
AIM_AFTER = 12  # kills at random moments before any phase that was missed is aimed at
# the event right before each phase: polling starts (ingest next), articles stored (enrichment and
# matching next), first alert sent (more deliveries pending)
AIMED_TRIGGER = {"ingest": "polling", "enrich/match": "stored", "delivery": "sending"}

# chat -> (kind, topics). Groups need an admin to subscribe; ADMIN is one in every group.
ADMIN = 900
TOPICS = ("nuclear talks", "grain corridor", "security guarantees", "arctic council", "water treaty", "sahel mission")
CHATS: dict[int, tuple[str, tuple[str, ...]]] = {
    101: ("private", ("nuclear talks", "grain corridor")),
    102: ("private", ("security guarantees",)),
    103: ("private", ("arctic council", "water treaty", "nuclear talks")),
    104: ("private", ("sahel mission",)),
    -1001: ("supergroup", ("grain corridor", "security guarantees")),
    -1002: ("supergroup", ("water treaty", "sahel mission", "arctic council")),
}
ALERT_TOKEN = re.compile(r"\bR(\d{4})\b")
FILLER = (
    "envoys",
    "ministers",
    "delegation",
    "capital",
    "summit",
    "border",
    "harbour",
    "region",
    "budget",
    "parliament",
    "agency",
    "cabinet",
    "statement",
    "spokesman",
    "embassy",
    "pipeline",
    "convoy",
    "observers",
    "mandate",
    "ports",
    "shipping",
    "drones",
    "sanctions",
    "loans",
)

ZYGOTE = r"""
import os, sys, traceback
import diplobot.bot  # the slow part, done once; children inherit it
import diplobot.platforms.telegram  # imported by the runtime when Telegram is configured
import httpcore  # imported by httpx on first use
out = sys.stdout
for line in sys.stdin:
    cmd, *args = line.split("\t")
    args = [a.rstrip("\n") for a in args]
    if cmd == "spawn":
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                fd = os.open(args[0], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                sys.argv = ["diplobot", *args[1:]]
                try:
                    diplobot.bot.main()
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        out.write(f"pid {pid}\n")
    elif cmd == "wait":
        _, status = os.waitpid(int(args[0]), 0)
        out.write(f"exit {os.waitstatus_to_exitcode(status)}\n")
    out.flush()
"""


# ---- the world: chats, topics, articles ----------------------------------------------------------


@dataclass
class Article:
    number: int
    topics: tuple[str, ...]

    @property
    def token(self) -> str:
        return f"R{self.number:04d}"

    def write(self, folder: Path, rng: random.Random) -> None:
        """One JSON article, written atomically (hidden temp file, then rename) so a poll never reads half."""
        words = " ".join(rng.choice(FILLER) for _ in range(40))
        published = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(days=6 * self.number)  # never one story
        body = (
            f"Dispatch {self.token} {self.number * 7919}: {words}. Officials discussed the "
            + " and the ".join(self.topics)
            + f" in round {self.number}. "
            + words[::-1]
        )
        data = {
            "title": f"{self.token} update on {self.topics[0]}",
            "url": f"https://wire.example/{self.token}",
            "published": published.isoformat(),
            "body": body,
        }
        tmp = folder / f".{self.token}.json.tmp"
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.rename(folder / f"{self.token}.json")


def make_articles(rng: random.Random, count: int, first: int = 1) -> list[Article]:
    out = []
    for n in range(first, first + count):
        k = rng.choice((1, 1, 2))
        out.append(Article(n, tuple(rng.sample(TOPICS, k))))
    return out


def expected_alerts(articles: list[Article]) -> set[tuple[int, str]]:
    return {
        (chat_id, a.token)
        for a in articles
        for chat_id, (_kind, topics) in CHATS.items()
        if set(topics) & set(a.topics)
    }


def write_config(path: Path, tg: ft.FakeTelegram, db: Path, source: Path, **telegram: float) -> Path:
    pace = {"per_chat_per_s": 25.0, "per_group_per_min": 1500.0, "total_per_s": 60.0, **telegram}
    path.write_text(
        f'[store]\npath = "{db}"\n'
        f'[telegram]\ntoken = "{tg.token}"\nbase_url = "{tg.base_url}"\n'
        + "".join(f"{k} = {v}\n" for k, v in pace.items())
        + "[delivery]\npoll_interval = 0.3\nmax_attempts = 8\n"
        '[ops]\nlog_format = "json"\n'
        f'[[sources]]\nurl = "{source}"\nevery = "1s"\n',
        encoding="utf-8",
    )
    return path


# ---- running the bot -----------------------------------------------------------------------------


class ForkServer:
    """`diplobot.bot` imported once in a helper process; each `spawn` forks a fresh bot process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> ForkServer:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", ZYGOTE, env=self.env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc and self.proc.stdin
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    async def _ask(self, *words: str, timeout: float = 30) -> str:
        assert self.proc and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(("\t".join(words) + "\n").encode())
        await self.proc.stdin.drain()
        return (await asyncio.wait_for(self.proc.stdout.readline(), timeout)).decode().strip()

    async def spawn(self, log: Path, argv: list[str]) -> int:
        return int((await self._ask("spawn", str(log), *argv)).split()[1])

    async def wait(self, pid: int, timeout: float = 30) -> int:
        return int((await self._ask("wait", str(pid), timeout=timeout)).split()[1])


@dataclass
class Run:
    """One life of the bot process: how it ended and which fake-Telegram calls arrived meanwhile."""

    number: int
    how: str = "running"  # "sigkill" | "sigterm"
    first_call: int = 0
    end_call: int = 0
    phase: str = ""
    delay: float = 0.0


@dataclass
class World:
    tmp: Path
    tg: ft.FakeTelegram
    pace: dict[str, float] = field(default_factory=dict)
    db: Path = field(init=False)
    source: Path = field(init=False)
    config: Path = field(init=False)
    runs: list[Run] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.db = self.tmp / "bot.db"
        self.source = self.tmp / "articles"
        self.source.mkdir()
        self.config = write_config(self.tmp / "diplobot.toml", self.tg, self.db, self.source, **self.pace)

    @property
    def argv(self) -> list[str]:
        return ["--config", str(self.config), "run", "--no-console"]

    def new_run(self) -> Run:
        run = Run(len(self.runs), first_call=len(self.tg.calls))
        self.runs.append(run)
        return run

    def calls_of(self, run: Run, method: str) -> list[ft.Call]:
        return [c for c in self.tg.calls[run.first_call :] if c.method == method]

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Read the bot's database from outside (WAL lets us read while it writes)."""
        if not self.db.exists():
            return []
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)) as conn:
            return conn.execute(sql, args).fetchall()

    def state(self) -> dict[str, int]:
        """Where the pipeline stands: stored articles, unmatched ones, pending and sent alerts."""
        ((stored, unmatched),) = self.query("select count(*), count(*) - count(matched_at) from articles")
        counts = dict(self.query("select state, count(*) from alerts group by state"))
        return {
            "files": len(list(self.source.glob("*.json"))),
            "stored": stored,
            "unmatched": unmatched,
            "pending": counts.get("pending", 0),
            "sent": counts.get("sent", 0),
        }


def classify(before_kill: dict[str, int]) -> str:
    """The work the process had in hand when it died, from the database right after the kill."""
    if before_kill["stored"] < before_kill["files"]:
        return "ingest"
    if before_kill["unmatched"]:
        return "enrich/match"
    if before_kill["pending"]:
        return "delivery"
    return "idle"


def alert_copies(tg: ft.FakeTelegram, runs: list[Run]) -> dict[tuple[int, str], list[tuple[int, int]]]:
    """(chat, article token) -> [(run number, message id)] for every alert message Telegram accepted."""

    def run_of(index: int) -> int:
        return next(r.number for r in reversed(runs) if r.first_call <= index)

    copies: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    for index, call in enumerate(tg.calls):
        if call.method != "sendMessage" or call.status != 200 or "Matched:" not in call.result["text"]:
            continue
        token = ALERT_TOKEN.search(call.result["text"])
        assert token, call.result["text"]
        copies[(int(call.params["chat_id"]), token.group(0))].append((run_of(index), call.result["message_id"]))
    return copies


async def start_command(world: World, log: Path) -> asyncio.subprocess.Process:
    """The bot as users run it: `python -m diplobot.bot --config X run`."""
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "diplobot.bot", *world.argv, stdout=out, stderr=out, env=bot_env()
        )


def bot_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOBOT_")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env


async def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)
    return result


async def run_then_sigterm(world: World, run: Run, log: Path, until: Callable[[], Awaitable[None]]) -> float:
    """Start the real command, wait for `until`, stop it with SIGTERM; returns the seconds the stop took.

    Whatever happens, the process is reaped (and its log tail shown if it had to be killed).
    """
    proc = await start_command(world, log)
    try:
        await until()
        stop_s = await sigterm(proc)
        run.how = "sigterm"
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
            print(log_tail(log))
        run.end_call = len(world.tg.calls)
    return stop_s


async def sigterm(proc: asyncio.subprocess.Process) -> float:
    """Send SIGTERM; returns the seconds until the process exited (asserting exit code 0)."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.wait_for(proc.wait(), 15)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("the bot did not stop within 15 s of SIGTERM") from None
    assert code == 0
    return time.monotonic() - started


async def fork_sigterm(server: ForkServer, pid: int, log: Path) -> float:
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    try:
        code = await server.wait(pid, timeout=15)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        raise AssertionError(f"the bot did not stop within 15 s of SIGTERM\n{log_tail(log)}") from None
    assert code == 0, log_tail(log)
    return time.monotonic() - started


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def recorded_alerts(world: World) -> dict[tuple[int, str], tuple[str, str | None]]:
    """(chat, article token) -> (state, message id) as the bot's database has them."""
    rows = world.query("""select al.chat_id, substr(a.title, 1, 5), al.state, al.message_id
                          from alerts al join articles a on a.id = al.article_id""")
    return {(int(chat.split(":")[1]), token): (state, message_id) for chat, token, state, message_id in rows}


# ---- phases of a test ----------------------------------------------------------------------------


async def subscribe_everyone(world: World, server: ForkServer) -> None:
    """The first run: every chat subscribes through Telegram; then a clean SIGTERM stop."""
    tg = world.tg
    tg.admins = {chat_id: {ADMIN} for chat_id, (kind, _) in CHATS.items() if kind != "private"}
    log = world.tmp / "run-setup.log"
    run = world.new_run()
    pid = await server.spawn(log, world.argv)
    try:
        await wait_until(lambda: world.calls_of(run, "getUpdates"), 30, "the bot to start polling")
        for chat_id, (kind, topics) in CHATS.items():
            for topic in topics:
                user_id = chat_id if kind == "private" else ADMIN
                tg.push(ft.message_update(f"/subscribe {topic}", chat_id=chat_id, user_id=user_id, kind=kind))
        wanted = sum(len(topics) for _kind, topics in CHATS.values())
        await wait_until(
            lambda: sum("Subscribed" in m["text"] for c in CHATS for m in tg.sent(c)) >= wanted,
            30,
            "every subscription to be confirmed",
        )
    finally:
        await fork_sigterm(server, pid, log)
        run.how = "sigterm"
        run.end_call = len(tg.calls)


async def crash_once(
    world: World, server: ForkServer, rng: random.Random, *, new_articles: bool, aim: str | None = None
) -> Run:
    """Start the bot, wait for a randomly chosen moment, SIGKILL it.

    The moment is a random delay after an event: the process started, it began polling Telegram
    (the scheduler starts right after, so ingest follows), this round's articles were committed
    (enrichment and matching follow), or it sent its first alert. With `aim`, the kill comes right
    after the event that opens that phase, so a phase the random draws missed is hit too.
    """
    tg = world.tg
    run = world.new_run()
    log = world.tmp / f"run-{run.number:02d}.log"
    if aim:
        trigger = AIMED_TRIGGER[aim]
        run.delay = rng.uniform(0.0, 0.03)
    else:
        triggers = (
            ("started", "polling", "polling", "stored", "stored", "sending", "sending")
            if new_articles
            else ("polling", "sending", "sending")
        )
        trigger = rng.choice(triggers)
        run.delay = {
            "started": rng.uniform(0.3, 1.5),
            "polling": rng.choice((0.15, 0.5)) * rng.random(),
            "stored": rng.uniform(0.0, 0.15),
            "sending": rng.uniform(0.0, 0.4),
        }[trigger]
    started = time.monotonic()
    files = world.state()["files"]
    pid = await server.spawn(log, world.argv)
    try:
        with contextlib.suppress(AssertionError):  # the moment may not come (nothing left to do)
            if trigger == "polling":
                await wait_until(lambda: world.calls_of(run, "getUpdates"), 30, "polling")
            elif trigger == "stored":
                await wait_until(lambda: world.state()["stored"] >= files, 30, "the articles to be stored")
            elif trigger == "sending":
                await wait_until(lambda: world.calls_of(run, "sendMessage"), 30 if new_articles else 4, "an alert")
        if trigger == "started":
            run.delay = max(0.0, run.delay - (time.monotonic() - started))
        await asyncio.sleep(run.delay)
    finally:
        os.kill(pid, signal.SIGKILL)
        assert await server.wait(pid) == -signal.SIGKILL, log_tail(log)
        await asyncio.sleep(0.05)  # requests that were already in the fake server's hands
        run.how = "sigkill"
        run.end_call = len(tg.calls)
    run.phase = "startup" if not world.calls_of(run, "getUpdates") else classify(world.state())
    run.phase = f"{trigger}/{run.phase}"
    return run


async def crash_repeatedly(world: World, server: ForkServer, rng: random.Random) -> list[Article]:
    """Add articles and kill the bot until WORKING_CRASHES kills hit real work, each work phase at least
    once; returns the articles.

    Kills come at random moments; once AIM_AFTER kills have passed, a phase none of them hit yet is aimed
    at (on a fast or a loaded machine, a random delay can miss the short enrichment window every time).
    """
    articles: list[Article] = []
    phases: Counter[str] = Counter()  # crashes that hit ingest, enrichment/matching or delivery
    for crash in range(MAX_CRASHES):
        missing = [p for p in WORK_PHASES if not phases[p]]
        if phases.total() >= WORKING_CRASHES and not missing:
            break
        aim = missing[0] if missing and crash >= AIM_AFTER else None
        new_articles = crash % 4 != 3 or aim is not None  # every fourth run gets none: it only delivers
        if new_articles:
            count = ARTICLES_PER_ROUND * (3 if aim == "enrich/match" else 1)  # a wider window to hit
            batch = make_articles(rng, count, first=len(articles) + 1)
            for article in batch:
                article.write(world.source, rng)
            articles += batch
        run = await crash_once(world, server, rng, new_articles=new_articles, aim=aim)
        phase = run.phase.split("/", 1)[1]
        if phase in WORK_PHASES:
            phases[phase] += 1
    return articles


async def drain(world: World, expected: set[tuple[int, str]], server: ForkServer | None = None) -> float:
    """A last run until every expected alert arrived, then SIGTERM; returns how long the stop took.

    Without `server` it is `python -m diplobot.bot ... run` itself.
    """
    run = world.new_run()
    log = world.tmp / f"run-{run.number:02d}-final.log"

    def done() -> bool:
        return expected <= alert_copies(world.tg, world.runs).keys() and not world.state()["pending"]

    if server is not None:
        pid = await server.spawn(log, world.argv)
        try:
            await wait_until(done, 60, "every expected alert")
        finally:
            stop_s = await fork_sigterm(server, pid, log)
            run.how = "sigterm"
            run.end_call = len(world.tg.calls)
        return stop_s
    return await run_then_sigterm(world, run, log, lambda: wait_until(done, 60, "every expected alert"))


# ---- the tests -----------------------------------------------------------------------------------


@pytest.mark.timeout(180)
async def test_sigkill_at_random_moments_loses_nothing_and_repeats_at_most_the_unrecorded_send(tmp_path):
    rng = random.Random(SEED)
    started = time.monotonic()
    async with ft.FakeTelegram() as tg, ForkServer(bot_env()) as server:
        world = World(tmp_path, tg)
        await subscribe_everyone(world, server)
        articles = await crash_repeatedly(world, server, rng)
        expected = expected_alerts(articles)
        stop_s = await drain(world, expected)

    copies = alert_copies(tg, world.runs)
    crashes = [r for r in world.runs if r.how == "sigkill"]
    phases = Counter(r.phase.split("/", 1)[1] for r in crashes)
    duplicates = {key: runs for key, runs in copies.items() if len(runs) > 1}
    per_crash = Counter(runs[0][0] for runs in duplicates.values())
    print(
        f"\ncrashes={len(crashes)} phases={dict(phases)} articles={len(articles)} "
        f"expected_alerts={len(expected)} delivered={len(copies)} duplicates={len(duplicates)} "
        f"per_crash={dict(per_crash)} sigterm_stop_s={stop_s:.2f} total_s={time.monotonic() - started:.1f}"
    )
    print("\n".join(f"  run {r.number:2d} {r.how:7s} {r.phase:22s} delay={r.delay:.2f}" for r in world.runs))

    assert sum(phases[p] for p in WORK_PHASES) >= WORKING_CRASHES
    assert all(phases[p] for p in WORK_PHASES), phases  # each of ingest, enrich/match, delivery was hit
    assert copies.keys() == expected  # nothing lost, nothing unexpected
    recorded = recorded_alerts(world)
    assert recorded.keys() == expected and {state for state, _ in recorded.values()} == {"sent"}
    for key, runs in duplicates.items():
        # a repeat is only a message Telegram got from a run that was killed before recording it:
        # the database holds the last copy's message id, and every earlier copy came from a killed run
        assert recorded[key][1] == str(runs[-1][1]), (key, runs)
        assert all(world.runs[run].how == "sigkill" for run, _ in runs[:-1]), (key, runs)
    assert all(n <= 1 for n in per_crash.values()), per_crash
    assert world.query("pragma integrity_check") == [("ok",)]


HUNG_CHAT = 102


@pytest.mark.timeout(120)
async def test_sigterm_with_alerts_in_flight_exits_within_10_s_and_loses_or_repeats_nothing(tmp_path):
    """Alerts drain at Telegram's real pace while one chat's requests hang; SIGTERM mid-way."""
    rng = random.Random(SEED + 1)
    async with ft.FakeTelegram() as tg, ForkServer(bot_env()) as server:
        world = World(tmp_path, tg, pace={"per_chat_per_s": 1.0, "per_group_per_min": 20.0, "total_per_s": 30.0})
        await subscribe_everyone(world, server)
        articles = make_articles(rng, 12)
        for article in articles:
            article.write(world.source, rng)
        expected = expected_alerts(articles)
        assert any(chat == HUNG_CHAT for chat, _ in expected)
        tg.hang(HUNG_CHAT)

        run = world.new_run()
        log = tmp_path / "run-sigterm.log"
        stop_s = await run_then_sigterm(
            world,
            run,
            log,
            lambda: wait_until(
                lambda: (
                    len(alert_copies(tg, world.runs)) >= 6
                    and any(int(c.params["chat_id"]) == HUNG_CHAT for c in world.calls_of(run, "sendMessage"))
                ),
                30,
                "deliveries under way and a hung request",
            ),
        )
        accepted = alert_copies(tg, world.runs)
        recorded = recorded_alerts(world)

        tg.release()
        drained_s = await drain(world, expected, server)

    print(
        f"\nsigterm_stop_s={stop_s:.2f} delivered_before_stop={len(accepted)} of {len(expected)} "
        f"drain_stop_s={drained_s:.2f}\n{log_tail(log, 12)}"
    )
    assert stop_s < 10
    # what Telegram accepted before the stop is recorded as sent, with its message id: nothing
    # was left "sent but unrecorded", so the restart repeats nothing
    for key, [(_run, message_id)] in accepted.items():
        assert recorded[key] == ("sent", str(message_id)), key
    # the rest, the hung chat's alert among them, was released: pending, not failed
    assert {state for key, (state, _) in recorded.items() if key not in accepted} == {"pending"}
    assert (HUNG_CHAT, next(t for c, t in sorted(expected) if c == HUNG_CHAT)) not in accepted
    final = alert_copies(tg, world.runs)
    assert final.keys() == expected and all(len(copies) == 1 for copies in final.values())
    assert world.query("pragma integrity_check") == [("ok",)]
