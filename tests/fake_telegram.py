"""A fake Telegram Bot API server on 127.0.0.1 for driving the real python-telegram-bot in tests.

It speaks the wire format PTB uses (POST /bot<token>/<method>, form-urlencoded or JSON bodies with
nested objects as JSON strings, {"ok": ...} replies), records every call with its arrival time,
long-polls `getUpdates` from a queue the test fills, and checks HTML the way Telegram does: unknown
tags, unbalanced tags, unknown named entities are rejected with 400. It enforces the Bot API's
published limits (each cited below): message text 1-4096 characters after entity parsing,
callback_data 1-64 bytes, at most 100 inline buttons, answerCallbackQuery text up to 200 characters, and for
multipart `sendPhoto` a caption of up to 1024 characters and a photo of at most 10 MB whose sides add up to at most
10,000 pixels in a ratio of at most 20.
Tests can make one chat answer 429, 403 or 500, or hang (until `release()`), and can turn on
Telegram's published flood limits (`limits=Limits()`): more than 1 message a second in a chat, 20 a
minute in a group or 30 a second in total gets 429 with `retry_after`, as Telegram answers.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import math
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web
from PIL import Image as PILImage

ALLOWED_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# https://core.telegram.org/bots/api#sendmessage: text "1-4096 characters after entities parsing".
MAX_TEXT = 4096
# https://core.telegram.org/bots/api#inlinekeyboardbutton: callback_data "1-64 bytes".
MAX_CALLBACK_DATA_BYTES = 64
# At most 100 buttons per inline keyboard: python-telegram-bot's InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER
# (https://docs.python-telegram-bot.org/en/stable/telegram.constants.html); the Bot API page
# (https://core.telegram.org/bots/api#inlinekeyboardmarkup) gives no number, Telegram answers 400 beyond it.
MAX_BUTTONS = 100
# https://core.telegram.org/bots/api#answercallbackquery: text "0-200 characters".
MAX_CALLBACK_ANSWER = 200
# https://core.telegram.org/bots/api#sendphoto: caption "0-1024 characters after entities parsing"; "The photo
# must be at most 10 MB in size. The photo's width and height must not exceed 10000 in total. Width and height ratio
# must be at most 20."
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1000 * 1000
MAX_PHOTO_SIDES, MAX_PHOTO_RATIO = 10_000, 20
_BAD_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#[0-9]+|#[xX][0-9a-fA-F]+);)")
JSON_FIELDS = {
    "reply_markup",
    "link_preview_options",
    "allowed_updates",
    "commands",
    "scope",
    "reply_parameters",
    "entities",
}
ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's description."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(HTMLParser):
    """Parses Telegram's HTML subset into plain text and message entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.pos = 0
        self.open: list[tuple[str, int, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def _add_text(self, text: str) -> None:
        self.parts.append(text)
        self.pos += utf16_len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}"')
        extra: dict[str, Any] = {}
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise HtmlError('Unsupported start tag "a" without href')
            extra["url"] = href
        self.open.append((tag, self.pos, extra))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise HtmlError(f'Unsupported start tag "{tag}/"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise HtmlError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        _tag, start, extra = self.open.pop()
        if self.pos > start:
            self.entities.append({"type": ALLOWED_TAGS[tag], "offset": start, "length": self.pos - start, **extra})

    def handle_data(self, data: str) -> None:
        for ch in "<>&":
            if ch in data:
                raise HtmlError(f"Unexpected {ch!r} in text; it must be escaped")
        self._add_text(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            raise HtmlError(f'Unsupported HTML entity "&{name};"')
        self._add_text(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        self._add_text(chr(code))

    def handle_comment(self, data: str) -> None:
        raise HtmlError("Unsupported comment")

    def handle_decl(self, decl: str) -> None:
        raise HtmlError("Unsupported declaration")

    def handle_pi(self, data: str) -> None:
        raise HtmlError("Unsupported processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise HtmlError("Unsupported declaration")


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's view of an HTML message: (plain text, entities). Raises HtmlError."""
    bad = _BAD_AMPERSAND.search(text)
    if bad:
        raise HtmlError(f"Unsupported HTML entity or unescaped '&' at offset {bad.start()}")
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.rawdata:
        raise HtmlError("Unclosed tag or entity at the end of the text")
    if parser.open:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{parser.open[-1][0]}"')
    return "".join(parser.parts), sorted(parser.entities, key=lambda e: e["offset"])


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    status: int = 0  # the HTTP status answered (0 while still being handled)
    result: Any = None  # the "result" of a successful answer, e.g. the sent message


@dataclass(frozen=True)
class Limits:
    """Telegram's published sending limits; `tolerance_s` shortens each window a little, because
    a sender pacing exactly at the limit sees its requests arrive with some network jitter."""

    per_chat_per_s: float = 1.0
    per_group_per_min: float = 20.0
    total_per_s: float = 30.0
    tolerance_s: float = 0.05


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    times: int | None = None  # None: every time
    hang: bool = False
    migrate_to_chat_id: int | None = None


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class FakeTelegram:
    """The fake Bot API. Use as `async with FakeTelegram() as tg:`; point PTB at `tg.base_url`."""

    token: str = "123456:TEST-token-abc"
    username: str = "diplo_test_bot"
    bot_id: int = 123456
    calls: list[Call] = field(default_factory=list)
    admins: dict[int, set[int]] = field(default_factory=dict)
    failures: dict[int, Failure] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    chat_types: dict[int, dict[str, Any]] = field(default_factory=dict)
    limits: Limits | None = None
    latency_s: float = 0.0  # added to every answer (a far-away API)
    photos: dict[tuple[int, int], bytes] = field(default_factory=dict)  # sendPhoto's bytes by (chat, message)
    listen_port: int = 0  # 0: any free port; a fixed one lets a bot that could not reach it connect later

    def __post_init__(self) -> None:
        self._sent_at: dict[int, deque[float]] = defaultdict(deque)
        self._sent_total: deque[float] = deque()
        self.rate_limited = 0  # 429s answered because of `limits`
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application(client_max_size=2 * MAX_PHOTO_BYTES)  # room for a photo over the limit, refused
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.listen_port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        if self._runner:
            await self._runner.cleanup()

    # ---- what tests use -------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()
        return update["update_id"]

    def fail(
        self, chat_id: int, status: int, description: str, *, retry_after: int | None = None, times: int | None = None
    ) -> None:
        """Make calls about `chat_id` fail, e.g. fail(5, 429, "Too Many Requests: retry after 3", retry_after=3)."""
        self.failures[chat_id] = Failure(status, description, retry_after, times)

    def upgrade_to_supergroup(self, chat_id: int, new_chat_id: int, *, announce: bool = True) -> None:
        """The group `chat_id` became the supergroup `new_chat_id`: calls to the old id get Telegram's 400
        with `migrate_to_chat_id`; with `announce`, both chats get the service message about it."""
        self.failures[chat_id] = Failure(
            400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=new_chat_id
        )
        notices = (
            (chat_id, "group", {"migrate_to_chat_id": new_chat_id}),
            (new_chat_id, "supergroup", {"migrate_from_chat_id": chat_id}),
        )
        for notice_chat, kind, migrate in notices if announce else ():
            self.push(
                {
                    "message": {
                        "message_id": next(_update_message_ids),
                        "date": int(time.time()),
                        "chat": chat(notice_chat, kind),
                        "from": user(900),
                        **migrate,
                    }
                }
            )

    def hang(self, chat_id: int) -> None:
        """Calls about `chat_id` never answer (until `release()` or the server stops)."""
        self.failures[chat_id] = Failure(0, "", hang=True)

    def release(self) -> None:
        """Hung calls answer 500 now; later calls about those chats work again."""
        for chat_id in [c for c, f in self.failures.items() if f.hang]:
            del self.failures[chat_id]
        self._release.set()
        self._release = asyncio.Event()

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages this chat received (Telegram's view: text without markup, plus entities)."""
        return [m for (chat, _id), m in sorted(self.messages.items()) if chat == chat_id]

    async def wait_for(self, check: Any, timeout: float = 5.0) -> Any:
        """Wait until `check()` returns something truthy and return it."""
        deadline = time.monotonic() + timeout
        while not (result := check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {check}")
            await asyncio.sleep(0.01)
        return result

    # ---- the HTTP side ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            call.status = 404
            return _error(ApiError(404, "Not Found"))
        try:
            await self._apply_failure(params)
            if method in ("sendMessage", "sendPhoto") and self.limits:
                self._check_limits(int(params["chat_id"]), call.at)
            call.result = await handler(params)
        except ApiError as exc:
            call.status = exc.status
            return _error(exc)
        call.status = 200
        return web.json_response({"ok": True, "result": call.result})

    def _check_limits(self, chat_id: int, now: float) -> None:
        """Answer 429 like Telegram when this message would break a published limit."""
        limits = self.limits
        assert limits is not None
        if self._chat(chat_id)["type"] == "private":
            count, window = 1, 1.0 / limits.per_chat_per_s
        else:
            count, window = 1, 60.0 / limits.per_group_per_min
        waits = [
            _window_wait(self._sent_at[chat_id], now, count, window - limits.tolerance_s),
            _window_wait(self._sent_total, now, max(1, round(limits.total_per_s)), 1.0 - limits.tolerance_s),
        ]
        wait = max(waits)
        if wait > 0:
            self.rate_limited += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        self._sent_at[chat_id].append(now)
        self._sent_total.append(now)

    async def _apply_failure(self, params: dict[str, Any]) -> None:
        chat_id = params.get("chat_id")
        failure = self.failures.get(int(chat_id)) if chat_id is not None else None
        if failure is None:
            return
        if failure.hang:
            await self._release.wait()
            raise ApiError(500, "Internal Server Error")
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                del self.failures[int(chat_id)]  # type: ignore[arg-type]
        parameters = {"retry_after": failure.retry_after, "migrate_to_chat_id": failure.migrate_to_chat_id}
        raise ApiError(
            failure.status, failure.description, {k: v for k, v in parameters.items() if v is not None} or None
        )

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Diplo",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return self.chat_types.get(chat_id) or (
            {"id": chat_id, "type": "private", "first_name": "User"}
            if chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Group"}
        )

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user()

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if utf16_len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), float(params.get("timeout") or 0))
            except TimeoutError:
                return []
        return list(self._updates)

    async def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        user = {"id": int(params["user_id"]), "is_bot": False, "first_name": "Member"}
        if int(params["user_id"]) in self.admins.get(int(params["chat_id"]), set()):
            return {"status": "administrator", "user": user, **dict.fromkeys(ADMIN_RIGHTS, True)}
        return {"status": "member", "user": user}

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._bot_user(),
            **_message_body(params),
        }
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        """A photo uploaded as multipart/form-data, with an optional HTML caption; `photos` keeps its bytes."""
        chat_id = int(params["chat_id"])
        photo = params.get("photo")
        if not isinstance(photo, web.FileField):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        data = photo.file.read()
        width, height = _photo_size(data)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._bot_user(),
            **_caption(params),
            "photo": [
                {
                    "file_id": f"photo-{len(self.photos) + 1}",
                    "file_unique_id": f"u{len(self.photos)}",
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                }
            ],
        }
        self.messages[(chat_id, message["message_id"])] = message
        self.photos[(chat_id, message["message_id"])] = data
        return message

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        old = self.messages[key]
        body = _message_body(params)
        if all(old.get(k) == body.get(k) for k in ("text", "entities", "reply_markup")):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content "
                "and reply markup are exactly the same",
            )
        new = {k: v for k, v in old.items() if k not in ("text", "entities", "reply_markup")}
        self.messages[key] = {**new, **body, "edit_date": int(time.time())}
        return self.messages[key]


def _window_wait(sent: deque[float], now: float, count: int, window: float) -> float:
    """Seconds until one more message fits `count` per `window` seconds (0: it fits now)."""
    while sent and now - sent[0] >= window:
        sent.popleft()
    return 0.0 if len(sent) < count else window - (now - sent[-count])


def _message_body(params: dict[str, Any]) -> dict[str, Any]:
    """Text and entities as Telegram would store them; raises ApiError like Telegram."""
    raw = str(params.get("text", ""))
    if str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            text, entities = parse_html(raw)
        except HtmlError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    else:
        text, entities = raw, []
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    body: dict[str, Any] = {"text": text}
    if entities:
        body["entities"] = entities
    if params.get("reply_markup"):
        _check_keyboard(params["reply_markup"])
        body["reply_markup"] = params["reply_markup"]
    return body


def _caption(params: dict[str, Any]) -> dict[str, Any]:
    """A photo's caption and its entities as Telegram stores them; ApiError like Telegram's."""
    raw = str(params.get("caption", ""))
    text, entities = raw, []
    if str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            text, entities = parse_html(raw)
        except HtmlError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    if utf16_len(text) > MAX_CAPTION:
        raise ApiError(400, "Bad Request: message caption is too long")
    body: dict[str, Any] = {"caption": text} if text else {}
    if entities:
        body["caption_entities"] = entities
    if params.get("reply_markup"):
        _check_keyboard(params["reply_markup"])
        body["reply_markup"] = params["reply_markup"]
    return body


def _photo_size(data: bytes) -> tuple[int, int]:
    """(width, height) of an uploaded photo within the published limits; ApiError otherwise."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ApiError(400, "Bad Request: file is too big")
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (OSError, SyntaxError):  # Pillow's errors for data that is no image
        raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
    if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_PHOTO_RATIO * min(width, height):
        raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    return width, height


def _check_keyboard(markup: dict[str, Any]) -> None:
    """Reject an inline keyboard the way Telegram does: too many buttons or bad callback_data."""
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    if len(buttons) > MAX_BUTTONS:
        raise ApiError(400, "Bad Request: reply markup is too long")
    for button in buttons:
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.read()
        return json.loads(body) if body else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        params[key] = json.loads(value) if key in JSON_FIELDS and isinstance(value, str) else value
    return params


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.status)


# ---- update builders ----------------------------------------------------------------------------

_update_message_ids = itertools.count(1)


def user(user_id: int, name: str = "Ann") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name}


def chat(chat_id: int, kind: str = "private", title: str = "Diplomacy desk") -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Ann"}
    return {"id": chat_id, "type": kind, "title": title}


def message_update(
    text: str,
    *,
    chat_id: int,
    user_id: int | None = None,
    kind: str = "private",
    sender_chat: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A user's message; in a channel (kind="channel") a channel post with no sender user."""
    message: dict[str, Any] = {
        "message_id": next(_update_message_ids),
        "date": int(time.time()),
        "chat": chat(chat_id, kind),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(text.split(" ", 1)[0])}]
    if user_id is not None:
        message["from"] = user(user_id)
    if sender_chat is not None:
        message["sender_chat"] = sender_chat
    return {"channel_post" if kind == "channel" else "message": message}


def callback_update(data: str, *, message: dict[str, Any], user_id: int) -> dict[str, Any]:
    """A press on an inline button of `message` (as recorded by the fake)."""
    return {
        "callback_query": {
            "id": f"cb{next(_update_message_ids)}",
            "from": user(user_id),
            "chat_instance": "ci",
            "message": message,
            "data": data,
        }
    }
