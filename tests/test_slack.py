"""Slack: the real Bolt AsyncApp served over HTTP on 127.0.0.1, with signed requests, against a fake Web API."""

import asyncio
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from diplobot.config import Config, DeliveryConfig, SlackConfig, StoreConfig
from diplobot.handlers.reply import Button, Link, Paragraph, Reply, ReplyBuilder, Text
from diplobot.ingest.models import ArticleDraft
from diplobot.platforms.base import DeliveryError
from diplobot.platforms.slack import RecentIds, SlackPlatform, command_text
from diplobot.platforms.slack_render import SlackMessage, escape, render, updated_message

sys.path.insert(0, str(Path(__file__).parent))
import fake_slack as fs

SEED = Path(__file__).parent / "fixtures" / "seeds" / "000_fd9a76e71e4bf2ca.txt"
SECRET = "signing-secret-for-tests"
CHANNEL, DM, ALICE, BOB = "C100", "D200", "U1", "U2"
WILLING = "coalition of the willing"
HOSTILE = "<!channel> <@U123> AT&T: a < b"


def shown(message: SlackMessage | dict) -> str:
    """What a Slack client shows for a message's blocks."""
    blocks = message.blocks if isinstance(message, SlackMessage) else message["blocks"]
    return "\n\n".join(fs.visible(t) for t in fs.block_texts(blocks))


# ---- rendering ----------------------------------------------------------------------------------


def test_a_hostile_title_renders_as_text_and_pings_nobody():
    reply = ReplyBuilder().heading(HOSTILE).para("<!here> & <#C1>").build()
    message = render(reply)
    assert shown(message) == f"{HOSTILE}\n\n<!here> & <#C1>"
    for text in [*fs.block_texts(message.blocks), message.text]:
        assert fs.pings(text) == []
    assert fs.visible(message.text) == f"{HOSTILE}\n\n<!here> & <#C1>"


def test_headings_are_bold_marks_bold_and_only_web_links_are_linked():
    reply = Reply(
        blocks=(
            Paragraph((Text("Talks resume "),), kind="heading"),
            Paragraph(
                (
                    Text("the "),
                    Text("coalition", "mark"),
                    Link("a <b> & c", "https://e.org/?a=1&b=|2"),
                    Link("evil", "javascript:alert(1)"),
                )
            ),
            Paragraph((Text("Example Wire · 4 Sep"),), kind="context"),
        )
    )
    heading, body, context = render(reply).blocks
    assert heading["text"]["text"] == "*Talks resume* "  # Slack ignores `*text *`
    assert body["text"]["text"] == "the *coalition*<https://e.org/?a=1&amp;b=%7C2|a &lt;b&gt; &amp; c>evil"
    assert fs.links(body["text"]["text"]) == [("https://e.org/?a=1&b=%7C2", "a &lt;b&gt; &amp; c")]
    assert context == {"type": "context", "elements": [{"type": "mrkdwn", "text": "Example Wire · 4 Sep"}]}


def test_a_long_reply_is_one_message_within_slack_limits_saying_how_much_more():
    paragraphs = ["&" * 5000, "word " * 2000, *(f"line {i}" for i in range(60))]
    reply = Reply.text(*paragraphs).with_buttons((Button("More", "/latest 20"),))
    message = render(reply)
    assert fs.block_errors(message.blocks) == []
    assert sum(len(t) for t in fs.block_texts(message.blocks)) <= 12000
    texts = [fs.visible(t) for t in fs.block_texts(message.blocks)]
    assert set(texts[0][:-1]) == {"&"} and texts[0][-1] == "…"  # cut where its mrkdwn reaches 3,000
    assert texts[1].startswith("word word") and texts[2:4] == ["line 0", "line 1"]
    kept = len(texts) - 1
    assert texts[-1] == f"… and {len(paragraphs) - kept} more lines (too long for one message)"
    assert [b["value"] for b in fs.buttons(message.blocks)] == ["/latest 20"]


@pytest.mark.parametrize("size", [5_000, 8_000_000])
def test_a_huge_title_renders_fast_into_one_valid_message(size):
    from diplobot.handlers.alerts import alert_reply

    title = ("<ceasefire> & " * (size // 14 + 1))[:size]
    reply = alert_reply(
        {
            "title": title,
            "url": "https://wire.example/x",
            "source": "Wire",
            "summary": "",
            "body": "",
            "published_at": None,
        },
        [{"id": 1, "describe": 'phrase "ceasefire"', "phrase": "ceasefire", "field": "title", "start": 1, "end": 10}],
        "UTC",
    )
    message = render(reply)  # cut before any other work: a hang here is caught by the test's timeout
    assert fs.block_errors(message.blocks) == [] and len(message.text) <= 15000
    assert shown(message).startswith("<ceasefire> & <ceasefire>") and "Matched:" in shown(message)
    assert len(fs.buttons(message.blocks)) == 2


def test_buttons_fit_actions_blocks_with_unique_ids_and_overlong_commands_are_dropped():
    rows = tuple((Button(f"Unsubscribe {i} " + "x" * 80, f"/unsubscribe #{i}"),) for i in range(30))
    reply = Reply.text("Topics").with_buttons(*rows, (Button("long", "/who " + "y" * 2001),))
    message = render(reply)
    assert fs.block_errors(message.blocks) == []
    elements = fs.buttons(message.blocks)
    assert [e["value"] for e in elements] == [f"/unsubscribe #{i}" for i in range(30)]
    assert len({e["action_id"] for e in elements}) == 30
    assert all(len(e["text"]["text"]) <= 75 for e in elements)


def test_context_paragraphs_share_blocks_of_at_most_ten_elements():
    builder = ReplyBuilder()
    for i in range(23):
        builder.context(f"note {i}")
    blocks = render(builder.build()).blocks
    assert [len(b["elements"]) for b in blocks] == [10, 10, 3]


def test_a_pressed_message_keeps_its_content_loses_the_button_and_shows_the_result():
    alert = render(
        Reply.text("Leaders meet").with_buttons(
            (Button("Mute", "/mute 24h #1"), Button("Unsubscribe", "/unsubscribe #1"))
        )
    )
    result = render(Reply.text("Unsubscribed from coalition.").public())
    updated = updated_message(alert.blocks, "cmd:1", result)
    assert shown(updated) == "Leaders meet\n\nUnsubscribed from coalition."
    assert [e["value"] for e in fs.buttons(updated.blocks)] == ["/mute 24h #1"]
    assert fs.block_errors(updated.blocks) == []


def test_escape_is_the_single_mrkdwn_escaper():
    assert escape("<@U1> & <!channel>") == "&lt;@U1&gt; &amp; &lt;!channel&gt;"


def test_the_slash_command_prefix_and_mentions_are_stripped():
    assert command_text("subscribe coalition of the willing") == "/subscribe coalition of the willing"
    assert command_text("  ") == "/help"
    assert command_text("<@UBOT> who Yermak") == "/who Yermak"
    assert command_text("<@UBOT|diplobot> search AT&amp;T &lt;x&gt;") == "/search AT&T <x>"
    assert command_text("/topics") == "/topics"


def test_seen_event_ids_expire_and_stay_bounded():
    now = [0.0]
    seen = RecentIds(max_size=3, ttl_s=10, monotonic=lambda: now[0])
    assert seen.add("Ev1") and not seen.add("Ev1")
    now[0] = 11
    assert seen.add("Ev1")
    for event_id in ("Ev2", "Ev3", "Ev4"):
        seen.add(event_id)
    assert seen.add("Ev1")  # pushed out by newer ids


def test_pace_is_one_message_per_second_per_channel_and_300_a_minute_in_total():
    platform = SlackPlatform(
        Config(slack=SlackConfig(bot_token="xoxb-x", signing_secret="s", mode="http")), dispatcher=None
    )
    pace, total = platform.pace("group"), platform.total_pace()
    assert pace.per_s / pace.count == pytest.approx(1.0)
    assert total.per_s / total.count == pytest.approx(0.2)


# ---- the running app against the fake -----------------------------------------------------------


@pytest.fixture
async def slack():
    async with fs.FakeSlack() as server:
        yield server


@pytest.fixture
def config(tmp_path, slack):
    """Overrides conftest's config, so conftest's store and dispatcher use this one."""
    settings = SlackConfig(
        bot_token=slack.token,
        signing_secret=SECRET,
        mode="http",
        listen="127.0.0.1:0",
        api_url=slack.api_url,
        per_channel_per_s=100.0,
    )
    return Config(
        slack=settings, store=StoreConfig(path=str(tmp_path / "t.db")), delivery=DeliveryConfig(max_attempts=3)
    )


async def running(config, dispatcher, **changes):
    platform = SlackPlatform(replace(config, slack=replace(config.slack, **changes)), dispatcher)
    await platform.start()
    return platform


@pytest.fixture
async def bot(config, dispatcher):
    platform = await running(config, dispatcher)
    yield platform
    await platform.stop()


async def post(
    bot, body, *, secret=SECRET, timestamp=None, content_type="application/x-www-form-urlencoded", **headers
):
    signed = fs.signed_headers(secret, body, timestamp=timestamp, content_type=content_type)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{bot.port}/slack/events", data=body.encode(), headers={**signed, **headers}
        ) as resp,
    ):
        return resp.status, await resp.text()


async def diplo(slack, bot, text, *, channel=CHANNEL, user=ALICE):
    """Run `/diplo <text>`; returns the answer posted to the command's response_url."""
    n, url = slack.new_response_url()
    status, body = await post(bot, fs.slash_command("/diplo", text, channel=channel, user=user, response_url=url))
    assert (status, body) == (200, "")
    return (await slack.wait_for(lambda: slack.responses[n]))[0]


async def press(slack, bot, message, label, *, user=ALICE, ephemeral=False):
    """Press the button labelled `label...` of `message`; returns what reached the response_url."""
    action = next(b for b in fs.buttons(message["blocks"]) if b["text"]["text"].startswith(label))
    n, url = slack.new_response_url()
    status, _ = await post(bot, fs.block_actions(message, action, user=user, response_url=url, ephemeral=ephemeral))
    assert status == 200
    return (await slack.wait_for(lambda: slack.responses[n]))[0]


async def ingest(store, clock, *drafts):
    from diplobot.pipeline import ingest_drafts
    from diplobot.store.sources import upsert_source

    source_id = await store.run(
        upsert_source,
        "https://wire.example/feed",
        kind="feed",
        every_s=600,
        full_text=False,
        title="Example Wire",
        now=clock.now().isoformat(),
    )
    return await ingest_drafts(store, list(drafts), source_id=source_id, now=clock.now())


async def deliver(store, bot, config, clock):
    from diplobot.outbox import OutboxWorker

    return await OutboxWorker(store, bot, config, clock).run_once()


def paris_article(title="Leaders meet in Paris on guarantees", url="https://wire.example/paris"):
    return ArticleDraft(title=title, url=url, body=f"Envoys said the {WILLING} would meet again in Paris.")


async def test_subscribe_is_announced_in_the_channel_then_one_alert_arrives_with_blocks(
    slack, bot, store, config, clock
):
    n, url = slack.new_response_url()
    await post(bot, fs.slash_command("/diplo", f"subscribe {WILLING}", channel=CHANNEL, user=ALICE, response_url=url))
    answer, announced = await slack.wait_for(lambda: slack.responses[n][1:] and slack.responses[n])
    assert answer["response_type"] == "ephemeral" and "Subscribed (topic 1)" in shown(answer)
    assert announced["response_type"] == "in_channel"
    assert shown(announced).startswith("Subscribed (topic 1)") and shown(announced).endswith(f"Changed by @{ALICE}")
    await ingest(store, clock, paris_article())
    assert await deliver(store, bot, config, clock) == 1
    (alert,) = slack.posted(CHANNEL)
    heading, *_ = fs.block_texts(alert["blocks"])
    assert heading == "*<https://wire.example/paris|Leaders meet in Paris on guarantees>*"
    assert "Example Wire" in shown(alert) and f"*{WILLING}*" in "".join(fs.block_texts(alert["blocks"]))
    assert [b["value"] for b in fs.buttons(alert["blocks"])] == ["/mute 24h #1", "/unsubscribe #1"]
    assert "Leaders meet in Paris" in alert["text"]
    assert await deliver(store, bot, config, clock) == 0


async def test_command_answers_are_ephemeral_and_diplo_alone_is_help(slack, bot):
    topics = await diplo(slack, bot, "topics")
    assert topics["response_type"] == "ephemeral" and "follows no topics" in shown(topics)
    help_ = await diplo(slack, bot, "")
    assert help_["response_type"] == "ephemeral" and "/subscribe" in shown(help_)
    assert not slack.called("chat.postMessage")


async def test_who_yermak_after_ingesting_the_seed_article(slack, bot, store, clock):
    from diplobot.ingest.files import read_path

    await ingest(store, clock, *read_path(SEED))
    answer = shown(await diplo(slack, bot, "who Yermak"))
    assert "Andriy Yermak" in answer
    assert "Presidential Office" in answer or "OP" in answer


async def test_pressing_unsubscribe_on_an_alert_updates_it_and_drops_the_topic(slack, bot, store, config, clock):
    await diplo(slack, bot, f"subscribe {WILLING}")
    await ingest(store, clock, paris_article())
    await deliver(store, bot, config, clock)
    (alert,) = slack.posted(CHANNEL)
    update = await press(slack, bot, alert, "Unsubscribe")
    assert update["replace_original"] is True
    kept, result, who = shown(update).rsplit("\n\n", 2)
    assert kept == shown(alert) and result.startswith("Unsubscribed from") and WILLING in result
    assert who == f"Changed by @{ALICE}"  # the whole channel sees who did it
    assert [b["text"]["text"] for b in fs.buttons(update["blocks"])] == ["Mute this topic 24h"]
    assert "follows no topics" in shown(await diplo(slack, bot, "topics"))


async def test_pressing_a_button_of_an_ephemeral_answer_replaces_it(slack, bot):
    await diplo(slack, bot, f"subscribe {WILLING}")
    listing = await diplo(slack, bot, "topics")
    update = await press(slack, bot, {**listing, "channel": CHANNEL}, "Unsubscribe 1", ephemeral=True)
    assert update["replace_original"] is True
    assert shown(update).startswith("Unsubscribed from") and WILLING in shown(update)


async def test_a_stale_button_answers_only_the_presser_and_keeps_the_message(slack, bot):
    old = render(Reply.text("Old alert").with_buttons((Button("Unsubscribe", "/unsubscribe #999"),)))
    message = {"channel": CHANNEL, "ts": "1.000100", "text": old.text, "blocks": old.blocks}
    answer = await press(slack, bot, message, "Unsubscribe")
    assert (answer["replace_original"], answer["response_type"]) == (False, "ephemeral")
    assert "no topic" in shown(answer)


async def test_forged_or_stale_requests_get_401_and_change_nothing(slack, bot):
    n, url = slack.new_response_url()
    body = fs.slash_command("/diplo", f"subscribe {WILLING}", channel=CHANNEL, user=ALICE, response_url=url)
    assert (await post(bot, body, secret="not-the-secret"))[0] == 401
    assert (await post(bot, body, timestamp=int(time.time()) - 301))[0] == 401
    assert slack.responses[n] == []
    assert "follows no topics" in shown(await diplo(slack, bot, "topics"))


async def test_a_mention_is_answered_once_even_when_slack_retries_it(slack, bot):
    event = fs.app_mention("who Nobody Atall", channel=CHANNEL, user=ALICE, event_id="Ev1")
    assert (await post(bot, event, content_type="application/json"))[0] == 200
    (answer,) = await slack.wait_for(lambda: slack.called("chat.postEphemeral"))
    assert answer.params["user"] == ALICE and answer.params["channel"] == CHANNEL
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await post(bot, event, content_type="application/json", **retry))[0] == 200
    assert (await post(bot, event, content_type="application/json"))[0] == 200  # redelivered without the header
    other = fs.app_mention("topics", channel=DM, user=ALICE, event_id="Ev2")
    await post(bot, other, content_type="application/json")
    await slack.wait_for(lambda: slack.posted(DM))  # a direct message is answered in the open
    assert len(slack.called("chat.postEphemeral")) == 1


async def test_a_hostile_alert_title_pings_nobody(slack, bot, store, config, clock):
    await diplo(slack, bot, f"subscribe {WILLING}")
    await ingest(store, clock, paris_article(title=HOSTILE, url="https://wire.example/x?a=1&b=<2>"))
    await deliver(store, bot, config, clock)
    (alert,) = slack.posted(CHANNEL)
    assert shown(alert).startswith(HOSTILE)
    assert fs.visible(alert["text"]).startswith(HOSTILE)
    for text in [*fs.block_texts(alert["blocks"]), alert["text"]]:
        assert fs.pings(text) == []


async def test_a_rate_limited_channel_gets_retry_after_and_a_missing_one_is_gone(slack, bot):
    slack.fail(CHANNEL, "ratelimited", status=429, retry_after=30)
    with pytest.raises(DeliveryError) as limited:
        await bot.send(CHANNEL, Reply.text("hi"))
    assert limited.value.retry_after == 30 and not limited.value.chat_gone
    slack.fail("C404", "channel_not_found")
    with pytest.raises(DeliveryError) as gone:
        await bot.send("C404", Reply.text("hi"))
    assert gone.value.chat_gone and "channel_not_found" in gone.value.reason
    slack.fail("C500", "internal_error", status=500)
    with pytest.raises(DeliveryError) as failed:
        await bot.send("C500", Reply.text("hi"))
    assert not failed.value.chat_gone and failed.value.retry_after is None
    assert len(slack.called("chat.postMessage")) == 3  # no retries inside the adapter


async def test_the_outbox_marks_a_channel_that_is_gone_inactive(slack, bot, store, config, clock):
    from diplobot.store.chats import get_chat

    await diplo(slack, bot, f"subscribe {WILLING}")
    slack.fail(CHANNEL, "is_archived")
    await ingest(store, clock, paris_article())
    await deliver(store, bot, config, clock)
    chat = await store.run(get_chat, f"slack:{CHANNEL}")
    assert chat["active"] == 0 and "is_archived" in chat["inactive_reason"]


async def test_edit_updates_the_sent_message(slack, bot):
    ts = await bot.send(CHANNEL, Reply.text("Reported by 1 outlet"))
    await bot.edit(CHANNEL, ts, Reply.text("Reported by 3 outlets"))
    (message,) = slack.posted(CHANNEL)
    assert message["edited"] and shown(message) == "Reported by 3 outlets"
    with pytest.raises(DeliveryError):
        await bot.edit(CHANNEL, "999.1", Reply.text("gone"))


async def test_with_admins_only_a_member_is_refused_and_an_admin_allowed(slack, config, dispatcher):
    slack.admins.add(ALICE)
    bot = await running(config, dispatcher, admins_only=True, admin_user_ids=("U9",))
    try:
        refused = await diplo(slack, bot, f"subscribe {WILLING}", user=BOB)
        assert "only this chat's admins" in shown(refused) and refused["response_type"] == "ephemeral"
        assert "Subscribed" in shown(await diplo(slack, bot, f"subscribe {WILLING}", user=ALICE))
        assert "Subscribed" in shown(await diplo(slack, bot, "subscribe sanctions", user="U9"))
        assert "Topics followed here" in shown(await diplo(slack, bot, "topics", user=BOB))
        assert "Subscribed" in shown(await diplo(slack, bot, "subscribe ceasefire", channel=DM, user=BOB))
        listing = await diplo(slack, bot, "topics", user=ALICE)
        answer = await press(slack, bot, {**listing, "channel": CHANNEL}, "Unsubscribe 1", user=BOB, ephemeral=True)
        assert "only this chat's admins" in shown(answer) and answer["replace_original"] is False
        assert WILLING in shown(await diplo(slack, bot, "topics", user=BOB))
    finally:
        await bot.stop()


async def test_a_wrong_token_stops_start_up_without_showing_it(slack, config, dispatcher):
    platform = SlackPlatform(replace(config, slack=replace(config.slack, bot_token="xoxb-wrong-SECRET")), dispatcher)
    with pytest.raises(RuntimeError) as rejected:
        await platform.start()
    assert "invalid_auth" in str(rejected.value) and "SECRET" not in str(rejected.value)


async def test_socket_mode_connects_in_our_loop_acks_a_command_and_closes(slack, config, dispatcher):
    bot = await running(config, dispatcher, mode="socket", app_token=slack.app_token, signing_secret="")
    try:
        assert bot.connected and bot.port is None and len(slack.sockets) == 1
        n, url = slack.new_response_url()
        fields = fs.command_fields("/diplo", "topics", channel=CHANNEL, user=ALICE, response_url=url)
        await slack.push_envelope("slash_commands", fields, envelope_id="env-1")
        (answer,) = await slack.wait_for(lambda: slack.responses[n])
        assert "follows no topics" in shown(answer)
        acks = await slack.wait_for(lambda: slack.socket_acks)
        assert [a["envelope_id"] for a in acks] == ["env-1"]
    finally:
        await bot.stop()
    await slack.wait_for(lambda: not slack.sockets)


async def test_a_rejected_app_token_stops_socket_mode_start_up(slack, config, dispatcher):
    platform = SlackPlatform(
        replace(config, slack=replace(config.slack, mode="socket", app_token="xapp-bad-SECRET")), dispatcher
    )
    with pytest.raises(RuntimeError) as rejected:
        await platform.start()
    assert "app-level token" in str(rejected.value) and "SECRET" not in str(rejected.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("subscribe " + "x" * 10_000, "the limit is 1,000"),
        ('search "unbalanced AND (NOT* ; drop table articles; --', "a quote is not closed"),
        ("subscribe <!channel> <@U123> & <!here>", "Subscribed"),
        ("who 🇺🇦🕊️", "nobody"),
        ("frobnicate", "I don't know /frobnicate"),
    ],
)
async def test_hostile_or_malformed_commands_get_a_clear_answer_that_pings_nobody(slack, bot, store, text, expected):
    answer = await diplo(slack, bot, text)
    assert expected.lower() in shown(answer).lower()
    assert fs.block_errors(answer["blocks"]) == []
    assert all(fs.pings(t) == [] for t in fs.block_texts(answer["blocks"]))
    assert (await store.run(lambda db: db.execute("pragma integrity_check").fetchone()))[0] == "ok"


async def test_latest_20_is_one_message_through_the_response_url_used_once(slack, bot, store, clock):
    from diplobot.store import articles

    def store_long_titles(db):  # stored before titles were clipped at ingest
        now = clock.now().isoformat()
        for i in range(20):
            articles.insert_article(
                db,
                articles.NewArticle(
                    title=f"Story {i:02d} " + "long headline words " * 250,
                    summary="",
                    body="text",
                    url=f"https://wire.example/{i}",
                    canonical_url=f"https://wire.example/{i}",
                    guid=None,
                    published_at=now,
                    fetched_at=now,
                    content_hash=f"h{i}",
                ),
            )

    await store.run(store_long_titles)
    n, url = slack.new_response_url()
    await post(bot, fs.slash_command("/diplo", "latest 20", channel=CHANNEL, user=ALICE, response_url=url))
    (answer,) = await slack.wait_for(lambda: slack.responses[n])
    await asyncio.sleep(0.2)
    assert slack.responses[n] == [answer] and slack.refused_responses == 0
    assert fs.block_errors(answer["blocks"]) == []
    assert "Story" in shown(answer)


async def test_a_change_by_any_member_is_announced_in_the_channel_and_answered_to_them(slack, bot):
    n, url = slack.new_response_url()
    await post(bot, fs.slash_command("/diplo", "mute 2h", channel=CHANNEL, user=BOB, response_url=url))
    answer, announced = await slack.wait_for(lambda: slack.responses[n][1:] and slack.responses[n])
    assert answer["response_type"] == "ephemeral" and "held until" in shown(answer)
    assert announced["response_type"] == "in_channel" and announced["replace_original"] is False
    assert "held until" in shown(announced) and fs.pings(announced["blocks"][-1]["elements"][0]["text"]) == [f"@{BOB}"]
    settings = await diplo(slack, bot, "settings", user=BOB)  # only showing settings changes nothing
    assert settings["response_type"] == "ephemeral"
    event = fs.app_mention("settings alerts digest", channel=CHANNEL, user=BOB, event_id="EvSet")
    await post(bot, event, content_type="application/json")
    (announcement,) = await slack.wait_for(lambda: slack.posted(CHANNEL))
    assert "No instant alerts" in shown(announcement) and shown(announcement).endswith(f"Changed by @{BOB}")
    assert slack.ephemeral[-1]["user"] == BOB and "No instant alerts" in shown(slack.ephemeral[-1])


async def test_topics_with_130_topics_page_within_block_limits(slack, bot, store, clock):
    from diplobot.store.chats import ensure_chat
    from diplobot.store.subscriptions import add_subscription

    def add(db):
        ensure_chat(db, f"slack:{CHANNEL}", timezone="UTC", now=clock.now().isoformat())
        for i in range(130):
            add_subscription(db, f"slack:{CHANNEL}", f"topic number {i + 1} " + "word " * 55, clock.now().isoformat())

    await store.run(add)
    listing = await diplo(slack, bot, "topics")
    assert fs.block_errors(listing["blocks"]) == [] and "page 1 of 7" in shown(listing)
    assert [b["text"]["text"] for b in fs.buttons(listing["blocks"])][-1] == "Next »"
    page2 = await press(slack, bot, {**listing, "channel": CHANNEL}, "Next", ephemeral=True)
    assert page2["replace_original"] is True and "page 2 of 7" in shown(page2)
    assert '21. phrase "topic number 21' in shown(page2)


async def test_big_or_unsigned_requests_are_refused_unread_and_logged_once(slack, bot, caplog):
    caplog.set_level(logging.DEBUG)
    big = "payload=" + "x" * 1_000_000  # under aiohttp's own 1 MiB cap
    forged = "command=/diplo&text=help\n2031-01-01 CRITICAL forged line"  # a raw newline in a field
    async with aiohttp.ClientSession() as http:
        for _ in range(20):
            async with http.post(
                f"http://127.0.0.1:{bot.port}/slack/events",
                data=big.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ) as resp:
                assert resp.status == 413
        for _ in range(5):
            async with http.post(
                f"http://127.0.0.1:{bot.port}/slack/events",
                data=forged.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ) as resp:
                assert resp.status == 401
    refusals = [r for r in caplog.records if "refused Slack HTTP requests" in r.getMessage()]
    assert len(refusals) == 1 and "too large" in refusals[0].getMessage()
    assert len(caplog.text) < 5000 and "CRITICAL forged" not in caplog.text
    assert "Subscribed" in shown(await diplo(slack, bot, "subscribe ceasefire"))  # real requests still work


async def test_a_replayed_signed_request_runs_once(slack, bot):
    n, url = slack.new_response_url()
    body = fs.slash_command("/diplo", "subscribe ceasefire", channel=DM, user=ALICE, response_url=url)
    headers = fs.signed_headers(SECRET, body)
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            async with http.post(
                f"http://127.0.0.1:{bot.port}/slack/events", data=body.encode(), headers=headers
            ) as resp:
                assert resp.status == 200
    await slack.wait_for(lambda: slack.responses[n])
    await asyncio.sleep(0.2)
    assert len(slack.responses[n]) == 1 and "Subscribed" in shown(slack.responses[n][0])


async def test_a_retry_of_an_event_that_never_arrived_or_failed_is_answered(slack, bot, dispatcher, monkeypatch):
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    lost = fs.app_mention("who Nobody Atall", channel=DM, user=ALICE, event_id="EvLost")
    assert (await post(bot, lost, content_type="application/json", **retry))[0] == 200
    await slack.wait_for(lambda: slack.posted(DM))  # the first delivery never reached us: the retry counts

    real_handle, calls = dispatcher.handle, []

    async def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database was busy")
        return await real_handle(*args, **kwargs)

    monkeypatch.setattr(dispatcher, "handle", failing_once)
    failed = fs.app_mention("topics", channel=DM, user=ALICE, event_id="EvFailed")
    assert (await post(bot, failed, content_type="application/json"))[0] == 200
    await slack.wait_for(lambda: calls)
    await asyncio.sleep(0.1)
    assert len(slack.posted(DM)) == 1
    assert (await post(bot, failed, content_type="application/json", **retry))[0] == 200
    await slack.wait_for(lambda: len(slack.posted(DM)) == 2)
    assert "follows no topics" in shown(slack.posted(DM)[-1])
    assert (await post(bot, failed, content_type="application/json", **{**retry, "X-Slack-Retry-Num": "2"}))[0] == 200
    await asyncio.sleep(0.2)
    assert len(slack.posted(DM)) == 2 and len(calls) == 2  # done now: a later retry changes nothing
