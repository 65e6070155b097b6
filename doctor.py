"""`diplobot doctor`: check the config, the database, each platform's token and each source.

Every check returns a row (name, ok, detail) and never raises, so one broken part does not hide
the others; details never contain a token.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diplobot.config import Config
from diplobot.ingest.documents import parse_document
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.models import IngestError
from diplobot.ingest.urls import display_url
from diplobot.logs import redact
from diplobot.store import sources
from diplobot.store.db import quick_check, schema_version
from diplobot.store.worker import Store

TIMEOUT_S = 10


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _secrets(config: Config) -> tuple[str, ...]:
    return (config.telegram.token, config.slack.bot_token, config.slack.app_token, config.slack.signing_secret)


async def check_database(store: Store) -> Check:
    def probe(db: Any) -> str:
        result = quick_check(db)
        return f"schema version {schema_version(db)}, integrity {result}"

    try:
        detail = await store.run(probe)
    except Exception as exc:
        return Check("database", False, f"{exc.__class__.__name__}: {exc}")
    return Check("database", detail.endswith("ok"), detail)


async def check_telegram(config: Config) -> Check:
    from telegram import Bot
    from telegram.error import TelegramError

    bot = Bot(config.telegram.token, base_url=config.telegram.base_url)
    try:
        async with asyncio.timeout(TIMEOUT_S):
            me = await bot.get_me()
        return Check("telegram token", True, f"@{me.username}")
    except (TelegramError, TimeoutError) as exc:
        return Check("telegram token", False, redact(f"getMe failed: {exc}", _secrets(config)))


async def check_slack(config: Config) -> Check:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=config.slack.bot_token, base_url=config.slack.api_url, timeout=TIMEOUT_S)
    try:
        reply = await client.auth_test()
        return Check("slack token", True, f"{reply.get('team')} as {reply.get('user')}")
    except (SlackApiError, OSError, TimeoutError) as exc:
        return Check("slack token", False, redact(f"auth.test failed: {exc}", _secrets(config)))


async def check_source(fetcher: Fetcher, source: dict[str, Any]) -> Check:
    """Fetch a feed source once; the detail shows its URL with credentials masked."""
    name = f"source {source['id']}"
    shown = display_url(source["url"])
    if source["kind"] == "file":  # a path that is gone fails every poll: say so here too
        path = Path(source["url"])
        if not path.exists():
            return Check(name, False, f"{shown}: no such file or folder")
        return Check(name, True, f"{shown} ({'folder' if path.is_dir() else 'file'})")
    if source["kind"] != "feed":
        return Check(name, True, f"{shown} ({source['kind']})")
    try:
        result = await fetcher.get(source["url"])
    except IngestError as exc:
        return Check(name, False, f"{shown}: {exc}")
    except Exception as exc:  # a hostile answer nobody foresaw must not hide the other checks
        return Check(name, False, f"{shown}: unexpected {type(exc).__name__}")
    try:  # a page is no feed however well it answers (the error names the feed it links, if any)
        parse_document(result.body, url=result.url, content_type=result.content_type, name=result.url, feeds_only=True)
    except IngestError as exc:
        return Check(name, False, f"{shown}: HTTP {result.status}, but {exc}")
    except Exception as exc:
        return Check(name, False, f"{shown}: HTTP {result.status}, unreadable: {type(exc).__name__}")
    return Check(name, True, f"{shown}: HTTP {result.status}")


async def run_checks(config: Config, store: Store, fetcher: Fetcher) -> list[Check]:
    where = config.path or "built-in defaults"
    checks = [Check("config", True, where), await check_database(store)]
    if config.telegram.enabled:
        checks.append(await check_telegram(config))
    if config.slack.enabled:
        checks.append(await check_slack(config))
    rows = await store.run(sources.list_sources)
    checks.extend(await asyncio.gather(*(check_source(fetcher, s) for s in rows)))
    return checks
