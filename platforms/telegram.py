"""Telegram through python-telegram-bot 22, run by hand inside diplobot's one event loop.

Commands arrive by long polling or by a webhook served with aiohttp; each becomes an `Incoming` for
the dispatcher and its `Reply` is sent straight back as one message (never queued behind alerts;
after a 429 with a short `retry_after`, once more). Alerts go out through `send`/`edit`, which turn
every Telegram error into a `DeliveryError` and never sleep or retry: pacing and retries belong to the
outbox worker. The bot token never reaches a log line or an error message.

Buttons carry their command signed for the chat (telegram_render.sign_data): a press with data the
bot did not issue for that chat and message (a modified client can send anything) does nothing, and
on a channel post only the channel's admins may press at all, since the result shows in the post.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import traceback
import warnings
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    Chat,
    InlineKeyboardMarkup,
    InputFile,
    MaybeInaccessibleMessage,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.warnings import PTBDeprecationWarning

from diplobot.config import Config
from diplobot.handlers.access import refusal
from diplobot.handlers.dispatcher import ManageCheck
from diplobot.handlers.incoming import ChatKind, Incoming
from diplobot.handlers.registry import Command
from diplobot.handlers.reply import Reply, shown
from diplobot.logs import RedactingFilter
from diplobot.platforms.base import (
    STOP_GRACE_S,
    Capabilities,
    DeliveryError,
    InFlightSends,
    Pace,
    PlatformUnreachable,
    RecordedCheck,
)
from diplobot.platforms.telegram_render import (
    TEXT_LIMIT,
    Rendered,
    Signer,
    cut_utf16,
    render,
    sign_data,
    signing_key,
    unsigned_command,
    utf16_len,
    verify_data,
)
from diplobot.webserver import serve

if TYPE_CHECKING:
    from diplobot.handlers.dispatcher import Dispatcher

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CHANNEL_POST, Update.CALLBACK_QUERY]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# https://core.telegram.org/bots/api#answercallbackquery: text "0-200 characters".
CALLBACK_ANSWER_MAX = 200
STALE_BUTTON = "This button no longer works."
CHANNEL_REFUSED = "Sorry, only this channel's admins can use its buttons."
REPLY_RETRY_MAX_S = 5.0  # a command's answer waits out a flood limit this long, once
# https://core.telegram.org/bots/api#sendphoto: caption "0-1024 characters after entities parsing"; kept below it.
CAPTION_LIMIT = 1000
MAX_BOT_COMMANDS = 100
BOT_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
COMMAND_HEAD = re.compile(r"^/(?P<name>[A-Za-z0-9_]+)(?:@(?P<bot>[A-Za-z0-9_]+))?(?P<rest>.*)$", re.DOTALL)
GONE_PHRASES = (
    "chat not found",
    "bot was kicked",
    "not enough rights to send",
    "have no rights to send",
    "chat_write_forbidden",
    "user is deactivated",
    "group chat was deactivated",
)
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
COMMAND_MESSAGES = (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST) & filters.TEXT & filters.Regex(r"^/")

LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore")
T = TypeVar("T")


def chat_kind(chat: Chat) -> ChatKind:
    if chat.type == ChatType.PRIVATE:
        return "private"
    return "channel" if chat.type == ChatType.CHANNEL else "group"


@dataclass(frozen=True)
class Addressed:
    """A command with the bot's own `@name` removed; `explicit` when it named this bot."""

    text: str
    name: str
    explicit: bool


def address(text: str, bot_username: str) -> Addressed | None:
    """The command as the dispatcher wants it, or None when it is not one or names another bot."""
    m = COMMAND_HEAD.match(text.strip())
    if not m:
        return None
    bot = m["bot"]
    if bot and bot.lower() != bot_username.lower():
        return None
    return Addressed(f"/{m['name']}{m['rest']}", m["name"].lower(), explicit=bool(bot))


def retry_after_seconds(exc: RetryAfter) -> float:
    """PTB 22 gives an int (with a deprecation warning), or a timedelta with PTB_TIMEDELTA=1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def delivery_error(exc: TelegramError, token: str) -> DeliveryError:
    """The outbox's view of a Telegram error: wait, give up on the chat, or retry later."""
    reason = redact(exc.message, token)
    if isinstance(exc, RetryAfter):
        return DeliveryError(f"rate limited: {reason}", retry_after=retry_after_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return DeliveryError(f"group became a supergroup (now {exc.new_chat_id})", moved_to=str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return DeliveryError(reason, chat_gone=True)
    if isinstance(exc, BadRequest) and any(p in reason.lower() for p in GONE_PHRASES):
        return DeliveryError(reason, chat_gone=True)
    if isinstance(exc, TimedOut):
        return DeliveryError(f"timed out: {reason}")
    return DeliveryError(reason)


def redact(text: str, token: str) -> str:
    return text.replace(token, "<token>") if token else text


# Added to PTB's and the HTTP libraries' own loggers, so the token is gone even where diplobot's log
# handler is not the one writing (PTB logs its API URL, token included, at DEBUG).
TOKEN_FILTER = RedactingFilter()


def guard_logs(token: str) -> None:
    """Silence httpx's request lines and redact `token` in every PTB and HTTP library logger."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if token not in TOKEN_FILTER.secrets:
        TOKEN_FILTER.secrets = (*TOKEN_FILTER.secrets, token)
    names = [n for n in logging.Logger.manager.loggerDict if n.split(".")[0] in LIBRARY_LOGGERS]
    for name in ("telegram", *names):
        logger = logging.getLogger(name)
        if TOKEN_FILTER not in logger.filters:
            logger.addFilter(TOKEN_FILTER)


def bot_commands(commands: Mapping[str, Command]) -> list[BotCommand]:
    """The command menu Telegram shows, from the dispatcher's commands, within Telegram's limits."""
    out = []
    for cmd in commands.values():
        if BOT_COMMAND_NAME.match(cmd.name):
            out.append(BotCommand(cmd.name, (cmd.summary or cmd.name)[:256]))
    return out[:MAX_BOT_COMMANDS]


def short_text(reply: Reply, limit: int = CALLBACK_ANSWER_MAX) -> str:
    """The first paragraph of a reply, cut to fit a callback answer (counted in UTF-16 units)."""
    first = Reply(blocks=reply.blocks[:1]).plain() if reply.blocks else ""
    text = shown(first, limit).strip()
    return text if utf16_len(text) <= limit else cut_utf16(text, limit)  # astral characters count twice


def pressed_data(message: MaybeInaccessibleMessage) -> set[str] | None:
    """The callback data of the pressed message's buttons as Telegram holds them (the client cannot
    change these), or None when Telegram no longer shows the message."""
    if not isinstance(message, Message):
        return None
    markup = message.reply_markup
    return {
        b.callback_data
        for row in (markup.inline_keyboard if markup else ())
        for b in row
        if isinstance(b.callback_data, str)
    }


def without_button(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    if markup is None:
        return None
    rows = [[b for b in row if b.callback_data != data] for row in markup.inline_keyboard]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramPlatform:
    """The Telegram adapter (a `Platform`): a Messenger for the outbox plus the command and button handlers."""

    platform = "telegram"
    capabilities = Capabilities(buttons=True, admin_checks=True, listens=True)

    def __init__(
        self,
        config: Config,
        dispatcher: Dispatcher,
        *,
        poll_timeout: float = 10.0,
        request_timeout: float = 10.0,
        stop_grace_s: float = STOP_GRACE_S,
    ) -> None:
        self.settings = config.telegram
        self.dispatcher = dispatcher
        self.poll_timeout = poll_timeout
        self.connected = False
        self._in_flight = InFlightSends(self.platform, stop_grace_s)
        self.webhook_port: int | None = None
        self._webhook_secret = ""
        self._webhook_runner: web.AppRunner | None = None
        guard_logs(self.settings.token)
        self._signing_key = signing_key(self.settings.token)
        self.app = self._build_app(request_timeout)

    def _build_app(self, request_timeout: float) -> Application:
        base_url = self.settings.base_url
        builder = (
            Application.builder()
            .token(self.settings.token)
            .base_url(base_url)
            .read_timeout(request_timeout)
            .write_timeout(request_timeout)
            .concurrent_updates(True)
            .job_queue(None)
        )
        if base_url.endswith("/bot"):  # a self-hosted server serves files next to the API
            builder = builder.base_file_url(base_url.removesuffix("bot") + "file/bot")
        if self.settings.mode == "webhook":
            builder = builder.updater(None)
        app = builder.build()
        app.add_handler(MessageHandler(COMMAND_MESSAGES, self._on_command))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        app.add_error_handler(self._on_error)
        return app

    # ---- Messenger ----------------------------------------------------------------------------

    def pace(self, chat_kind: str) -> Pace:
        if chat_kind == "private":
            return Pace(count=1, per_s=_interval(self.settings.per_chat_per_s))
        return Pace(count=1, per_s=60 * _interval(self.settings.per_group_per_min))

    def total_pace(self) -> Pace:
        return Pace(count=1, per_s=_interval(self.settings.total_per_s))

    async def send(self, native_chat_id: str, reply: Reply) -> str:
        """Send the reply as one message (cut to fit); its id identifies it. Once `stop()` began, refused
        with a retry-later error (base.InFlightSends)."""
        async with self._in_flight.send():
            return await self._send_one(native_chat_id, reply)

    def _render(self, native_chat_id: str, reply: Reply) -> Rendered:
        return render(reply, sign=self._signer(native_chat_id))

    def _signer(self, native_chat_id: str) -> Signer:
        return lambda command: sign_data(self._signing_key, str(native_chat_id), command)

    async def _send_one(self, native_chat_id: str, reply: Reply) -> str:
        """The reply as one message: a photo captioned with the reply's text when it has an image (a chart),
        else a text message."""
        if reply.image is not None:
            caption = render(reply, sign=self._signer(native_chat_id), limit=CAPTION_LIMIT)
            photo = InputFile(reply.image.png, filename=reply.image.filename)
            sent = await self._call(
                self.app.bot.send_photo(
                    chat_id=native_chat_id,
                    photo=photo,
                    caption=caption.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=caption.keyboard,
                )
            )
            return str(sent.message_id)
        message = self._render(native_chat_id, reply)
        sent = await self._call(
            self.app.bot.send_message(
                chat_id=native_chat_id,
                text=message.html,
                parse_mode=ParseMode.HTML,
                link_preview_options=message.link_preview_options,
                reply_markup=message.keyboard,
            )
        )
        return str(sent.message_id)

    async def edit(self, native_chat_id: str, message_id: str, reply: Reply) -> None:
        """Replace a message with the reply (an unchanged message is not an error)."""
        message = self._render(native_chat_id, reply)
        try:
            await self._call(
                self.app.bot.edit_message_text(
                    chat_id=native_chat_id,
                    message_id=int(message_id),
                    text=message.html,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=message.link_preview_options,
                    reply_markup=message.keyboard,
                )
            )
        except DeliveryError as exc:
            if "message is not modified" not in exc.reason.lower():
                raise

    async def _call(self, request: Awaitable[T]) -> T:
        try:
            return await request
        except TelegramError as exc:
            raise delivery_error(exc, self.settings.token) from None

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """initialize (getMe), publish the command menu, start processing, then poll or serve."""
        try:
            await self.app.initialize()
        except InvalidToken:
            raise RuntimeError("Telegram rejected the bot token; check [telegram] token") from None
        except NetworkError as exc:  # TimedOut and 5xx answers too: worth another try later
            raise PlatformUnreachable(f"cannot reach the Telegram Bot API: {self._redact(exc.message)}") from None
        except TelegramError as exc:
            raise RuntimeError(f"the Telegram Bot API refused to start: {self._redact(exc.message)}") from None
        await self._publish_commands()
        await self.app.start()
        try:
            await self._receive()
        except NetworkError as exc:  # the network went away between getMe and here: undo, so start can run again
            if self._webhook_runner:
                await self._webhook_runner.cleanup()
                self._webhook_runner = None
            await self.app.stop()
            raise PlatformUnreachable(f"cannot reach the Telegram Bot API: {self._redact(exc.message)}") from None
        self.connected = True
        log.info("telegram bot @%s running (%s)", self.app.bot.username, self.settings.mode)

    async def _receive(self) -> None:
        """Start taking updates: long polling, or the webhook endpoint."""
        if self.settings.mode == "webhook":
            await self._start_webhook()
        else:
            await self.app.updater.start_polling(  # type: ignore[union-attr]
                timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                error_callback=self._on_poll_error,
            )

    async def stop(self) -> None:
        """The reverse of start: finish the sends in flight (up to `stop_grace_s`), stop receiving,
        finish processing, close the HTTP clients."""
        self.connected = False
        await self._in_flight.close()
        if self._webhook_runner:
            await self._webhook_runner.cleanup()
            self._webhook_runner = None
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _publish_commands(self) -> None:
        try:
            await self.app.bot.set_my_commands(bot_commands(self.dispatcher.commands))
        except TelegramError as exc:
            log.warning("could not publish the command menu: %s", self._redact(exc.message))

    async def _start_webhook(self) -> None:
        """An aiohttp endpoint that accepts only Telegram's requests (by secret token)."""
        if not self.settings.webhook_url:
            raise RuntimeError('telegram mode = "webhook" needs telegram.webhook_url')
        self._webhook_secret = self.settings.secret_token or secrets.token_urlsafe(32)
        web_app = web.Application()
        web_app.router.add_post(urlsplit(self.settings.webhook_url).path or "/", self._on_webhook)
        self._webhook_runner, self.webhook_port = await serve(web_app, self.settings.listen)
        await self.app.bot.set_webhook(
            self.settings.webhook_url, secret_token=self._webhook_secret, allowed_updates=ALLOWED_UPDATES
        )

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._webhook_secret.encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response()

    # ---- incoming -----------------------------------------------------------------------------

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not message.text:
            return
        command = address(message.text, self.app.bot.username)
        kind = chat_kind(chat)
        if command is None or (
            kind != "private" and not command.explicit and command.name not in self.dispatcher.commands
        ):
            return  # meant for another bot in this chat
        sender = message.from_user.id if message.from_user else (message.sender_chat or chat).id
        incoming = Incoming(
            chat_id=f"telegram:{chat.id}",
            user_id=f"telegram:{sender}",
            text=command.text,
            chat_kind=kind,
            chat_title=chat.effective_name,
            username=message.from_user.username if message.from_user else None,
        )
        check = self._manage_check(chat, message.from_user, message.sender_chat)
        reply = await self.dispatcher.handle(incoming, may_manage=check)
        await self._reply(str(chat.id), reply)

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup (Telegram posts this in both): the new id keeps its topics."""
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id:
            await self.dispatcher.chat_moved(f"telegram:{message.chat_id}", str(message.migrate_to_chat_id))
        elif message.migrate_from_chat_id:
            await self.dispatcher.chat_moved(f"telegram:{message.migrate_from_chat_id}", str(message.chat_id))

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press runs its command as the presser typed it; the press is always answered.

        Only data the bot issued for this chat and message counts; on a channel post only admins may
        press (the result is shown in the post); in groups changes follow the commands' admin rule."""
        query = update.callback_query
        if query is None:
            return
        message = query.message
        command = self._button_command(query.data or "", message)
        if command is None or message is None:
            await self._answer_callback(query.answer(STALE_BUTTON))
            return
        chat = message.chat
        incoming = Incoming(
            chat_id=f"telegram:{chat.id}",
            user_id=f"telegram:{query.from_user.id}",
            text=command,
            chat_kind=chat_kind(chat),
            chat_title=chat.effective_name,
            username=query.from_user.username,
        )
        admitted = self.dispatcher.access.check(incoming)
        if admitted != "ok":  # a stranger: one refusal, then only the bare answer a press needs
            await self._answer_callback(query.answer(refusal(incoming) if admitted == "refuse" else None))
            return
        check = self._manage_check(chat, query.from_user, None, for_button=True)
        if chat_kind(chat) == "channel":
            if not await check():  # type: ignore[misc]
                await self._answer_callback(query.answer(CHANNEL_REFUSED, show_alert=True))
                return
            check = None
        recorded = RecordedCheck(check)
        try:
            reply = await self.dispatcher.handle(incoming, may_manage=recorded.may_manage)
        except Exception:
            await self._answer_callback(query.answer("Sorry, that failed on my side."))
            raise  # logged by the error handler
        await self._answer_callback(query.answer(short_text(reply), show_alert=recorded.refused))
        if reply.blocks and not recorded.refused:
            await self._show_result(message, query.data or "", reply)

    def _button_command(self, data: str, message: MaybeInaccessibleMessage | None) -> str | None:
        """The command behind a press, or None when the bot did not issue this data for this message.

        Data signed for this chat is ours. When Telegram still shows the message, the data must also
        be one of its buttons as Telegram holds them; then older (unsigned, or signed for the group
        before it became a supergroup) buttons keep working too."""
        if message is None:
            return None
        signed = verify_data(self._signing_key, str(message.chat.id), data)
        issued = pressed_data(message)
        if issued is None:
            return signed
        if data not in issued:
            return None
        command = signed or unsigned_command(data)
        return command if command.startswith("/") else None

    def _manage_check(
        self, chat: Chat, user: User | None, sender_chat: Chat | None, *, for_button: bool = False
    ) -> ManageCheck | None:
        """May this sender change the chat? Asked only for group commands (and channel buttons,
        which any channel subscriber can press)."""
        kind = chat_kind(chat)
        if kind == "private" or (kind == "group" and not self.settings.admins_only_in_groups):
            return None
        if kind == "channel" and not for_button:
            return None  # only a channel's admins can post in it

        async def is_admin() -> bool:
            if sender_chat is not None and sender_chat.id == chat.id:
                return True  # an anonymous admin (or the channel itself)
            if user is None:
                return False
            try:
                member = await self.app.bot.get_chat_member(chat.id, user.id)
            except TelegramError as exc:
                log.warning("admin check in telegram:%s failed: %s", chat.id, self._redact(exc.message))
                return False
            return member.status in ADMIN_STATUSES

        return is_admin

    async def _show_result(self, pressed: MaybeInaccessibleMessage, data: str, reply: Reply) -> None:
        """Append the result to the pressed message and drop the used button, so the message
        says what happened; when that would be too long, or the reply is another page of what the
        message shows, the result replaces it."""
        if not isinstance(pressed, Message) or not pressed.text:
            return
        result = self._render(str(pressed.chat.id), reply)
        if not reply.replaces and utf16_len(pressed.text) + 2 + result.width <= TEXT_LIMIT:
            text, markup = f"{pressed.text_html}\n\n{result.html}", without_button(pressed.reply_markup, data)
        else:
            text, markup = result.html, result.keyboard
        try:
            await self.app.bot.edit_message_text(
                chat_id=pressed.chat.id,
                message_id=pressed.message_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=result.link_preview_options,
            )
        except TelegramError as exc:
            log.info(
                "could not update a pressed message in telegram:%s: %s", pressed.chat.id, self._redact(exc.message)
            )

    async def _reply(self, native_chat_id: str, reply: Reply) -> None:
        """Answer a command directly; after a short flood wait (429) once more, else the failure is
        logged and the user can simply ask again. An empty reply (a rate-limited user) sends nothing."""
        if not reply.blocks:
            return
        for attempt in (1, 2):
            try:
                await self._send_one(native_chat_id, reply)
                return
            except DeliveryError as exc:
                wait = exc.retry_after
                if attempt == 1 and wait is not None and wait <= REPLY_RETRY_MAX_S:
                    await asyncio.sleep(wait)
                    continue
                log.warning("could not answer in telegram:%s: %s", native_chat_id, exc.reason)
                return

    async def _answer_callback(self, answer: Awaitable[Any]) -> None:
        try:
            await answer
        except TelegramError as exc:
            log.info("could not answer a button press: %s", self._redact(exc.message))

    # ---- errors -------------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return redact(text, self.settings.token)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        err = context.error
        details = "".join(traceback.format_exception(err)) if err else "unknown error"
        log.error("telegram update failed: %s", self._redact(details))

    def _on_poll_error(self, exc: TelegramError) -> None:
        log.warning("telegram polling: %s", self._redact(exc.message))


def _interval(rate: float) -> float:
    """Seconds between messages at `rate` per unit; a rate of 0 means unpaced."""
    return 1.0 / rate if rate > 0 else 0.0
