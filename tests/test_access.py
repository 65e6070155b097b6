"""Who may use the bot: allow lists in the config, one refusal for strangers, through the real adapters and fakes."""

import asyncio
import logging
import sys
from io import StringIO
from pathlib import Path

import fake_telegram as ft
import pytest

from diplobot.config import Config, ConfigError, SlackConfig, StoreConfig, TelegramConfig, load_config
from diplobot.handlers.access import Access
from diplobot.handlers.incoming import Incoming
from diplobot.handlers.reply import Button, Reply
from diplobot.platforms.slack import SlackPlatform
from diplobot.runtime import Runtime
from diplobot.store.chats import get_chat

sys.path.insert(0, str(Path(__file__).parent))
import fake_slack as fs
import test_slack as ts
import test_telegram as tt

ALICE, BOB, CAROL, GROUP = 5001, 5002, 5003, -100777
PRIVATE = "This diplobot is private. Ask its owner to add you."


# ---- config ---------------------------------------------------------------------------------------


def write(tmp_path, text):
    path = tmp_path / "diplobot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_allow_lists_take_numeric_ids_and_usernames(tmp_path):
    config = load_config(
        write(
            tmp_path,
            '[telegram]\nallowed_users = [5001, "@Ann_K"]\nallowed_chats = [-100777]\n'
            '[slack]\nallowed_users = ["U1"]\nallowed_channels = ["C100"]\n',
        ),
        env={},
    )
    assert config.telegram.allowed_users == ("5001", "@Ann_K") and config.telegram.allowed_chats == ("-100777",)
    assert config.slack.allowed_users == ("U1",) and config.slack.allowed_channels == ("C100",)
    assert load_config(None, env={}).telegram.allowed_users == ()  # open by default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[telegram]\nallowed_users = "@ann"', "'telegram.allowed_users' must be a list"),
        (
            '[telegram]\nallowed_users = ["ann"]',
            "'telegram.allowed_users[0]' must be a numeric user id or an @username",
        ),
        ('[telegram]\nallowed_chats = ["@desk"]', "'telegram.allowed_chats[0]' must be a numeric chat id"),
        ('[slack]\nallowed_channels = ["#general"]', "'slack.allowed_channels[0]' must be a Slack channel id"),
        ("[slack]\nallowed_users = [true]", "'slack.allowed_users[0]' must be a Slack member id"),
    ],
)
def test_a_bad_allow_list_entry_is_named(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        load_config(write(tmp_path, text), env={})


def test_a_refused_stranger_is_quiet_for_a_while_then_refused_once_more():
    now = [0.0]
    access = Access({"telegram": frozenset({"telegram:1"})}, quiet_s=60, monotonic=lambda: now[0])
    stranger = Incoming(chat_id="telegram:2", user_id="telegram:2", text="/help")
    assert [access.check(stranger) for _ in range(3)] == ["refuse", "quiet", "quiet"]
    now[0] = 61
    assert access.check(stranger) == "refuse"
    assert access.check(Incoming(chat_id="console:local", user_id="console:local", text="/help")) == "ok"


# ---- Telegram -------------------------------------------------------------------------------------

tg = tt.tg


@pytest.fixture
def config(tmp_path, tg):
    telegram = TelegramConfig(
        token=tg.token, base_url=tg.base_url, allowed_users=(str(ALICE), "@Carol_D"), allowed_chats=(str(GROUP),)
    )
    return Config(telegram=telegram, store=StoreConfig(path=str(tmp_path / "t.db")))


@pytest.fixture
def bot(telegram_bot):
    return telegram_bot


def from_username(update, username):
    update["message"]["from"]["username"] = username
    return update


async def quiet(tg, chat_id, before):
    """Nothing more reaches `chat_id` (give the bot time to answer, were it going to)."""
    await asyncio.sleep(0.5)
    return tg.sent(chat_id)[before:] == []


async def test_an_allowed_user_and_anyone_in_an_allowed_chat_can_use_the_bot(tg, bot, store):
    assert "Subscribed" in await tt.say(tg, "/subscribe ceasefire", chat_id=ALICE, user_id=ALICE)
    assert "follows no topics" in await tt.say(tg, "/topics", chat_id=GROUP, user_id=BOB, kind="supergroup")
    tg.push(from_username(ft.message_update("/topics", chat_id=CAROL, user_id=CAROL), "carol_d"))
    answer = await tg.wait_for(lambda: tg.sent(CAROL))
    assert "follows no topics" in answer[0]["text"]  # @username matched, whatever its case


async def test_a_stranger_gets_exactly_one_refusal_and_leaves_no_trace(tg, bot, store):
    refusal = await tt.say(tg, "/subscribe ceasefire", chat_id=BOB, user_id=BOB)
    assert refusal.startswith(PRIVATE) and str(BOB) in refusal
    before = len(tg.sent(BOB))
    for text in ("/help", "/subscribe ceasefire", "/start"):
        tg.push(ft.message_update(text, chat_id=BOB, user_id=BOB))
    assert await quiet(tg, BOB, before)
    assert await store.run(get_chat, f"telegram:{BOB}") is None


async def test_a_strangers_button_press_does_nothing(tg, bot, store):
    await tt.say(tg, "/subscribe ceasefire", chat_id=GROUP, user_id=ALICE, kind="supergroup")
    other = -100999  # a group not in allowed_chats, with a button the bot really sent
    await bot.send(str(other), Reply.text("Alert").with_buttons((Button("Unsubscribe 1", "/unsubscribe #1"),)))
    message = tg.sent(other)[-1]
    data = tt.button(message, "Unsubscribe 1")
    answer, after = await tt.press(tg, message, data, user_id=BOB, edits=False)
    assert answer.startswith(PRIVATE) and after == message
    answer, after = await tt.press(tg, message, data, user_id=BOB, edits=False)
    assert answer == "" and after == message  # answered (Telegram needs it), but silently
    assert not tg.called("editMessageText")
    assert await store.run(get_chat, f"telegram:{other}") is None


async def test_the_open_default_warns_at_start_up_and_a_restricted_bot_does_not(tg, tmp_path, caplog):
    warning = "telegram: anyone who finds this bot can use it; set [telegram] allowed_users to restrict"
    for allowed, expected in (((), True), ((str(ALICE),), False)):
        telegram = TelegramConfig(token=tg.token, base_url=tg.base_url, allowed_users=allowed)
        config = Config(telegram=telegram, store=StoreConfig(path=str(tmp_path / f"{len(allowed)}.db")))
        runtime = Runtime(config, console=False, stdin=StringIO(""), stdout=StringIO())
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="diplobot.runtime"):
            await runtime.start()
            await runtime.stop()
        assert (warning in caplog.messages) is expected


# ---- Slack ----------------------------------------------------------------------------------------

slack = ts.slack
CHANNEL, DM, OTHER = "C100", "D200", "C300"


@pytest.fixture
async def slack_bot(tmp_path, slack, store):
    from diplobot.handlers.dispatcher import Dispatcher

    settings = SlackConfig(
        bot_token=slack.token,
        signing_secret=ts.SECRET,
        mode="http",
        listen="127.0.0.1:0",
        api_url=slack.api_url,
        allowed_users=("U1",),
        allowed_channels=(CHANNEL,),
    )
    config = Config(slack=settings, store=StoreConfig(path=str(tmp_path / "t.db")))
    platform = SlackPlatform(config, Dispatcher(store, config))
    await platform.start()
    yield platform
    await platform.stop()


async def test_slack_lets_in_listed_members_and_channels_and_refuses_others_once(slack, slack_bot, store):
    assert "follows no topics" in ts.shown(await ts.diplo(slack, slack_bot, "topics", channel=DM, user="U1"))
    assert "follows no topics" in ts.shown(await ts.diplo(slack, slack_bot, "topics", channel=CHANNEL, user="U2"))
    refusal = await ts.diplo(slack, slack_bot, "subscribe ceasefire", channel=OTHER, user="U2")
    assert refusal["response_type"] == "ephemeral" and ts.shown(refusal).startswith(PRIVATE)
    n, url = slack.new_response_url()
    await ts.post(slack_bot, fs.slash_command("/diplo", "help", channel=OTHER, user="U2", response_url=url))
    await asyncio.sleep(0.5)
    assert slack.responses[n] == []
    assert await store.run(get_chat, f"slack:{OTHER}") is None


async def test_a_slack_strangers_button_press_changes_nothing(slack, slack_bot, store):
    await slack_bot.send(OTHER, Reply.text("Alert").with_buttons((Button("Unsubscribe", "/unsubscribe #1"),)))
    message = slack.posted(OTHER)[-1]
    answer = await ts.press(slack, slack_bot, message, "Unsubscribe", user="U2")
    assert answer["response_type"] == "ephemeral" and ts.shown(answer).startswith(PRIVATE)
    assert not answer.get("replace_original")
    action = fs.buttons(message["blocks"])[0]
    n, url = slack.new_response_url()
    await ts.post(slack_bot, fs.block_actions(message, action, user="U2", response_url=url))
    await asyncio.sleep(0.5)
    assert slack.responses[n] == [] and not slack.called("chat.update")
    assert await store.run(get_chat, f"slack:{OTHER}") is None
