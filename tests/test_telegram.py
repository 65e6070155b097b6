"""Telegram: the real python-telegram-bot Application against a fake Bot API server on 127.0.0.1."""

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import fake_telegram as ft
import pytest

from diplobot.config import Config, DeliveryConfig, StoreConfig, TelegramConfig
from diplobot.handlers.alerts import alert_reply
from diplobot.handlers.reply import Button, Link, Paragraph, Reply, ReplyBuilder, Text
from diplobot.ingest.models import ArticleDraft
from diplobot.platforms.base import DeliveryError
from diplobot.platforms.telegram import TelegramPlatform, address, delivery_error
from diplobot.platforms.telegram_render import escape, render, utf16_len

SEED = Path(__file__).parent / "fixtures" / "seeds" / "000_fd9a76e71e4bf2ca.txt"
ALICE, BOB, GROUP, CHANNEL = 5001, 5002, -100777, -100888
WILLING = "coalition of the willing"


# ---- rendering ----------------------------------------------------------------------------------


def visible(html: str) -> str:
    return ft.parse_html(html)[0]


def test_hostile_text_is_escaped_and_stays_valid_html():
    reply = ReplyBuilder().heading("<script>alert(1)</script>").para('AT&T says a < b > c "q"').build()
    message = render(reply)
    assert visible(message.html) == '<script>alert(1)</script>\n\nAT&T says a < b > c "q"'
    assert "<script>" not in message.html


def test_styles_become_tags_and_only_web_or_tg_links_become_anchors():
    reply = Reply(
        blocks=(
            Paragraph((Text("Title", "bold"),), kind="heading"),
            Paragraph((Text("hit", "mark"), Text(" x", "code"), Link("site", 'https://e.org/?a=1&b="2"'))),
            Paragraph((Link("evil", "javascript:alert(1)"), Link("chat", "tg://resolve?domain=x")), kind="context"),
        )
    )
    html = render(reply).html
    assert html.startswith("<b>Title</b>")  # no <b> nested in the heading's <b>
    assert "<u>hit</u><code> x</code>" in html
    assert '<a href="https://e.org/?a=1&amp;b=&quot;2&quot;">site</a>' in html
    assert "javascript" not in html and '<a href="tg://resolve?domain=x">chat</a>' in html
    assert html.endswith("</i>")
    ft.parse_html(html)


def test_a_long_reply_is_one_message_cut_at_a_paragraph_saying_how_much_more_with_its_buttons():
    paragraphs = [f"Paragraph {i}: " + "word " * 150 for i in range(12)]
    reply = Reply.text(*paragraphs).with_buttons((Button("More", "/latest 20"),))
    message = render(reply)
    text = visible(message.html)
    assert utf16_len(text) <= 4000 and message.keyboard is not None
    shown, more = text.rsplit("\n\n", 1)
    kept = shown.split("\n\n")
    assert kept == paragraphs[: len(kept)] and 3 <= len(kept) < 12
    assert more == f"… and {12 - len(kept)} more lines (too long for one message)"


def test_a_huge_paragraph_is_clipped_counting_emoji_as_two_and_the_rest_still_shows():
    line = "🇺🇦 " + "peace " * 100
    reply = ReplyBuilder().context("\n".join([line] * 40)).para("The end.").build()
    message = render(reply)
    clipped, end = visible(message.html).split("\n\n")
    assert utf16_len(clipped) <= 1000 and clipped.endswith("…") and end == "The end."
    assert set(clipped.rstrip("…").split()) <= {"🇺🇦", "peace"}
    assert message.html.startswith("<i>")


@pytest.mark.parametrize("size", [5_000, 8_000_000])
def test_a_huge_title_renders_fast_into_one_valid_message(size):
    title = ("ceasefire " * (size // 10 + 1))[:size]
    reply = alert_reply(
        {
            "title": title,
            "url": "https://wire.example/x",
            "source": "Wire",
            "summary": "",
            "body": "",
            "published_at": None,
        },
        [{"id": 1, "describe": 'phrase "ceasefire"', "phrase": "ceasefire", "field": "title", "start": 0, "end": 9}],
        "UTC",
    )
    message = render(reply)  # cut before any other work: a hang here is caught by the test's timeout
    text, _entities = ft.parse_html(message.html)
    assert 0 < utf16_len(text) <= 4096 and text.startswith("ceasefire ceasefire")
    assert "Matched:" in text  # the title did not crowd out the rest of the alert
    assert message.keyboard is not None


def test_a_button_whose_command_exceeds_64_bytes_is_dropped():
    reply = Reply.text("x").with_buttons((Button("ok", "/unsubscribe #1"), Button("long", "/who " + "ж" * 40)))
    message = render(reply)
    assert [[b.callback_data for b in row] for row in message.keyboard.inline_keyboard] == [["/unsubscribe #1"]]


def test_previews_are_off_unless_the_reply_asks():
    assert render(Reply.text("x")).link_preview_options.is_disabled is True
    assert render(Reply(blocks=Reply.text("x").blocks, preview=True)).link_preview_options.is_disabled is False


def test_escape_is_the_single_html_escaper():
    assert escape('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"


def test_commands_for_another_bot_are_not_ours():
    assert address("/help@diplo_bot now", "Diplo_Bot").text == "/help now"
    assert address("/help@otherbot", "diplo_bot") is None
    assert address("hello", "diplo_bot") is None


# ---- the running bot against the fake server ----------------------------------------------------


@pytest.fixture
async def tg():
    async with ft.FakeTelegram() as server:
        yield server


@pytest.fixture
def config(tmp_path, tg):
    """Overrides conftest's config, so conftest's store and dispatcher use this one."""
    telegram = TelegramConfig(
        token=tg.token, base_url=tg.base_url, per_chat_per_s=20.0, per_group_per_min=1200.0, total_per_s=1000.0
    )
    return Config(
        telegram=telegram, store=StoreConfig(path=str(tmp_path / "t.db")), delivery=DeliveryConfig(max_attempts=3)
    )


@pytest.fixture
def bot(telegram_bot):
    return telegram_bot


async def say(tg, text, *, chat_id=ALICE, user_id=ALICE, kind="private", **extra):
    """Push a message and return the text of the bot's answer in that chat."""
    before = len(tg.sent(chat_id))
    tg.push(ft.message_update(text, chat_id=chat_id, user_id=user_id, kind=kind, **extra))
    answers = await tg.wait_for(lambda: tg.sent(chat_id)[before:])
    return "\n\n".join(m["text"] for m in answers)


async def press(tg, message, data, *, user_id=ALICE, edits=True):
    """Press a button of `message`; returns (answer text, the message after the edit if `edits`)."""
    answered, edited = len(tg.called("answerCallbackQuery")), len(tg.called("editMessageText"))
    tg.push(ft.callback_update(data, message=message, user_id=user_id))
    answer = await tg.wait_for(lambda: tg.called("answerCallbackQuery")[answered:])
    if edits:
        await tg.wait_for(lambda: tg.called("editMessageText")[edited:])
    key = (message["chat"]["id"], message["message_id"])
    return answer[0].params.get("text", ""), tg.messages[key]


async def deliver(store, bot, config, clock):
    from diplobot.outbox import OutboxWorker

    return await OutboxWorker(store, bot, config, clock).run_once()


async def ingest(store, clock, *drafts, source="Example Wire"):
    from diplobot.pipeline import ingest_drafts
    from diplobot.store.sources import upsert_source

    now = clock.now().isoformat()
    source_id = await store.run(
        upsert_source, "https://wire.example/feed", kind="feed", every_s=600, full_text=False, title=source, now=now
    )
    return await ingest_drafts(store, list(drafts), source_id=source_id, now=clock.now())


def paris_article(title="Leaders meet in Paris on guarantees", url="https://wire.example/paris", n=0):
    return ArticleDraft(
        title=title, url=url, body=f"Envoys said the {WILLING} would meet again in Paris in {n + 1} weeks."
    )


def button(message, label_start):
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"].startswith(label_start))


async def test_start_greets_and_the_command_menu_is_published(tg, bot):
    assert "diplobot" in await say(tg, "/start")
    (menu,) = tg.called("setMyCommands")
    names = [c["command"] for c in menu.params["commands"]]
    assert {"start", "help", "subscribe", "topics"} <= set(names)
    assert all(0 < len(c["description"]) <= 256 for c in menu.params["commands"])


async def test_a_subscribed_topic_gets_exactly_one_alert_with_title_source_snippet_and_link(
    tg, bot, store, config, clock
):
    assert "Subscribed" in await say(tg, f"/subscribe {WILLING}")
    await ingest(store, clock, paris_article())
    before = len(tg.sent(ALICE))
    assert await deliver(store, bot, config, clock) == 1
    (alert,) = tg.sent(ALICE)[before:]
    assert "Leaders meet in Paris on guarantees" in alert["text"]
    assert "Example Wire" in alert["text"]
    assert WILLING in alert["text"]
    assert {"type": "text_link", "url": "https://wire.example/paris"}.items() <= alert["entities"][0].items()
    assert await deliver(store, bot, config, clock) == 0


async def test_pressing_unsubscribe_under_topics_removes_it_and_edits_the_message(tg, bot):
    await say(tg, f"/subscribe {WILLING}")
    await say(tg, "/subscribe security guarantees")
    await say(tg, "/topics")
    listing = tg.sent(ALICE)[-1]
    answer, edited = await press(tg, listing, button(listing, "Unsubscribe 1"))
    assert answer.startswith("Unsubscribed")
    assert "Unsubscribed" in edited["text"] and "edit_date" in edited
    assert [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row] == ["Unsubscribe 2"]
    topics = await say(tg, "/topics")
    assert "security guarantees" in topics and WILLING not in topics


async def test_a_forged_or_stale_button_press_is_answered_and_harmless(tg, bot):
    await say(tg, f"/subscribe {WILLING}")
    await say(tg, "/topics")
    listing = tg.sent(ALICE)[-1]
    for forged in ("rm -rf /", "/unsubscribe #1", "/subscribe forged", button(listing, "Unsubscribe 1") + "x"):
        answer, after = await press(tg, listing, forged, edits=False)
        assert answer == "This button no longer works." and after == listing
    assert WILLING in await say(tg, "/topics")
    await say(tg, "/unsubscribe 1")
    answer, _ = await press(tg, listing, button(listing, "Unsubscribe 1"))  # genuine, but stale
    assert "no topic" in answer
    assert not tg.called("editMessageText")[0].params["text"].count("forged")


async def test_button_data_is_signed_for_its_chat_and_fits_64_bytes(tg, bot):
    await say(tg, f"/subscribe {WILLING}")
    await say(tg, "/topics")
    listing = tg.sent(ALICE)[-1]
    data = button(listing, "Unsubscribe 1")
    command, _, signature = data.rpartition("|")
    assert command.startswith("/unsubscribe #") and len(signature) == 12 and len(data.encode()) <= 64
    await say(tg, f"/subscribe {WILLING}", chat_id=BOB, user_id=BOB)
    await say(tg, "/topics", chat_id=BOB, user_id=BOB)
    bobs = button(tg.sent(BOB)[-1], "Unsubscribe")  # Bob's topic has its own fixed number
    assert bobs.rpartition("|")[2] != signature  # the same command, signed for another chat
    answer, _ = await press(tg, {**listing, "reply_markup": None}, bobs, edits=False)  # no keyboard to check
    assert answer == "This button no longer works."
    assert WILLING in await say(tg, "/topics")


async def test_who_yermak_after_ingesting_the_seed_article(tg, bot, store, clock):
    from diplobot.ingest.files import read_path

    await ingest(store, clock, *read_path(SEED))
    answer = await say(tg, "/who Yermak")
    assert "Andriy Yermak" in answer
    assert "Presidential Office" in answer or "OP" in answer


async def test_in_groups_only_admins_change_subscriptions(tg, bot):
    tg.admins[GROUP] = {ALICE}
    refused = await say(tg, f"/subscribe {WILLING}", chat_id=GROUP, user_id=BOB, kind="supergroup")
    assert "only this chat's admins" in refused
    assert "Subscribed" in await say(tg, f"/subscribe {WILLING}", chat_id=GROUP, user_id=ALICE, kind="supergroup")
    assert "Topics followed here" in await say(tg, "/topics", chat_id=GROUP, user_id=BOB, kind="supergroup")


async def test_an_anonymous_group_admin_counts_as_admin(tg, bot):
    group = ft.chat(GROUP, "supergroup")
    answer = await say(
        tg, "/subscribe ceasefire", chat_id=GROUP, user_id=1087968824, kind="supergroup", sender_chat=group
    )
    assert "Subscribed" in answer
    assert not tg.called("getChatMember")


async def test_a_non_admin_pressing_a_group_button_is_refused_and_the_message_kept(tg, bot):
    tg.admins[GROUP] = {ALICE}
    await say(tg, f"/subscribe {WILLING}", chat_id=GROUP, user_id=ALICE, kind="supergroup")
    await say(tg, "/topics", chat_id=GROUP, user_id=ALICE, kind="supergroup")
    listing = tg.sent(GROUP)[-1]
    answer, after = await press(tg, listing, button(listing, "Unsubscribe 1"), user_id=BOB, edits=False)
    assert "only this chat's admins" in answer and after == listing
    assert WILLING in await say(tg, "/topics", chat_id=GROUP, user_id=BOB, kind="supergroup")


async def test_our_bot_suffix_works_and_commands_for_other_bots_are_ignored(tg, bot):
    tg.push(ft.message_update("/help@otherbot", chat_id=GROUP, user_id=BOB, kind="supergroup"))
    tg.push(ft.message_update("/weather", chat_id=GROUP, user_id=BOB, kind="supergroup"))
    answer = await say(tg, "/help@diplo_test_bot", chat_id=GROUP, user_id=BOB, kind="supergroup")
    assert "Commands" in answer
    assert len(tg.sent(GROUP)) == 1


async def test_channel_posts_run_commands_and_only_channel_admins_may_press_its_buttons(tg, bot, store, config, clock):
    channel = ft.chat(CHANNEL, "channel")
    tg.chat_types[CHANNEL] = channel
    assert "Subscribed" in await say(
        tg, f"/subscribe {WILLING}", chat_id=CHANNEL, user_id=None, kind="channel", sender_chat=channel
    )
    await ingest(store, clock, paris_article())
    assert await deliver(store, bot, config, clock) == 1
    alert = tg.sent(CHANNEL)[-1]
    assert "Leaders meet in Paris" in alert["text"]
    answer, after = await press(tg, alert, button(alert, "Unsubscribe"), user_id=BOB, edits=False)
    assert "only this channel's admins" in answer and after == alert  # any subscriber sees the buttons


async def test_a_forged_press_on_a_channel_post_changes_nothing(tg, bot, store, config, clock):
    channel = ft.chat(CHANNEL, "channel")
    tg.chat_types[CHANNEL] = channel
    tg.admins[CHANNEL] = {ALICE}
    await say(tg, f"/subscribe {WILLING}", chat_id=CHANNEL, user_id=None, kind="channel", sender_chat=channel)
    await ingest(store, clock, paris_article())
    await deliver(store, bot, config, clock)
    alert = tg.sent(CHANNEL)[-1]
    for user_id in (BOB, ALICE):  # a subscriber, and even an admin, with a modified client
        for forged in ("/search DEFACED by a forged button", "/mute 24h", "/unsubscribe #1"):
            answer, after = await press(tg, alert, forged, user_id=user_id, edits=False)
            assert answer == "This button no longer works." and after == alert
    assert not tg.called("editMessageText")
    answer, after = await press(tg, alert, button(alert, "Unsubscribe"), user_id=ALICE)
    assert answer.startswith("Unsubscribed") and "DEFACED" not in after["text"]


async def test_hostile_titles_arrive_as_text(tg, bot, store, config, clock):
    await say(tg, f"/subscribe {WILLING}")
    await ingest(
        store,
        clock,
        paris_article(title="<script>alert(1)</script> AT&T: a < b", url="https://wire.example/x?a=1&b=<2>"),
    )
    await deliver(store, bot, config, clock)
    alert = tg.sent(ALICE)[-1]
    assert alert["text"].startswith("<script>alert(1)</script> AT&T: a < b")
    assert alert["entities"][0]["url"] == "https://wire.example/x?a=1&b=<2>"


async def test_a_6000_character_reply_arrives_as_one_valid_message_saying_what_was_left_out(tg, bot):
    paragraphs = [f"{i:02d} " + "x" * 496 for i in range(12)]
    await bot.send(str(ALICE), Reply.text(*paragraphs))
    (message,) = tg.sent(ALICE)
    *kept, more = message["text"].split("\n\n")
    assert kept == paragraphs[: len(kept)] and more == f"… and {12 - len(kept)} more lines (too long for one message)"


async def test_an_alert_with_a_5000_character_title_is_one_message(tg, bot, store, config, clock):
    await say(tg, f"/subscribe {WILLING}")
    title = "ceasefire " + "talks " * 832
    await ingest(store, clock, paris_article(title=title))
    before = len(tg.called("sendMessage"))
    assert await deliver(store, bot, config, clock) == 1
    (call,) = tg.called("sendMessage")[before:]
    alert = tg.sent(ALICE)[-1]
    assert call.status == 200 and alert["text"].startswith("ceasefire talks")
    assert "Example Wire" in alert["text"] and len(alert["reply_markup"]["inline_keyboard"][0]) == 2


async def test_edit_replaces_a_sent_message_and_an_unchanged_edit_is_no_error(tg, bot):
    message_id = await bot.send(str(ALICE), Reply.text("Reported by 1 outlet"))
    await bot.edit(str(ALICE), message_id, Reply.text("Reported by 3 outlets"))
    await bot.edit(str(ALICE), message_id, Reply.text("Reported by 3 outlets"))
    (message,) = tg.sent(ALICE)
    assert message["text"] == "Reported by 3 outlets"
    with pytest.raises(DeliveryError):
        await bot.edit(str(ALICE), "999999", Reply.text("gone"))


async def test_a_rate_limited_chat_waits_while_others_get_their_alerts(tg, bot, store, config, clock):
    from diplobot.store.alerts import chat_alerts

    await say(tg, f"/subscribe {WILLING}")
    await say(tg, f"/subscribe {WILLING}", chat_id=BOB, user_id=BOB)
    tg.fail(ALICE, 429, "Too Many Requests: retry after 30", retry_after=30)
    await ingest(store, clock, paris_article())
    assert await deliver(store, bot, config, clock) == 1
    assert "Leaders meet in Paris" in tg.sent(BOB)[-1]["text"]
    (waiting,) = await store.run(chat_alerts, f"telegram:{ALICE}")
    assert waiting["state"] == "pending"
    assert waiting["next_attempt_at"] >= (clock.now() + timedelta(seconds=29)).isoformat()


async def test_a_chat_that_blocked_the_bot_is_marked_inactive(tg, bot, store, config, clock):
    from diplobot.store.chats import get_chat

    await say(tg, f"/subscribe {WILLING}")
    tg.fail(ALICE, 403, "Forbidden: bot was blocked by the user")
    await ingest(store, clock, paris_article())
    await deliver(store, bot, config, clock)
    chat = await store.run(get_chat, f"telegram:{ALICE}")
    assert chat["active"] == 0 and "blocked" in chat["inactive_reason"]


OLD_GROUP, SUPERGROUP = -4242, -1004242


async def subscribe_old_group(tg, topic=WILLING):
    tg.admins[OLD_GROUP] = {ALICE}
    assert "Subscribed" in await say(tg, f"/subscribe {topic}", chat_id=OLD_GROUP, user_id=ALICE, kind="group")


async def test_an_alert_to_a_group_that_became_a_supergroup_arrives_in_the_supergroup(tg, bot, store, config, clock):
    await subscribe_old_group(tg)
    tg.upgrade_to_supergroup(OLD_GROUP, SUPERGROUP, announce=False)  # while the bot was not looking
    await ingest(store, clock, paris_article())
    await deliver(store, bot, config, clock)  # Telegram answers with the new id
    await deliver(store, bot, config, clock)
    (alert,) = tg.sent(SUPERGROUP)
    assert "Leaders meet in Paris on guarantees" in alert["text"]
    topics = await say(tg, "/topics", chat_id=SUPERGROUP, user_id=BOB, kind="supergroup")
    assert WILLING in topics
    await ingest(store, clock, paris_article(title="Envoys meet in Rome", url="https://wire.example/rome", n=9))
    await deliver(store, bot, config, clock)
    assert len(tg.sent(SUPERGROUP)) == 3  # alert, /topics, the next alert: none lost on the old id
    assert [c for c in tg.called("sendMessage") if c.params["chat_id"] == str(OLD_GROUP)][-1].status == 400


async def test_a_digest_due_in_a_group_that_became_a_supergroup_is_sent_there_once(tg, bot, store, config, clock):
    from diplobot.scheduler import Jobs

    await subscribe_old_group(tg)
    await say(tg, "/settings digest 10:30", chat_id=OLD_GROUP, user_id=ALICE, kind="group")  # clock: 10:00 UTC
    await ingest(store, clock, paris_article())
    tg.upgrade_to_supergroup(OLD_GROUP, SUPERGROUP, announce=False)
    clock.advance(minutes=31)
    jobs = Jobs(store, fetcher=None, config=config, clock=clock)
    jobs.platforms.add("telegram")
    assert await jobs.digests() == 1  # built into the outbox
    assert await deliver(store, bot, config, clock) == 0  # Telegram answers with the new id
    await deliver(store, bot, config, clock)
    assert await jobs.digests() == 0
    assert await deliver(store, bot, config, clock) == 0
    (digest,) = [m for m in tg.sent(SUPERGROUP) if "Digest" in m["text"]]
    assert "Leaders meet in Paris" in digest["text"]


async def test_the_upgrade_notice_moves_a_groups_topics_and_settings_at_once(tg, bot, store):
    from diplobot.store.chats import get_chat

    await subscribe_old_group(tg)
    assert "Europe/Kyiv" in await say(
        tg, "/settings timezone Europe/Kyiv", chat_id=OLD_GROUP, user_id=ALICE, kind="group"
    )
    tg.upgrade_to_supergroup(OLD_GROUP, SUPERGROUP)
    for _ in range(500):  # the notices are handled in the background
        if await store.run(get_chat, f"telegram:{SUPERGROUP}"):
            break
        await asyncio.sleep(0.01)
    assert WILLING in await say(tg, "/topics", chat_id=SUPERGROUP, user_id=BOB, kind="supergroup")
    assert "Europe/Kyiv" in await say(tg, "/settings", chat_id=SUPERGROUP, user_id=BOB, kind="supergroup")
    assert len(tg.sent(OLD_GROUP)) == 2  # the /subscribe and /settings answers, nothing since


async def test_alerts_to_one_private_chat_respect_its_pace(tg, bot, store, config, clock):
    await say(tg, f"/subscribe {WILLING}")
    drafts = [
        replace(
            paris_article(title=f"Meeting {i}", url=f"https://wire.example/{i}", n=i),
            published_at=datetime(2025, 6, 1, tzinfo=UTC) + timedelta(days=6 * i),
        )  # 5 stories
        for i in range(5)
    ]
    await ingest(store, clock, *drafts)
    assert await deliver(store, bot, config, clock) == 5
    times = [c.at for c in tg.called("sendMessage") if c.params["chat_id"] == str(ALICE)][-5:]
    interval = 1 / config.telegram.per_chat_per_s
    # Arrival times carry network jitter, so judge the pace over the whole run, not gap by gap.
    assert times[-1] - times[0] >= (len(times) - 1) * interval * 0.75


def test_pace_follows_the_configured_telegram_limits():
    platform = TelegramPlatform(Config(telegram=TelegramConfig(token="42:PACE-test")), dispatcher=None)
    assert platform.pace("private").per_s / platform.pace("private").count == pytest.approx(1.0)
    assert platform.pace("group").per_s / platform.pace("group").count == pytest.approx(3.0)
    assert platform.total_pace().per_s / platform.total_pace().count == pytest.approx(1 / 30)


async def test_server_errors_and_timeouts_become_retryable_delivery_errors(tg, config, dispatcher):
    platform = TelegramPlatform(config, dispatcher, poll_timeout=0.2, request_timeout=0.3)
    await platform.start()
    try:
        tg.fail(ALICE, 500, "Internal Server Error")
        with pytest.raises(DeliveryError) as failed:
            await platform.send(str(ALICE), Reply.text("hi"))
        assert not failed.value.chat_gone and failed.value.retry_after is None
        tg.hang(BOB)
        with pytest.raises(DeliveryError) as timed_out:
            await platform.send(str(BOB), Reply.text("hi"))
        assert "timed out" in timed_out.value.reason
    finally:
        await platform.stop()


def test_telegram_errors_map_to_what_the_outbox_needs():
    from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

    token = "123:SECRET"
    assert delivery_error(RetryAfter(timedelta(seconds=7)), token).retry_after == 7
    assert delivery_error(RetryAfter(3), token).retry_after == 3
    assert delivery_error(Forbidden("Forbidden: bot was kicked from the group chat"), token).chat_gone
    assert delivery_error(BadRequest("Chat not found"), token).chat_gone
    assert not delivery_error(BadRequest("Can't parse entities"), token).chat_gone
    assert delivery_error(BadRequest("bad 123:SECRET"), token).reason == "bad <token>"
    moved = delivery_error(ChatMigrated(-1001234), token)
    assert moved.moved_to == "-1001234" and not moved.chat_gone


async def webhook_post(bot, secret, update):
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{bot.webhook_port}/tg/hook", json=update, headers=headers) as resp,
    ):
        return resp.status


async def test_webhook_mode_processes_only_requests_with_the_secret(tg, tmp_path, store, dispatcher):
    telegram = TelegramConfig(
        token=tg.token,
        base_url=tg.base_url,
        mode="webhook",
        webhook_url="https://bot.example/tg/hook",
        listen="127.0.0.1:0",
        secret_token="s3cret-Token_1",
    )
    platform = TelegramPlatform(Config(telegram=telegram), dispatcher)
    await platform.start()
    try:
        (hook,) = tg.called("setWebhook")
        assert hook.params["secret_token"] == "s3cret-Token_1"
        assert hook.params["url"] == "https://bot.example/tg/hook"
        update = {"update_id": 1, **ft.message_update("/start", chat_id=ALICE, user_id=ALICE)}
        assert await webhook_post(platform, "wrong", update) == 403
        assert await webhook_post(platform, None, update) == 403
        assert await webhook_post(platform, "s3cret-Token_1", update) == 200
        await tg.wait_for(lambda: tg.sent(ALICE))
        assert len(tg.sent(ALICE)) == 1
        assert not tg.called("getUpdates")
    finally:
        await platform.stop()


async def test_the_token_never_appears_in_logs_or_errors(tg, config, dispatcher, caplog):
    caplog.set_level(logging.DEBUG)
    platform = TelegramPlatform(config, dispatcher, poll_timeout=0.2, request_timeout=0.3)
    await platform.start()
    try:
        await say(tg, "/start")
        tg.fail(ALICE, 403, "Forbidden: bot was blocked by the user")
        with pytest.raises(DeliveryError) as blocked:
            await platform.send(str(ALICE), Reply.text("hi"))
    finally:
        await platform.stop()
    wrong = TelegramPlatform(Config(telegram=TelegramConfig(token="999:WRONG-token", base_url=tg.base_url)), dispatcher)
    with pytest.raises(RuntimeError) as rejected:
        await wrong.start()
    await wrong.app.shutdown()
    assert "getMe" in caplog.text  # the debug log of the API calls was captured
    for text in (caplog.text, blocked.value.reason, str(rejected.value)):
        assert tg.token not in text and "999:WRONG-token" not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/subscribe " + "x" * 10_000, "the limit is 1,000"),
        ('/search "unbalanced AND (NOT* ; drop table articles; --', "a quote is not closed"),
        ("/subscribe <b>bold</b> & \x07bell", "Subscribed"),
        ("/who 🇺🇦🕊️", "nobody"),
        ("/settings timezone Mars/Olympus_Mons", "Mars/Olympus_Mons"),
        ("/unsubscribe 99999999999999999999999", "topic"),
        ("/frobnicate now", "I don't know /frobnicate"),
    ],
)
async def test_hostile_or_malformed_commands_get_a_clear_valid_answer(tg, bot, store, text, expected):
    answer = await say(tg, text)  # arrives only if the fake Bot API accepted its HTML and length
    assert expected.lower() in answer.lower()
    assert (await store.run(lambda db: db.execute("pragma integrity_check").fetchone()))[0] == "ok"


async def test_a_subscription_with_markup_is_stored_and_listed_literally(tg, bot):
    await say(tg, "/subscribe <b>bold</b> & co")
    assert 'phrase "<b>bold</b>' in await say(tg, "/topics")


async def add_topics(store, chat_id, n, clock):
    """`n` topics for a chat, straight into the store (typing 130 commands would hit the rate limit)."""
    from diplobot.store.chats import ensure_chat
    from diplobot.store.subscriptions import add_subscription

    def add(db):
        ensure_chat(db, chat_id, timezone="UTC", now=clock.now().isoformat())
        for i in range(n):
            add_subscription(db, chat_id, f"topic number {i + 1} " + "word " * 40, clock.now().isoformat())

    await store.run(add)


def labels(message):
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_topics_with_130_topics_come_in_pages_of_one_message_with_previous_and_next(tg, bot, store, clock):
    await add_topics(store, f"telegram:{ALICE}", 130, clock)
    first = await say(tg, "/topics")
    listing = tg.sent(ALICE)[-1]
    assert "page 1 of 7" in first and "1. " in first and "20. " in first and "21. " not in first
    assert len(labels(listing)) <= 100 and labels(listing)[-1] == "Next »"
    await press(tg, listing, button(listing, "Next"))
    page2 = tg.messages[(ALICE, listing["message_id"])]  # the page replaces the listing
    assert "page 2 of 7" in page2["text"] and "21. " in page2["text"] and "1. topic" not in page2["text"]
    assert labels(page2)[-2:] == ["« Previous", "Next »"]
    assert "page 7 of 7" in await say(tg, "/topics 99")
    assert labels(tg.sent(ALICE)[-1])[-1] == "« Previous"


async def test_every_message_counts_against_the_rate_limit_and_gets_one_polite_refusal(tg, bot, dispatcher):
    dispatcher.limiter.per_minute = 3
    for _ in range(3):
        await say(tg, "/help")
    for text in ("/frobnicate", "/subscribe " + "x" * 3000, "/help", "/who Yermak"):
        tg.push(ft.message_update(text, chat_id=ALICE, user_id=ALICE))
    await tg.wait_for(lambda: len(tg.sent(ALICE)) == 4)
    await asyncio.sleep(0.3)  # the other three get nothing
    (refusal,) = tg.sent(ALICE)[3:]
    assert "at most 3 commands a minute" in refusal["text"]
    assert "Commands" in await say(tg, "/help", chat_id=BOB, user_id=BOB)  # other users are not affected


async def test_invisible_characters_are_stripped_from_commands_and_from_what_chats_see(tg, bot, store, config, clock):
    hidden = "cease\U000e0041\U000e0042fire\u2060 talks\u061c\u2063"
    assert "Subscribed" in await say(tg, f"/subscribe {hidden}")
    assert 'phrase "ceasefire talks"' in await say(tg, "/topics")
    reply = ReplyBuilder().heading("Blank\u3164name\u2800here \U000e0049tagged\u2064").build()
    await bot.send(str(ALICE), reply)
    assert tg.sent(ALICE)[-1]["text"] == "Blank name here tagged"


async def test_a_time_zone_region_gets_a_clear_answer_and_no_traceback(tg, bot, caplog):
    caplog.set_level(logging.WARNING)
    answer = await say(tg, "/settings timezone Europe")
    assert "Europe is a region; add a city, e.g. /settings timezone Europe/Kyiv" in answer
    assert "Did you mean Europe/Kyiv?" in await say(tg, "/settings timezone Europe/Kiyv")
    assert "Time zone set to Europe/Kyiv" in await say(tg, "/settings timezone europe/kyiv")
    assert "Traceback" not in caplog.text and "failed" not in caplog.text


def test_a_button_press_is_answered_within_200_characters_counting_emoji_as_two():
    from diplobot.platforms.telegram import short_text

    text = short_text(Reply.text("🇺🇦" * 300, "second paragraph"))
    assert utf16_len(text) <= 200 and text.startswith("🇺🇦") and "second" not in text
