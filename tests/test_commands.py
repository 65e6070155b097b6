"""Chat commands through the dispatcher, as any platform delivers them."""

import pytest

from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import ingest_drafts


async def test_subscribe_says_how_it_understood_the_query(chat):
    reply = await chat("/subscribe coalition of the willing")
    assert 'Subscribed (topic 1): phrase "coalition of the willing"' in reply
    assert "see /latest 1" in reply


async def test_subscribe_counts_matches_of_the_last_seven_days(chat, store, clock):
    await ingest_drafts(store, [ArticleDraft(title="Truce", body="A ceasefire was agreed.")], now=clock.now())
    assert "1 stored article of the last 7 days match" in await chat("/subscribe ceasefire")


async def test_boolean_query_is_described(chat):
    reply = await chat('/subscribe "security guarantees" Ukraine -loan')
    assert "security guarantee" in reply and "NOT" in reply


@pytest.mark.parametrize("text", ['/subscribe "security guarantees', "/subscribe -loan", "/subscribe ((a",
                                  "/subscribe OR", '/subscribe ""'])
async def test_unparseable_query_explains_and_shows_usage(chat, text):
    reply = await chat(text)
    assert "Usage: /subscribe" in reply
    assert "This chat follows no topics" in await chat("/topics")


async def test_same_topic_twice_is_refused_politely(chat):
    await chat("/subscribe ceasefire")
    assert "already follows" in await chat("/subscribe ceasefire")


async def test_topics_lists_numbers_and_unsubscribe_buttons(chat, dispatcher):
    await chat("/subscribe ceasefire")
    await chat("/subscribe sanctions -loan")
    from diplobot.handlers.incoming import Incoming

    reply = await dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u1", text="/topics"))
    assert "1. " in reply.plain() and "2. " in reply.plain()
    assert [row[0].command for row in reply.buttons] == ["/unsubscribe #1", "/unsubscribe #2"]


async def test_unsubscribe_by_number_by_button_and_stale_button(chat):
    await chat("/subscribe ceasefire")
    await chat("/subscribe sanctions")
    assert "Unsubscribed" in await chat("/unsubscribe 1")
    assert "Unsubscribed" in await chat("/unsubscribe #2")
    assert "has no topic #2" in await chat("/unsubscribe #2")


async def test_a_topic_of_another_chat_cannot_be_removed(chat):
    await chat("/subscribe ceasefire", chat_id="test:other")
    assert "has no topic #1" in await chat("/unsubscribe #1")


async def test_non_admin_in_a_group_cannot_change_topics(chat):
    async def not_admin():
        return False

    reply = await chat("/subscribe ceasefire", kind="group", may_manage=not_admin)
    assert "only this chat's admins" in reply
    assert "no topics" in await chat("/topics", kind="group", may_manage=not_admin)


async def test_settings_change_and_reject_bad_values(chat):
    assert "Time zone set to Europe/Kyiv" in await chat("/settings timezone Europe/Kyiv")
    assert "unknown time zone" in await chat("/settings timezone Mars/Base")
    assert "every day at 08:00 (Europe/Kyiv)" in await chat("/settings digest 8:00")
    assert "every mon at 07:30" in await chat("/settings digest weekly monday 07:30")
    assert "not a time of day" in await chat("/settings digest 25:00")
    assert "Quiet hours 22:00-07:00" in await chat("/settings quiet 22:00-07:00")
    shown = await chat("/settings")
    assert "Europe/Kyiv" in shown and "weekly on mon at 07:30" in shown and "22:00-07:00" in shown


@pytest.mark.parametrize("text", ["/search \"unbalanced", "/search NOT", "/search *", "/search a -b (c",
                                  "/search '; drop table articles; --", "/search 🇺🇦 мир"])
async def test_search_is_safe_with_hostile_text(chat, text):
    assert "Search" in await chat(text) or "No stored article" in await chat(text)


async def test_search_finds_and_marks_hits(chat, store, clock):
    await ingest_drafts(store, [ArticleDraft(title="Prisoner exchange", body="A prisoner exchange took place.")],
                        now=clock.now())
    assert "Prisoner exchange" in await chat("/search prisoner")


async def test_latest_lists_newest_articles_for_a_topic(chat, store, clock):
    drafts = [ArticleDraft(title=f"Story {i}", url=f"https://x.org/{i}", body=f"ceasefire number {i}")
              for i in range(3)]
    await ingest_drafts(store, drafts, now=clock.now())
    await chat("/subscribe ceasefire")
    reply = await chat("/latest 1 2")
    assert "Story 2" in reply and "Story 1" in reply and "Story 0" not in reply


async def test_unknown_command_and_control_characters(chat):
    assert "I don't know /frobnicate" in await chat("/frobnicate")
    assert "Commands start with a slash" in await chat("hello")
    assert "Subscribed" in await chat("/subscribe cease\x00fire\u202e talks")


async def test_over_long_arguments_get_a_clear_message(chat):
    assert "the limit is 1,000" in await chat("/subscribe " + "word " * 2000)


async def test_commands_are_rate_limited_per_user(chat, dispatcher):
    dispatcher.limiter.per_minute = 3
    for _ in range(3):
        await chat("/help")
    assert "at most 3 commands a minute" in await chat("/help")


async def test_help_lists_every_command(chat):
    reply = await chat("/help")
    for name in ("subscribe", "unsubscribe", "topics", "latest", "search", "who", "mute", "unmute",
                 "settings", "digest", "start", "help"):
        assert f"/{name}" in reply
