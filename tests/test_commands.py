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


@pytest.mark.parametrize(
    "text", ['/subscribe "security guarantees', "/subscribe -loan", "/subscribe ((a", "/subscribe OR", '/subscribe ""']
)
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


@pytest.mark.parametrize(
    "text",
    [
        '/search "unbalanced',
        "/search NOT",
        "/search *",
        "/search a -b (c",
        "/search '; drop table articles; --",
        "/search 🇺🇦 мир",
    ],
)
async def test_search_is_safe_with_hostile_text(chat, text):
    assert "Search" in await chat(text) or "No stored article" in await chat(text)


async def test_search_finds_and_marks_hits(chat, store, clock):
    await ingest_drafts(
        store, [ArticleDraft(title="Prisoner exchange", body="A prisoner exchange took place.")], now=clock.now()
    )
    assert "Prisoner exchange" in await chat("/search prisoner")


async def test_latest_lists_newest_articles_for_a_topic(chat, store, clock):
    drafts = [
        ArticleDraft(title=f"Story {i}", url=f"https://x.org/{i}", body=f"ceasefire number {i}") for i in range(3)
    ]
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
    for name in (
        "subscribe",
        "unsubscribe",
        "topics",
        "latest",
        "search",
        "who",
        "mute",
        "unmute",
        "settings",
        "digest",
        "start",
        "help",
    ):
        assert f"/{name}" in reply


# --- topics: one identity, refusals, fixed numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("ceasefire", "CEASEFIRE"),
        ("Erdoğan", "Erdogan"),
        ("ceasefire", "ceasefires"),
        ("truce OR ceasefire", "ceasefire OR truce"),
    ],
)
async def test_the_same_topic_written_differently_is_not_a_second_topic(chat, first, again):
    await chat(f"/subscribe {first}")
    reply = await chat(f"/subscribe {again}")
    assert "already follows" in reply and "(topic 1)" in reply and "make no new topic" in reply
    assert "2. " not in await chat("/topics")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a", "too common or too short"),
        ("of the", "too common or too short"),
        ("ceasefire OR the", "too common or too short"),
        ("ceasefire -ceasefire", "can never match"),
        ('"security guarantees" -security', "can never match"),
    ],
)
async def test_a_topic_that_matches_everything_or_nothing_is_refused_and_not_stored(chat, text, says):
    reply = await chat(f"/subscribe {text}")
    assert says in reply and "Usage: /subscribe" in reply
    assert "follows no topics" in await chat("/topics")


async def test_a_topic_number_with_or_without_hash_is_the_same_fixed_topic(chat):
    for topic in ("ceasefire", "sanctions", "prisoner exchange"):
        await chat(f"/subscribe {topic}")
    assert 'Unsubscribed from phrase "sanctions"' in await chat("/unsubscribe 2")
    assert "has no topic #2" in await chat("/unsubscribe #2")
    listing = await chat("/topics")
    assert "1. " in listing and "3. " in listing and "2. " not in listing  # numbers do not shift
    assert 'Unsubscribed from phrase "prisoner exchange"' in await chat("/unsubscribe #3")
    assert "has no topic 3" in await chat("/unsubscribe 3")
    assert 'Unsubscribed from phrase "ceasefire"' in await chat("/unsubscribe CEASEFIRE")


async def test_help_documents_both_topic_number_forms(chat):
    assert "/unsubscribe <topic number, as 3 or #3, or its text>" in await chat("/help")


async def test_latest_is_newest_first_by_publication_date_falling_back_to_fetched(chat, store, clock):
    day = clock.now().replace(hour=0)
    drafts = [
        ArticleDraft(title="Monday", url="https://x.org/1", body="ceasefire", published_at=day.replace(day=1)),
        ArticleDraft(title="Undated", url="https://x.org/2", body="ceasefire"),
        ArticleDraft(title="Wednesday", url="https://x.org/3", body="ceasefire", published_at=day.replace(day=3)),
        ArticleDraft(
            title="From the future", url="https://x.org/4", body="ceasefire", published_at=day.replace(year=2030)
        ),
        ArticleDraft(title="Tuesday", url="https://x.org/5", body="ceasefire", published_at=day.replace(day=2)),
    ]
    await ingest_drafts(store, drafts, now=clock.now())
    for command in ("/latest 5", "/latest ceasefire 5"):
        reply = await chat(command)
        order = [reply.index(title) for title in ("From the future", "Undated", "Wednesday", "Tuesday", "Monday")]
        assert order == sorted(order), reply


# --- /search speaks the topic query language ---------------------------------------------------------------------


async def test_search_uses_the_topic_query_language(chat, store, clock):
    await ingest_drafts(
        store,
        [
            ArticleDraft(
                title="Guarantees", url="https://x.org/1", body="Security guarantees for Kyiv were discussed."
            ),
            ArticleDraft(title="Loan", url="https://x.org/2", body="Security guarantees and a loan were discussed."),
            ArticleDraft(title="Truce", url="https://x.org/3", body="A truce was agreed."),
            ArticleDraft(title="Turkey", url="https://x.org/4", body="Erdoğan hosted the talks."),
            ArticleDraft(title="Apart", url="https://x.org/5", body="Security, guarantees and more."),
        ],
        now=clock.now(),
    )
    reply = await chat('/search "security guarantees" -loan')
    assert "Guarantees" in reply and "Loan" not in reply and "Apart" not in reply
    assert "1 of 1 matching stored articles, newest first" in reply
    assert "Truce" in await chat("/search ceasefire OR truce")
    assert "Turkey" in await chat("/search Erdogan")
    assert "No stored article matches" in await chat("/search ceasefire")


async def test_search_says_how_many_and_pages_through_the_rest(chat, dispatcher, store, clock):
    from diplobot.handlers.incoming import Incoming

    await ingest_drafts(
        store,
        [ArticleDraft(title=f"Talks {n}", url=f"https://x.org/{n}", body=f"ceasefire {n}") for n in range(7)],
        now=clock.now(),
    )
    first = await dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u1", text="/search ceasefire"))
    assert "5 of 7 matching stored articles, newest first" in first.plain()
    assert "Talks 6" in first.plain() and "Talks 1" not in first.plain()
    assert [b.command for row in first.buttons for b in row] == ["/search ceasefire page 2"]
    second = await chat("/search ceasefire page 2")
    assert "6–7 of 7" in second and "Talks 1" in second and "Talks 0" in second and "More:" not in second
    assert "past the end" in await chat("/search ceasefire page 9")


@pytest.mark.parametrize("text", ["/search a", "/search ceasefire -ceasefire", '/search "unclosed'])
async def test_search_explains_a_query_it_cannot_use(chat, text):
    reply = await chat(text)
    assert reply.startswith("Search: ") and "Usage: /search" in reply
