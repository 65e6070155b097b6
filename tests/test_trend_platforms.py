"""Trend charts through each platform's fake: Telegram's multipart sendPhoto, Slack's three-step file upload."""

import io
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import fake_telegram as ft
import pytest
from PIL import Image as PILImage

from diplobot.config import Config, DeliveryConfig, SlackConfig, StoreConfig, TelegramConfig
from diplobot.handlers.reply import Image, Reply
from diplobot.ingest.models import ArticleDraft
from diplobot.platforms.slack import SlackPlatform

sys.path.insert(0, str(Path(__file__).parent))
import fake_slack as fs

SECRET = "signing-secret-for-tests"
ALICE, CHANNEL, USER = 5001, "C100", "U1"
HOSTILE = "Ceasefire <b>talks</b> & AT&T <!channel>"


def decode(png: bytes) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(png))
    image.load()
    return image


@pytest.fixture
async def tg():
    async with ft.FakeTelegram() as server:
        yield server


@pytest.fixture
async def slack():
    async with fs.FakeSlack() as server:
        yield server


@pytest.fixture
def config(tmp_path, tg, slack):
    """Overrides conftest's config (so its store and dispatcher use it): both platforms against their fakes."""
    telegram = TelegramConfig(
        token=tg.token, base_url=tg.base_url, per_chat_per_s=20.0, per_group_per_min=1200.0, total_per_s=1000.0
    )
    settings = SlackConfig(
        bot_token=slack.token,
        signing_secret=SECRET,
        mode="http",
        listen="127.0.0.1:0",
        api_url=slack.api_url,
        per_channel_per_s=100.0,
    )
    return Config(
        telegram=telegram,
        slack=settings,
        store=StoreConfig(path=str(tmp_path / "t.db")),
        delivery=DeliveryConfig(max_attempts=3),
    )


@pytest.fixture
async def slack_bot(config, dispatcher):
    platform = SlackPlatform(config, dispatcher)
    await platform.start()
    yield platform
    await platform.stop()


async def ingest(store, clock):
    """Three ceasefire stories on two days (the first with a hostile headline) and one about a truce."""
    from diplobot.pipeline import ingest_drafts

    day = clock.now() - timedelta(days=3)
    drafts = [
        ArticleDraft(title=HOSTILE, url="https://wire.example/1", body="The ceasefire talks began.", published_at=day),
        ArticleDraft(
            title="Ceasefire holds in the east",
            url="https://wire.example/2",
            published_at=day,
            body="Residents said the ceasefire held.",
        ),
        ArticleDraft(
            title="A ceasefire plan",
            url="https://wire.example/3",
            body="Envoys drafted a plan.",
            published_at=day + timedelta(days=1),
        ),
        ArticleDraft(title="Truce", url="https://wire.example/4", body="A truce.", published_at=day),
    ]
    await ingest_drafts(store, drafts, now=clock.now())


def chart_reply() -> Reply:
    from diplobot.charts import TrendChart, render_trend

    png = render_trend(TrendChart("ceasefire", "subtitle", ()))
    return Reply(
        blocks=Reply.text(f"ceasefire: 3 stories in 90 days, peak 2 on 1 Sep: {HOSTILE}").blocks,
        image=Image(png, "Line chart of stories per day", "trend-ceasefire.png"),
    )


# ---- Telegram --------------------------------------------------------------------------------------------------------


async def test_telegram_trend_is_one_photo_captioned_in_escaped_html(tg, telegram_bot, store, clock):
    await ingest(store, clock)
    tg.push(ft.message_update("/trend ceasefire", chat_id=ALICE, user_id=ALICE))
    await tg.wait_for(lambda: tg.called("sendPhoto"), timeout=30)
    (message,) = tg.sent(ALICE)
    assert "text" not in message and not tg.called("sendMessage")
    # the peak's headline arrives as text: escaped in the renderer, parsed by the fake as Telegram does
    assert message["caption"].startswith(f"ceasefire: 3 stories in 90 days, peak 2 on 1 Sep: {HOSTILE}")
    (photo,) = message["photo"]
    assert (photo["width"], photo["height"]) == (1200, 675)
    assert decode(tg.photos[(ALICE, message["message_id"])]).size == (1200, 675)


async def test_telegram_caption_is_escaped_in_the_renderer_and_within_1024_characters(tg, telegram_bot):
    reply = chart_reply()
    long = Reply(blocks=reply.blocks + Reply.text(*["word " * 150] * 5).blocks, image=reply.image)
    message_id = await telegram_bot.send(str(ALICE), long)
    message = tg.messages[(ALICE, int(message_id))]
    assert HOSTILE in message["caption"]  # shown as text: the fake parses the HTML the way Telegram does
    assert ft.utf16_len(message["caption"]) <= ft.MAX_CAPTION and "more lines" in message["caption"]
    assert tg.photos[(ALICE, int(message_id))] == reply.image.png


async def test_the_fake_refuses_photos_over_telegrams_limits(tg):
    async def send_photo(data: bytes, caption: str = "") -> dict:
        form = aiohttp.FormData()
        form.add_field("chat_id", str(ALICE))
        form.add_field("caption", caption)
        form.add_field("photo", data, filename="x.png", content_type="image/png")
        async with aiohttp.ClientSession() as http, http.post(f"{tg.base_url}{tg.token}/sendPhoto", data=form) as resp:
            return await resp.json()

    def png(width: int, height: int) -> bytes:
        out = io.BytesIO()
        PILImage.new("RGB", (width, height), "white").save(out, format="PNG")
        return out.getvalue()

    assert (await send_photo(png(100, 50)))["ok"]
    assert "too long" in (await send_photo(png(100, 50), "x" * 1025))["description"]
    assert "DIMENSIONS" in (await send_photo(png(2100, 100)))["description"]  # ratio over 20
    assert "DIMENSIONS" in (await send_photo(png(6000, 4001)))["description"]  # sides over 10,000
    assert "too big" in (await send_photo(b"\x00" * (ft.MAX_PHOTO_BYTES + 1)))["description"]
    assert not (await send_photo(b"not an image"))["ok"]


# ---- Slack -----------------------------------------------------------------------------------------------------------


async def slash(slack, bot, text):
    n, url = slack.new_response_url()
    body = fs.slash_command("/diplo", text, channel=CHANNEL, user=USER, response_url=url)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{bot.port}/slack/events", data=body.encode(), headers=fs.signed_headers(SECRET, body)
        ) as resp,
    ):
        assert resp.status == 200
    return n


async def test_slack_trend_uploads_the_chart_in_three_steps_and_shares_it_in_the_channel(
    slack, slack_bot, store, clock
):
    await ingest(store, clock)
    n = await slash(slack, slack_bot, "trend ceasefire")
    (shared,) = await slack.wait_for(lambda: list(slack.files.values()), timeout=30)
    assert [c.method for c in slack.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert shared["channel"] == CHANNEL and shared["initial_comment"].startswith("ceasefire: 3 stories in 90 days")
    assert decode(shared["data"]).size == (1200, 675) and shared["filename"].endswith(".png")
    assert shared["alt_txt"].startswith("Line chart of stories per day")
    (message,) = slack.posted(CHANNEL)
    assert message["files"][0]["name"] == shared["filename"]
    assert slack.responses[n] == []  # the chart is the answer: nothing ephemeral besides


async def test_slack_outbox_send_of_a_chart_escapes_the_comment(slack, slack_bot):
    reply = chart_reply()
    file_id = await slack_bot.send(CHANNEL, reply)
    shared = slack.files[file_id]
    assert shared["data"] == reply.image.png
    assert fs.pings(shared["initial_comment"]) == [] and "&lt;b&gt;" in shared["initial_comment"]


async def test_slack_answers_with_text_when_the_chart_cannot_be_shared(slack, slack_bot, store, clock):
    await ingest(store, clock)
    slack.fail(CHANNEL, "not_in_channel")
    n = await slash(slack, slack_bot, "trend ceasefire")
    (answer,) = await slack.wait_for(lambda: slack.responses[n], timeout=30)
    assert answer["text"].startswith("ceasefire: 3 stories") and answer["response_type"] == "ephemeral"
    assert slack.files == {}
