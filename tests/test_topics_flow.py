"""One topic service end to end: "Witkoff" alerts, lists, counts, finds and digests an article that only says
"Vitkoff", in the real console process and on Telegram through the fake Bot API."""

from __future__ import annotations

import json
import time

from test_console import ConsoleProcess, ingest
from test_console import config as console_config  # noqa: F401  (the console's fixture, under another name)
from test_telegram import ALICE, SEED, bot, config, deliver, say, tg  # noqa: F401  (the Telegram fixtures)
from test_telegram import ingest as telegram_ingest

from diplobot.ingest.files import read_path
from diplobot.ingest.models import ArticleDraft

TITLE = "Envoy returns to Moscow"
BODY = "Vitkoff met officials in Moscow on Friday to discuss a prisoner exchange."


def test_the_console_treats_vitkoff_as_witkoff_everywhere(console_config, tmp_path):  # noqa: F811
    article = tmp_path / "envoy.json"
    article.write_text(
        json.dumps({"title": TITLE, "url": "https://news.example/envoy", "body": BODY}), encoding="utf-8"
    )
    assert ingest(console_config, SEED).returncode == 0  # names Steve Witkoff, then "Vitkoff"
    console = ConsoleProcess(console_config)
    try:
        console.send("/subscribe Witkoff")
        console.wait_for("Subscribed (topic 1)")
        assert ingest(console_config, article).returncode == 0
        assert TITLE in console.wait_for("🔔")
        # A digest covers [start, now) to the second, so an article stored in the very second of /digest waits for
        # the next one (never lost); let that second pass.
        time.sleep(1.1)
        for command, heading in (
            ("/latest 1", "Latest for"),
            ("/search Witkoff", "2 of 2 matching"),
            ("/digest", "Digest"),
        ):
            console.send(command)
            console.wait_for(heading)
            console.wait_for(TITLE)
        console.send("/unsubscribe 1")
        console.wait_for("Unsubscribed")
        console.send("/subscribe Witkoff")
        console.wait_for("2 stored articles of the last 7 days match")
        console.proc.stdin.close()
        assert console.proc.wait(timeout=15) == 0
    finally:
        console.proc.kill()


async def test_telegram_treats_vitkoff_as_witkoff_everywhere(tg, bot, store, config, clock):  # noqa: F811
    await telegram_ingest(store, clock, *read_path(SEED))
    assert "Subscribed (topic 1)" in await say(tg, "/subscribe Witkoff")
    counts = await telegram_ingest(store, clock, ArticleDraft(title=TITLE, url="https://news.example/envoy", body=BODY))
    assert counts.alerts == 1
    before = len(tg.sent(ALICE))
    assert await deliver(store, bot, config, clock) == 1
    (alert,) = tg.sent(ALICE)[before:]
    assert TITLE in alert["text"]
    assert TITLE in await say(tg, "/latest 1")
    assert "2 stored articles of the last 7 days match" in await say(
        tg, "/subscribe Witkoff", chat_id=ALICE + 7, user_id=ALICE + 7
    )
    search = await say(tg, "/search Witkoff")
    assert TITLE in search and "2 of 2 matching" in search
    clock.advance(minutes=1)
    assert TITLE in await say(tg, "/digest")
