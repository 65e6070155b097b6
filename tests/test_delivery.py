"""The outbox worker: paced per chat, 429 holds only that chat, nothing is dropped silently."""

import asyncio
import itertools

from diplobot.config import Config, DeliveryConfig
from diplobot.outbox import OutboxWorker, backoff_s
from diplobot.platforms.base import DeliveryError
from diplobot.store import alerts, articles, chats

NOW = "2025-09-04T10:00:00+00:00"


def queue_alerts(db, chat_id: str, n: int, *, kind: str = "private", tag: str = "", now: str = NOW) -> None:
    """`n` pending alerts for a chat (distinct stories), as matching would leave them (tests/test_faults.py too)."""
    chats.ensure_chat(db, chat_id, kind=kind, timezone="UTC", now=now)
    for i in range(n):
        key = f"{chat_id}-{tag}{i}"
        article_id = articles.insert_article(
            db,
            articles.NewArticle(
                title=f"Alert {key}",
                summary="",
                body="the ceasefire holds",
                url=f"https://x.org/{key}",
                canonical_url=f"https://x.org/{key}",
                guid=None,
                published_at=now,
                fetched_at=now,
                content_hash=key,
            ),
        )
        alerts.create_alert(
            db,
            chat_id=chat_id,
            article_id=article_id,
            story_id=article_id,
            topics=[
                {
                    "id": 1,
                    "query": "ceasefire",
                    "describe": 'phrase "ceasefire"',
                    "phrase": "ceasefire",
                    "field": "body",
                    "start": 4,
                    "end": 13,
                }
            ],
            next_attempt_at=now,
            now=now,
        )


async def test_alerts_to_one_chat_are_spaced_by_its_pace(store, messenger_cls):
    await store.run(queue_alerts, "test:1", 4)
    messenger = messenger_cls(per_chat_s=0.2)
    assert await OutboxWorker(store, messenger, Config()).run_once() == 4
    times = [t for _, t, _ in messenger.sent]
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))
    assert (await store.run(alerts.alert_counts))["sent"] == 4


async def test_rate_limit_on_one_chat_does_not_hold_others(store, messenger_cls):
    await store.run(queue_alerts, "test:1", 2)
    await store.run(queue_alerts, "test:2", 2)
    messenger = messenger_cls()
    messenger.failures["1"] = DeliveryError("429 Too Many Requests", retry_after=30)
    await OutboxWorker(store, messenger, Config()).run_once()
    assert [chat for chat, _, _ in messenger.sent] == ["2", "2"]
    pending = await store.run(alerts.chat_alerts, "test:1")
    assert all(a["state"] == "pending" and a["next_attempt_at"] > NOW for a in pending)


async def test_a_gone_chat_is_marked_inactive_and_its_alerts_stop(store, messenger_cls):
    await store.run(queue_alerts, "test:1", 3)
    messenger = messenger_cls()
    messenger.failures["1"] = DeliveryError("Forbidden: bot was blocked by the user", chat_gone=True)
    await OutboxWorker(store, messenger, Config()).run_once()
    chat = await store.run(chats.get_chat, "test:1")
    assert chat["active"] == 0 and "blocked" in chat["inactive_reason"]
    assert (await store.run(alerts.alert_counts))["failed"] == 3


async def test_errors_are_retried_then_marked_failed_with_the_reason(store, messenger_cls):
    await store.run(queue_alerts, "test:1", 1)
    messenger = messenger_cls()
    messenger.failures["1"] = DeliveryError("HTTP 502 Bad Gateway")
    config = Config(delivery=DeliveryConfig(max_attempts=2))
    worker = OutboxWorker(store, messenger, config)
    await worker.run_once()
    (alert,) = await store.run(alerts.chat_alerts, "test:1")
    assert alert["state"] == "pending" and alert["attempts"] == 1 and alert["next_attempt_at"] > NOW
    await store.run(lambda db: db.execute("update alerts set next_attempt_at = ?", [NOW]))
    await worker.run_once()
    (alert,) = await store.run(alerts.chat_alerts, "test:1")
    assert alert["state"] == "failed" and alert["last_error"] == "HTTP 502 Bad Gateway"


def test_backoff_doubles_and_is_capped():
    assert [backoff_s(n) for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff_s(50) == 3600


async def test_an_alert_with_an_8_mb_title_goes_out_fast_as_one_message(store):
    import io

    from diplobot.platforms.console import ConsolePlatform

    def queue_huge(db):
        queue_alerts(db, "console:local", 1)
        db.execute("update articles set title = ?", ["ceasefire " * 800_000])

    await store.run(queue_huge)
    out = io.StringIO()
    console = ConsolePlatform(None, stdin=io.StringIO(), stdout=out)  # type: ignore[arg-type]
    assert await OutboxWorker(store, console, Config()).run_once() == 1
    printed = out.getvalue()
    assert printed.count("🔔") == 1 and len(printed) < 4200 and "Matched:" in printed


async def test_the_loop_serves_at_most_busy_chats_at_once_so_a_newcomer_waits_few_turns(store, messenger_cls):
    """Chats being served take turns at the total pace: starting every chat with a due alert would put a new
    chat's first alert behind all of them."""
    for n in range(6):
        await store.run(queue_alerts, f"test:{n}", 1)
    worker = OutboxWorker(store, messenger_cls(), Config(), busy_chats=2)
    started = await worker.dispatch(max_chats=worker.busy_chats)
    assert len(started) == 2
    await asyncio.gather(*started)
    rest = await worker.dispatch()  # without a cap (run_once) it starts every chat
    assert len(rest) == 4
    await asyncio.gather(*rest)
