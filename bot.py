"""The `diplobot` command line: the composition root for every command."""

from __future__ import annotations

import asyncio
import functools
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from diplobot import __version__
from diplobot.analysis.aliases import AliasesFile
from diplobot.analysis.lexicon import LexiconError
from diplobot.analysis.names import AliasError
from diplobot.clock import Clock, from_iso, iso
from diplobot.config import Config, ConfigError, load_config, parse_duration
from diplobot.doctor import run_checks
from diplobot.enrichment import people
from diplobot.handlers.digest import digest_reply, period_start
from diplobot.handlers.registry import UsageError
from diplobot.handlers.trend import typed_trend
from diplobot.handlers.who import who as who_reply
from diplobot.ingest.discover import NewSource, check_new_source
from diplobot.ingest.documents import parse_document
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.files import iter_inputs, read_input
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.opml import read_opml_entries, write_opml
from diplobot.ingest.text import one_line
from diplobot.ingest.urls import display_url, redact_url
from diplobot.logs import log_to_file, setup_logging
from diplobot.pipeline import IngestCounts, Pipeline, store_drafts
from diplobot.platforms.console import render
from diplobot.poller import poll_due, source_kind
from diplobot.runtime import (
    Runtime,
    StartupError,
    make_aliases,
    make_fetcher,
    make_lexicon,
    make_sandbox,
    sync_config_sources,
)
from diplobot.sandbox import LimitExceeded, Sandbox
from diplobot.store import alerts, articles, chats, retention, sources, subscriptions
from diplobot.store.backup import BackupError, backup_database
from diplobot.store.db import schema_version
from diplobot.store.worker import Store

app = typer.Typer(
    help="diplobot: alerts for diplomacy news from feeds, pages and files.", no_args_is_help=True, add_completion=False
)
sources_app = typer.Typer(help="Manage the sources diplobot polls.", no_args_is_help=True)
reindex_app = typer.Typer(help="Rebuild derived data for all stored articles.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(reindex_app, name="reindex")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")
LOG_FILE = "diplobot.log"  # beside the database, while the console chat is interactive
# Terminal escape sequences: OSC (hyperlinks, titles) up to BEL or ST, CSI (colours, cursor), and
# any other ESC pair; the 8-bit C1 forms too. What is left of the controls one_line() removes.
_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x9d[^\x07\x1b\x9c]*(?:\x07|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|\x1b.?",
    re.DOTALL,
)


def inert(value: object) -> Text:
    """Text a source or server controls, as rich will print it literally on one line.

    A `Text` is never parsed as markup (a feed titled `[/oops]` cannot crash a table, nor
    `[link=…]` add a hidden link), and escape sequences and control characters are removed so
    none reaches the terminal.
    """
    return Text(one_line(_ESCAPES.sub("", str(value))))


class State:
    """What `main_options` read for the command that runs: the config and the aliases file it names."""

    config: Config
    aliases: AliasesFile


STATE = State()


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _print_version(value: bool) -> None:
    if value:
        out.print(f"diplobot {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="TOML config file (default: ./diplobot.toml if present, else built-in defaults)."
        ),
    ] = None,
    log_format: Annotated[
        LogFormat | None, typer.Option(help="Log format (default: the config's [ops] log_format).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    _version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """diplobot: alerts for diplomacy news from feeds, pages and files."""
    try:
        STATE.config = load_config(config)
    except ConfigError as exc:
        err.print(f"config error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    cfg = STATE.config
    try:
        STATE.aliases = make_aliases(cfg)
    except AliasError as exc:
        err.print(
            f"config error: {cfg.path or 'built-in defaults'}: 'people.aliases' {exc}", markup=False, highlight=False
        )
        raise typer.Exit(2) from None
    try:
        make_lexicon(cfg)
    except LexiconError as exc:
        err.print(
            f"config error: {cfg.path or 'built-in defaults'}: 'topics.lexicon' {exc}", markup=False, highlight=False
        )
        raise typer.Exit(2) from None
    setup_logging(
        log_format.value if log_format else cfg.ops.log_format,
        "DEBUG" if verbose else cfg.ops.log_level,
        secrets=(
            cfg.telegram.token,
            cfg.telegram.secret_token,
            cfg.slack.bot_token,
            cfg.slack.signing_secret,
            cfg.slack.app_token,
        ),
    )


def _with_store(work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the configured store, run `work`, close it."""
    config = STATE.config

    async def run() -> T:
        async with Store(config.resolve(config.store.path)) as store:
            await store.run(sync_config_sources, config, iso(Clock().now()))
            return await work(store)

    return asyncio.run(run())


@app.command()
def run(
    console: Annotated[
        bool | None,
        typer.Option(
            "--console/--no-console",
            help="Also run the console chat (default: only when no Telegram or Slack is configured).",
        ),
    ] = None,
) -> None:
    """Run the bot: poll sources, match, deliver alerts and answer chats until stopped."""
    cfg = STATE.config
    _quiet_console_logs(
        console if console is not None else cfg.console.enabled or not (cfg.telegram.enabled or cfg.slack.enabled)
    )
    _run_until_stopped(Runtime(STATE.config, console=console, aliases=STATE.aliases))


@app.command("console")
def console_cmd() -> None:
    """Chat with the bot in this terminal (the scheduler runs too, so alerts appear as they come)."""
    _quiet_console_logs(True)
    _run_until_stopped(Runtime(STATE.config, console=True, aliases=STATE.aliases))


def _run_until_stopped(runtime: Runtime) -> None:
    """Run the bot; a platform refusing to start (a rejected token) is one line and exit status 2."""
    try:
        asyncio.run(runtime.run_until_stopped())
    except StartupError as exc:
        err.print(f"cannot start: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _interactive() -> bool:
    return sys.stdin.isatty()


def _quiet_console_logs(console: bool) -> None:
    """With a console chat in this terminal, the log goes to diplobot.log beside the database (said once),
    and only warnings and errors to the terminal, where they would land between the chat's messages."""
    if not console or not _interactive():
        return
    path = log_to_file(STATE.config.resolve(STATE.config.store.path).parent / LOG_FILE)
    where = f"the log goes to {path}" if path else "the log file cannot be written"
    err.print(inert(f"diplobot: {where} while you chat here; warnings and errors still show here."), highlight=False)


@app.command()
def ingest(inputs: Annotated[list[str], typer.Argument(help="Files, folders, feed files or page URLs.")]) -> None:
    """Store articles from files, folders (recursively) or web pages; matches alert as usual."""
    counts = _with_store(lambda store: _ingest_inputs(store, inputs))
    out.print(
        f"{counts.new} new, {counts.duplicates} duplicates, {len(counts.failed)} failed, {counts.alerts} alerts queued",
        highlight=False,
    )
    for name, reason in counts.failed:
        err.print(f"failed: {name}: {reason}", markup=False, highlight=False)
    raise typer.Exit(1 if counts.failed else 0)


async def _ingest_inputs(store: Store, inputs: list[str]) -> IngestCounts:
    """Read each input in a sandbox worker and store it; then enrich (in workers too) and match all of it."""
    counts = IngestCounts()
    urls = [i for i in inputs if source_kind(i) == "feed"]  # `ftp://x` too, refused as a URL (never a path)
    paths = list(iter_inputs(Path(i) for i in inputs if i not in urls))
    with make_sandbox(STATE.config) as sandbox:
        pipeline = _pipeline(store, sandbox)
        with Progress(console=err, transient=True, disable=len(paths) + len(urls) < 10) as progress:
            task = progress.add_task("ingesting", total=len(paths) + len(urls))
            for path in paths:
                counts.add(await _ingest_one(store, str(path), functools.partial(_file, path, sandbox)))
                progress.advance(task)
            async with make_fetcher(STATE.config) as fetcher:
                for url in urls:
                    counts.add(await _ingest_one(store, url, functools.partial(_page, fetcher, url, sandbox)))
                    progress.advance(task)
        counts.alerts = await pipeline.enrich_and_match()
    return counts


def _pipeline(store: Store, sandbox: Sandbox) -> Pipeline:
    return Pipeline(store, sandbox, aliases=STATE.aliases)


async def _file(path: Path, sandbox: Sandbox) -> list[ArticleDraft]:
    document = await sandbox.run(read_input, path)
    for warning in document.warnings:  # each names the file
        err.print(f"warning: {warning}", markup=False, highlight=False)
    return document.drafts


async def _page(fetcher: Fetcher, url: str, sandbox: Sandbox) -> list[ArticleDraft]:
    """A URL's articles, decided by content and Content-Type: a feed's items, a JSON Feed's, or a page."""
    fetched = await fetcher.get(url)
    document = await sandbox.run(
        parse_document, fetched.body, url=fetched.url, content_type=fetched.content_type, name=url
    )
    for warning in document.warnings:
        err.print(f"warning: {display_url(url)}: {warning}", markup=False, highlight=False)
    return document.articles()


async def _ingest_one(store: Store, name: str, read: Callable[[], Awaitable[list[Any]]]) -> IngestCounts:
    try:
        drafts = await read()
    except (IngestError, LimitExceeded) as exc:
        return IngestCounts(failed=[(name, str(exc))])
    return await store.run(store_drafts, drafts, source_id=None, now=iso(Clock().now()))


@app.command()
def poll() -> None:
    """Fetch every due source once and print one line per source."""

    async def work(store: Store) -> list[Any]:
        with make_sandbox(STATE.config) as sandbox:
            async with make_fetcher(STATE.config) as fetcher:
                results = await poll_due(store, fetcher, STATE.config.ingest, Clock().now(), runner=sandbox)
            await _pipeline(store, sandbox).enrich_and_match()
        return results

    results = _with_store(work)
    for result in results:
        out.print(inert(result.line()), highlight=False)
    if not results:
        out.print("no source is due")
    raise typer.Exit(1 if any(r.error for r in results) else 0)


@app.command()
def search(text: Annotated[str, typer.Argument(help="Words to look for (any text is safe).")]) -> None:
    """Full-text search over stored articles, best first, with a snippet."""
    rows = _with_store(lambda store: store.run(articles.search_articles, text, 10))
    if not rows:
        out.print("no match")
    for row in rows:
        snippet = row["snippet"].replace("\x02", "[").replace("\x03", "]")
        out.print(
            f"{row['published_at'] or '':.10}  {row['title']}\n    {row['url'] or ''}\n    {snippet}",
            markup=False,
            highlight=False,
        )


@app.command()
def stats() -> None:
    """Counts of articles, sources, chats and alerts; schema version and database size."""

    def collect(db: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"schema version": schema_version(db)}
        data.update(articles.article_counts(db))
        data.update(chats.chat_counts(db))
        data["subscriptions"] = subscriptions.subscription_count(db)
        data.update({f"alerts {k}": v for k, v in alerts.alert_counts(db).items()})
        all_sources = sources.list_sources(db)
        data["sources"] = len(all_sources)
        data["sources failing"] = sum(1 for s in all_sources if s["error_count"])
        data["sources paused"] = sum(1 for s in all_sources if s["paused"])
        data.update(retention.retention_summary(db))
        data["_failures"] = alerts.recent_failures(db)
        return data

    data = _with_store(lambda store: store.run(collect))
    db_path = STATE.config.resolve(STATE.config.store.path)
    wal = Path(f"{db_path}-wal")
    data["database size"] = (
        _size(db_path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) if db_path.exists() else "-"
    )
    keep_days = STATE.config.store.keep_days
    data["article text kept"] = f"{keep_days} days" if keep_days else "forever"
    table = Table(title="diplobot stats", show_header=False)
    for key, value in data.items():
        if not key.startswith("_"):
            table.add_row(key, str(value))
    out.print(table)
    for failure in data["_failures"]:
        out.print(
            f"failed alert {failure['id']} to {failure['chat_id']}: {failure['last_error']}",
            markup=False,
            highlight=False,
        )


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


@app.command()
def backup(
    path: Annotated[
        Path,
        typer.Argument(
            help="The backup file to write (a new file, never the live "
            "database; an older backup there is replaced once the new one "
            "checks out)."
        ),
    ],
) -> None:
    """Write a consistent, verified copy of the database, also while the bot runs; prints its size."""
    source = STATE.config.resolve(STATE.config.store.path)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("backup", total=None)
        try:
            result = backup_database(
                source, path, progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
        except BackupError as exc:
            err.print(f"backup failed: {exc}", markup=False, highlight=False)
            raise typer.Exit(1) from None
    counts = ", ".join(f"{n} {name}" for name, n in result.counts.items())
    out.print(
        f"backup written to {result.path}: {_size(result.size)}; integrity ok; {counts}", markup=False, highlight=False
    )


@app.command()
def who(name: Annotated[str, typer.Argument(help="Any spelling, a surname, Cyrillic.")]) -> None:
    """Who is this person: role, other spellings and recent mentions."""
    reply = _with_store(
        lambda store: store.run(who_reply, name, tz=STATE.config.timezone, aliases=STATE.aliases.current())
    )
    out.print(render(reply), markup=False, highlight=False)


@app.command()
def trend(
    topics: Annotated[
        str,
        typer.Argument(
            help="Up to three topics or people, comma-separated, written as for "
            "/subscribe, e.g. 'ceasefire, \"security guarantees\" -loan'."
        ),
    ],
    since: Annotated[
        str, typer.Option(help="First day: a date such as 2025-01-01, or a duration back such as 30d.")
    ] = "90d",
    until: Annotated[str, typer.Option(help="Last day, included (default: today).")] = "",
    out_file: Annotated[Path, typer.Option("--out", help="The PNG file to write.")] = Path("trend.png"),
) -> None:
    """Draw a trend chart (PNG) of how many stories match topics or people per day; prints its caption."""
    now, tz = Clock().now(), STATE.config.timezone
    try:
        first = _local_day(since, now, tz)
        last = _local_day(until, now, tz) if until else now.astimezone(ZoneInfo(tz)).date()
    except ValueError as exc:
        err.print(f"--since/--until: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if first > last:
        err.print(f"--since ({first}) is after --until ({last})", markup=False, highlight=False)
        raise typer.Exit(2)
    try:
        reply = _with_store(lambda store: store.run(typed_trend, topics, first, last, tz, until=now))
    except UsageError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    out.print(render(reply), markup=False, highlight=False)
    if reply.image is None:
        raise typer.Exit(1)
    try:
        out_file.write_bytes(reply.image.png)
    except OSError as exc:
        err.print(f"cannot write {out_file}: {exc.strerror or exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    out.print(f"chart written to {out_file}", markup=False, highlight=False)


def _local_day(text: str, now: datetime, tz: str) -> date:
    """A day in the configured time zone: `2025-01-01` as written, else what `_since` reads (30d, yesterday...)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return _since(text, now).astimezone(ZoneInfo(tz)).date()


@app.command()
def digest(
    chat: Annotated[str, typer.Option("--chat", help="Chat id, e.g. telegram:-1001234 or console:local.")],
    since: Annotated[
        str,
        typer.Option(
            help="Start: ISO date/time, or a duration back such as 1d (default: since the chat's last digest)."
        ),
    ] = "",
) -> None:
    """Print a chat's digest for the period since its last one (or --since)."""
    now = Clock().now()

    def build(db: Any) -> Any:
        row = chats.get_chat(db, chat)
        if row is None:
            return None
        start = _since(since, now) if since else period_start(db, row, now)
        return digest_reply(
            db,
            dict(row, digest_skip_empty=0),
            start,
            now,
            default_tz=STATE.config.timezone,
            max_items=STATE.config.digest.max_items_per_topic,
        )

    try:
        reply = _with_store(lambda store: store.run(build))
    except ValueError as exc:
        err.print(f"--since: {exc}", markup=False)
        raise typer.Exit(2) from None
    if reply is None:
        err.print(f"no chat {chat}", markup=False)
        raise typer.Exit(1)
    out.print(render(reply), markup=False, highlight=False)


def _since(text: str, now: datetime) -> datetime:
    """A start time as people write it: a duration back (2d, 12h), today, yesterday, or an ISO date/time."""
    named = {"today": 0, "yesterday": 1}
    if text.strip().lower() in named:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - timedelta(days=named[text.strip().lower()])
    try:
        return now - timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        return from_iso(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a start time: give a duration back (2d, 12h), today, yesterday, "
            "or a date such as 2025-09-01"
        ) from None


@reindex_app.command("people")
def reindex_people() -> None:
    """Re-extract people and roles from every stored article."""
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("people", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        _with_store(lambda store: store.run(people.reindex_all, step, aliases=STATE.aliases.current()))
    out.print("people index rebuilt")


@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="Feed URL or local file/folder path.")],
    full_text: Annotated[bool, typer.Option("--full-text", help="Fetch each item's page text.")] = False,
    every: Annotated[str, typer.Option(help="Polling interval, e.g. 10m, 1h.")] = "10m",
    title: Annotated[str, typer.Option(help="A name to show for it.")] = "",
) -> None:
    """Add a source (or change its settings)."""
    try:
        every_s = parse_duration(every)
    except ValueError as exc:
        err.print(f"--every: {exc}", markup=False)
        raise typer.Exit(2) from None
    try:  # fetched once: a page that links its feed gets the feed added instead; what cannot work is refused
        found = asyncio.run(_check_new_source(url))
    except IngestError as exc:
        err.print(f"cannot add {redact_url(url)}: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    for note in found.notes:
        out.print(inert(note), highlight=False)
    if found.warning:
        err.print(inert(f"warning: {found.warning}"), highlight=False)
    url = found.url
    source_id = _with_store(
        lambda store: store.run(
            sources.upsert_source,
            url,
            kind=found.kind,
            every_s=every_s,
            full_text=full_text,
            title=title or None,
            now=iso(Clock().now()),
        )
    )
    out.print(
        inert(f"source {source_id}: {display_url(url)} every {every}{' (full text)' if full_text else ''}"),
        highlight=False,
    )


async def _check_new_source(url: str) -> NewSource:
    async with make_fetcher(STATE.config) as fetcher:
        return await check_new_source(url, fetcher, allow_private=STATE.config.ingest.allow_private_hosts)


@sources_app.command("list")
def sources_list() -> None:
    """Every source with its status, last success, error count and last error."""
    rows = _with_store(lambda store: store.run(sources.list_sources))
    table = Table("id", "source", "every", "status", "last ok", "errors", "last error")
    for r in rows:
        status = "paused" if r["paused"] else ("failing" if r["error_count"] else "ok")
        table.add_row(
            str(r["id"]),
            inert(r["title"] or display_url(r["url"])),
            f"{r['every_s']}s",
            status,
            (r["last_ok_at"] or "never")[:16],
            str(r["error_count"]),
            inert(r["paused_reason"] or r["last_error"] or ""),
        )
    out.print(table)


@sources_app.command("remove")
def sources_remove(key: Annotated[str, typer.Argument(help="Source id or URL.")]) -> None:
    """Stop polling a source (its stored articles stay)."""
    if not _with_store(lambda store: store.run(sources.remove_source, key)):
        err.print(inert(f"no source {display_url(key)}"), highlight=False)
        raise typer.Exit(1)
    out.print(inert(f"removed {display_url(key)}"), highlight=False)


@sources_app.command("resume")
def sources_resume(key: Annotated[str, typer.Argument(help="Source id or URL.")]) -> None:
    """Resume a paused source and poll it at the next tick."""
    if not _with_store(lambda store: store.run(sources.resume_source, key, iso(Clock().now()))):
        err.print(inert(f"no source {display_url(key)}"), highlight=False)
        raise typer.Exit(1)
    out.print(inert(f"resumed {display_url(key)}"), highlight=False)


@sources_app.command("import")
def sources_import(file: Annotated[Path, typer.Argument(help="An OPML file.")]) -> None:
    """Add every feed listed in an OPML file; entries that are no http(s) feed are named with the reason."""
    try:
        entries = read_opml_entries(file.read_bytes())
    except (OSError, IngestError) as exc:
        err.print(f"{file}: {exc}", markup=False)
        raise typer.Exit(1) from None
    feeds = entries.feeds

    async def work(store: Store) -> None:
        for feed in feeds:
            await store.run(
                sources.upsert_source,
                feed["url"],
                kind="feed",
                every_s=600,
                full_text=False,
                title=feed.get("title") or None,
                now=iso(Clock().now()),
            )

    _with_store(work)
    skipped = f", skipped {len(entries.skipped)}" if entries.skipped else ""
    out.print(f"imported {len(feeds)} source(s){skipped}", highlight=False)
    for name, reason in entries.skipped:
        err.print(inert(f"skipped: {name}: {reason}"), highlight=False)


@sources_app.command("export")
def sources_export() -> None:
    """Print all feed sources as OPML."""
    rows = _with_store(lambda store: store.run(sources.list_sources))
    sys.stdout.write(write_opml([r for r in rows if r["kind"] == "feed"]))


@app.command()
def doctor() -> None:
    """Check the config, the database, each platform's token and each source; say what to fix."""

    async def work(store: Store) -> list[Any]:
        async with make_fetcher(STATE.config) as fetcher:
            return await run_checks(STATE.config, store, fetcher)

    checks = _with_store(work)
    table = Table("check", "status", "detail", title="diplobot doctor")
    for check in checks:
        table.add_row(inert(check.name), "ok" if check.ok else "FIX", inert(check.detail))
    out.print(table)
    raise typer.Exit(0 if all(c.ok for c in checks) else 1)


@app.command()
def version() -> None:
    """Print the version (as --version does)."""
    _print_version(True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
