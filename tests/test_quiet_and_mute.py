"""Quiet hours and /unmute release held alerts at once; digest-only without a digest warns; local times shown."""

from diplobot.handlers.incoming import Incoming
from diplobot.ingest.models import ArticleDraft
from diplobot.outbox import OutboxWorker
from diplobot.pipeline import ingest_drafts


def truce(n):
    return ArticleDraft(
        title=f"Truce {n}",
        body=f"A ceasefire was agreed in round {n} of the talks.",
        url=f"https://news.example/truce-{n}",
    )


async def deliver(store, messenger, config, clock):
    return await OutboxWorker(store, messenger, config, clock).run_once()


async def test_turning_quiet_hours_off_releases_held_alerts_at_once(chat, store, messenger, config, clock):
    await chat("/subscribe ceasefire")
    assert "alerts are held" in await chat("/settings quiet 09:00-12:00")  # it is 10:00 UTC
    await ingest_drafts(store, [truce(1), truce(2)], now=clock.now())
    assert await deliver(store, messenger, config, clock) == 0
    assert "2 held alerts arrive now" in await chat("/settings quiet off")
    assert await deliver(store, messenger, config, clock) == 2
    (text,) = messenger.texts()  # still folded into one message
    assert "Truce 1" in text and "Truce 2" in text


async def test_quiet_hours_moved_past_now_release_and_moved_later_keep_holding(chat, store, messenger, config, clock):
    await chat("/subscribe ceasefire")
    await chat("/settings quiet 09:00-12:00")
    await ingest_drafts(store, [truce(1)], now=clock.now())
    assert "1 held alert arrives now" in await chat("/settings quiet 22:00-07:00")
    assert await deliver(store, messenger, config, clock) == 1


async def test_unmute_delivers_what_quiet_hours_hold_now(chat, store, messenger, config, clock):
    await chat("/subscribe ceasefire")
    await chat("/settings quiet 09:00-12:00")
    await chat("/mute")
    await ingest_drafts(store, [truce(1)], now=clock.now())
    assert await deliver(store, messenger, config, clock) == 0
    assert "anything held arrives now" in await chat("/unmute")
    assert await deliver(store, messenger, config, clock) == 1


async def test_digest_only_alerts_without_a_digest_warn_and_offer_to_turn_it_on(dispatcher, chat):
    async def say(text):
        return await dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u1", text=text, chat_kind="private"))

    reply = await say("/settings alerts digest")
    assert "the digest is off, so nothing will arrive" in reply.plain()
    ((button,),) = reply.buttons
    assert button.command == "/settings digest 08:00"
    assert "Digest every day at 08:00" in (await say(button.command)).plain()
    assert "Digest: daily at 08:00" in await chat("/settings")
    assert "nothing will arrive" not in (await say("/settings alerts digest")).plain()
    off = await say("/settings digest off")
    assert "nothing will arrive" in off.plain() and off.buttons[0][0].command == "/settings alerts instant"


async def test_mute_and_quiet_times_are_shown_in_the_chats_time_zone(chat):
    await chat("/subscribe ceasefire")
    await chat("/settings timezone Europe/Kyiv")
    assert "held until 2025-09-04 15:00 Europe/Kyiv" in await chat("/mute 2h")  # 12:00 UTC, summer time
    assert "muted until 2025-09-05 13:00 Europe/Kyiv" in await chat("/mute 1d 1")
    assert "(muted until 2025-09-05 13:00 Europe/Kyiv)" in await chat("/topics")
    await chat("/settings quiet 22:00-07:00")
    shown = await chat("/settings")
    assert "Muted: until 2025-09-04 15:00 Europe/Kyiv" in shown
    assert "Quiet hours: 22:00-07:00 Europe/Kyiv" in shown
    assert "UTC" not in shown
    await chat("/unmute")
    await chat("/mute")
    assert "Muted: until /unmute" in await chat("/settings")
