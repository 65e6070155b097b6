"""The command registry is built explicitly (describing a command registers nothing); aliases are per owner."""

import pytest

from diplobot.analysis.aliases import AliasesFile
from diplobot.handlers import general
from diplobot.handlers.dispatcher import Dispatcher, default_commands
from diplobot.handlers.incoming import Incoming
from diplobot.handlers.registry import CommandRegistry, command
from diplobot.handlers.reply import Reply
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import Pipeline
from diplobot.sandbox import Sandbox


def test_the_default_commands_in_help_order():
    assert list(default_commands()) == [
        "digest",
        "start",
        "help",
        "search",
        "who",
        "settings",
        "subscribe",
        "unsubscribe",
        "topics",
        "latest",
        "mute",
        "unmute",
        "trend",
    ]


def test_describing_a_command_registers_it_nowhere():
    @command("extra", "/extra", changes_chat=True)
    def extra(ctx, args):
        """An extra command."""
        return Reply()

    assert "extra" not in default_commands()
    (spec,) = CommandRegistry([extra]).values()
    assert (spec.name, spec.summary, spec.changes_chat("")) == ("extra", "An extra command.", True)


def test_a_registry_refuses_a_plain_function_and_a_second_handler_for_one_name():
    def plain(ctx, args):
        return Reply()

    @command("help", "/help")
    def other_help(ctx, args):
        """Another help."""
        return Reply()

    with pytest.raises(ValueError, match="not a @command"):
        CommandRegistry([plain])
    with pytest.raises(ValueError, match="two handlers for /help"):
        CommandRegistry([general.help_, other_help])


async def test_a_dispatcher_answers_only_its_own_commands_and_help_lists_them(store, config, clock):
    small = Dispatcher(store, config, clock, commands=CommandRegistry([general.help_, general.start]))
    full = Dispatcher(store, config, clock)

    async def say(dispatcher, text):
        return (await dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u", text=text))).plain()

    assert "/subscribe" not in await say(small, "/help") and "/start" in await say(small, "/help")
    assert "I don't know /subscribe" in await say(small, "/subscribe ceasefire")
    assert "/subscribe" in await say(full, "/help")


async def test_two_dispatchers_with_different_aliases_answer_who_each_by_their_own(store, config, clock, tmp_path):
    path = tmp_path / "aliases.toml"
    path.write_text('merge = [["Volodymyr Zelenskyy", "Vasyl Holoborodko"]]\n', encoding="utf-8")
    aliases = AliasesFile(path)
    await Pipeline(store, aliases=aliases, clock=clock).ingest(
        [
            ArticleDraft(
                title="Talks",
                body="President Volodymyr Zelenskyy met the partners in Kyiv.",
                url="https://news.example/1",
            )
        ]
    )
    merged = Dispatcher(store, config, clock, aliases=aliases)
    plain = Dispatcher(store, config, clock)

    async def who(dispatcher):
        reply = await dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u", text="/who Vasyl Holoborodko"))
        return reply.plain()

    assert (await who(merged)).startswith("Volodymyr Zelenskyy")  # the merge group's other name finds him
    assert (await who(plain)).startswith("I found nobody called Vasyl Holoborodko")


async def test_a_sandbox_worker_reads_the_aliases_file_it_is_named(store, config, clock, tmp_path):
    path = tmp_path / "aliases.toml"
    path.write_text('merge = [["Volodymyr Zelenskyy", "Vasyl Holoborodko"]]\n', encoding="utf-8")
    aliases = AliasesFile(path)
    with Sandbox(processes=1) as box:
        await Pipeline(store, box, aliases=aliases, clock=clock).ingest(
            [
                ArticleDraft(
                    title="Talks",
                    body="President Volodymyr Zelenskyy met the partners in Kyiv.",
                    url="https://news.example/1",
                )
            ]
        )
    reply = await Dispatcher(store, config, clock, aliases=aliases).handle(
        Incoming(chat_id="test:1", user_id="test:u", text="/who Vasyl Holoborodko")
    )
    assert reply.plain().startswith("Volodymyr Zelenskyy")  # indexed in the worker under the merge group
