"""Slack through a slack-bolt AsyncApp, run by hand inside diplobot's one event loop.

Commands come as one slash command (`/diplo who Yermak`, since Slack owns `/who`), as app mentions
(`@diplobot who Yermak`) and as button presses, over Socket Mode or an aiohttp server. Each is
acknowledged first (Slack allows 3 seconds), then answered in one message, ephemerally; when the reply
reports a change to the channel's topics or settings, the channel also sees who changed what. Alerts
go out through `send`/`edit`, which turn every Slack error into a `DeliveryError` and never sleep or
retry: pacing and retries belong to the outbox worker.

HTTP mode refuses bodies over 64 KiB before checking the signature (Slack's payloads are small), logs
refused requests at most once a minute, and runs each signed request once: a replay is only
acknowledged, while Slack's retry (`X-Slack-Retry-Num`) of something that never arrived or failed runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from diplobot.config import Config
from diplobot.handlers.access import refusal
from diplobot.handlers.dispatcher import ManageCheck
from diplobot.handlers.incoming import ChatKind, Incoming
from diplobot.handlers.reply import Reply
from diplobot.platforms.base import (
    STOP_GRACE_S,
    Capabilities,
    DeliveryError,
    InFlightSends,
    Pace,
    PlatformUnreachable,
    RecordedCheck,
)
from diplobot.platforms.slack_render import ACTION_PREFIX, SlackMessage, announcement, render, updated_message
from diplobot.webserver import serve

if TYPE_CHECKING:
    from diplobot.handlers.dispatcher import Dispatcher

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SOCKET_CONNECT_TIMEOUT_S = 30.0
TOTAL_PER_MIN = 300
DEFAULT_RETRY_AFTER_S = 30.0
GONE_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "account_inactive"})
NETWORK_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError, OSError)
ALT_TEXT_MAX = 1000  # an image's description for screen readers, kept short (Slack publishes no limit for alt_txt)
SEEN_EVENTS_MAX = 10_000
SEEN_EVENTS_TTL_S = 3600  # Slack's last retry comes about 5 minutes after the first attempt; a signature
# is accepted for 5 minutes either side of its timestamp, so remembering it for an hour outlives it.
MAX_BODY_BYTES = 64 * 1024  # Slack's command, event and interaction payloads are a few KiB
REFUSAL_LOG_INTERVAL_S = 60.0
LEADING_MENTIONS = re.compile(r"^(?:\s*<@[A-Z0-9]+(?:\|[^>]*)?>)+\s*")
BUTTON_ACTION = re.compile(rf"^{ACTION_PREFIX}\d+$")
STALE_BUTTON = "This button no longer works."
REFUSED = "Sorry, only this chat's admins can change its topics and settings."


def chat_kind(channel_id: str) -> ChatKind:
    """Slack's direct-message channel ids start with D; every other conversation is shared."""
    return "private" if channel_id.startswith("D") else "group"


def unescape(text: str) -> str:
    """Slack sends typed `&`, `<`, `>` as entities; the dispatcher wants what the user typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_text(text: str) -> str:
    """`subscribe x` (after `/diplo` or a mention) as the dispatcher's `/subscribe x`; nothing is /help."""
    text = unescape(LEADING_MENTIONS.sub("", text)).strip()
    if not text:
        return "/help"
    return text if text.startswith("/") else f"/{text}"


def delivery_error(method: str, exc: SlackApiError) -> DeliveryError:
    """The outbox's view of a Slack API error: wait, give up on the channel, or retry later."""
    status = exc.response.status_code
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = str(data.get("error") or f"HTTP {status}")
    if status == 429:
        return DeliveryError(f"{method}: rate limited", retry_after=retry_after_s(exc.response.headers))
    return DeliveryError(f"{method}: {error}", chat_gone=error in GONE_ERRORS)


def retry_after_s(headers: Any) -> float:
    for key, value in dict(headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(float(value if isinstance(value, str) else value[0]), 0.0)
            except (TypeError, ValueError, IndexError):
                break
    return DEFAULT_RETRY_AFTER_S


def request_key(request: AsyncBoltRequest) -> str | None:
    """What makes a request the same request again: an event's id (Slack's retries keep it), else the
    signature (an exact replay repeats it); None in Socket Mode for anything but events."""
    body = request.body if isinstance(request.body, dict) else {}
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    signature = (request.headers.get("x-slack-signature") or [""])[0]
    return f"signature:{signature}" if signature else None


class RecentIds:
    """Requests seen lately (bounded, expiring), so a redelivered or replayed one runs once."""

    def __init__(
        self,
        max_size: int = SEEN_EVENTS_MAX,
        ttl_s: float = SEEN_EVENTS_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_size = max_size
        self.ttl_s = ttl_s
        self._monotonic = monotonic
        self._seen: OrderedDict[str, float] = OrderedDict()

    def add(self, event_id: str) -> bool:
        """Remember `event_id`; False when it was already seen."""
        now = self._monotonic()
        while self._seen and (len(self._seen) >= self.max_size or next(iter(self._seen.values())) <= now):
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now + self.ttl_s
        return True

    def forget(self, event_id: str) -> None:
        """It failed: a retry of it may run."""
        self._seen.pop(event_id, None)


class RefusalLog:
    """Logs refused HTTP requests at most once per interval, with counts, so a flood of junk cannot
    flood the log (nothing the sender controls is logged)."""

    def __init__(
        self, interval_s: float = REFUSAL_LOG_INTERVAL_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval_s = interval_s
        self._monotonic = monotonic
        self._counts: Counter[str] = Counter()
        self._next_at = 0.0

    def refused(self, reason: str) -> None:
        self._counts[reason] += 1
        now = self._monotonic()
        if now < self._next_at:
            return
        summary = ", ".join(f"{count} {why}" for why, count in sorted(self._counts.items()))
        log.warning("refused Slack HTTP requests: %s (logged at most every %.0f s)", summary, self.interval_s)
        self._counts.clear()
        self._next_at = now + self.interval_s


class SlackPlatform:
    """The Slack adapter (a `Platform`): a Messenger for the outbox plus the command, mention and button handlers."""

    platform = "slack"
    capabilities = Capabilities(buttons=True, admin_checks=True, listens=True)

    def __init__(
        self,
        config: Config,
        dispatcher: Dispatcher,
        *,
        request_timeout: float = 10.0,
        stop_grace_s: float = STOP_GRACE_S,
    ) -> None:
        self.settings = config.slack
        self.dispatcher = dispatcher
        self.connected = False
        self._in_flight = InFlightSends(self.platform, stop_grace_s)
        self.port: int | None = None
        self.seen_events = RecentIds()
        self.refusals = RefusalLog()
        self._verifier = SignatureVerifier(self.settings.signing_secret or "unset")
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        # No retry handlers: the outbox owns pacing and retries, and a command's user can ask again.
        self.client = AsyncWebClient(
            token=self.settings.bot_token,
            base_url=self.settings.api_url,
            timeout=int(request_timeout),
            retry_handlers=[],
        )
        self.app = self._build_app()

    def _build_app(self) -> AsyncApp:
        app = AsyncApp(
            client=self.client, signing_secret=self.settings.signing_secret, logger=logging.getLogger("slack_bolt")
        )
        app.middleware(self._once)
        app.command(self.settings.command)(self._on_command)
        app.event("app_mention")(self._on_mention)
        app.action(BUTTON_ACTION)(self._on_button)
        return app

    # ---- Messenger ----------------------------------------------------------------------------

    def pace(self, chat_kind: str) -> Pace:
        rate = self.settings.per_channel_per_s
        return Pace(count=1, per_s=1.0 / rate if rate > 0 else 0.0)

    def total_pace(self) -> Pace:
        return Pace(count=TOTAL_PER_MIN, per_s=60.0)

    async def send(self, native_chat_id: str, reply: Reply) -> str:
        """Post the reply as one message (cut to Slack's limits); its `ts` identifies it. Once `stop()`
        began, refused with a retry-later error (base.InFlightSends)."""
        async with self._in_flight.send():
            if reply.image is not None:
                return await self._upload(native_chat_id, reply)
            return await self._post(native_chat_id, render(reply))

    async def _upload(self, channel: str, reply: Reply, thread_ts: str | None = None) -> str:
        """A reply with an image (a chart): the file is uploaded and shared in the channel with the reply's text as
        its comment (files.getUploadURLExternal, the upload, files.completeUploadExternal, which slack_sdk's
        files_upload_v2 does; needs the files:write scope); the file's id identifies it."""
        image = reply.image
        if image is None:
            return await self._post(channel, render(reply), **({"thread_ts": thread_ts} if thread_ts else {}))
        done = await self._call(
            "files.completeUploadExternal",
            self.client.files_upload_v2(
                channel=channel,
                file=image.png,
                filename=image.filename,
                title=image.filename,
                alt_txt=image.alt[:ALT_TEXT_MAX],
                initial_comment=render(reply).text,
                thread_ts=thread_ts,
            ),
        )
        return str(done["files"][0]["id"])

    async def _post(self, channel: str, message: SlackMessage, **extra: Any) -> str:
        sent = await self._call(
            "chat.postMessage",
            self.client.chat_postMessage(
                channel=channel, **message.content(), unfurl_links=message.unfurl, unfurl_media=message.unfurl, **extra
            ),
        )
        return str(sent["ts"])

    async def edit(self, native_chat_id: str, message_id: str, reply: Reply) -> None:
        """Replace a message with the reply."""
        await self._call(
            "chat.update", self.client.chat_update(channel=native_chat_id, ts=message_id, **render(reply).content())
        )

    async def _call(self, method: str, request: Awaitable[Any]) -> Any:
        try:
            return await request
        except SlackApiError as exc:
            raise delivery_error(method, exc) from None
        except NETWORK_ERRORS as exc:
            raise DeliveryError(f"{method}: {exc.__class__.__name__}") from None

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token (auth.test), then connect Socket Mode or serve HTTP."""
        try:
            identity = await self.client.auth_test()
        except SlackApiError as exc:
            raise RuntimeError(
                f"Slack rejected the bot token ({delivery_error('auth.test', exc).reason}); check [slack] bot_token"
            ) from None
        except NETWORK_ERRORS as exc:
            raise PlatformUnreachable(
                f"cannot reach the Slack Web API at {self.settings.api_url}: {exc.__class__.__name__}"
            ) from None
        if self.settings.mode == "http":
            await self._start_http()
        else:
            await self._start_socket()
        self.connected = True
        log.info(
            "slack app %s running (%s, command %s)",
            identity.get("user") or identity.get("user_id"),
            self.settings.mode,
            self.settings.command,
        )

    async def _start_http(self) -> None:
        """Events, slash commands and interactivity on one path; bodies are capped and signatures
        checked before Bolt sees anything (Bolt checks them again)."""
        if not self.settings.signing_secret:
            raise RuntimeError('slack mode = "http" needs slack.signing_secret')
        web_app = web.Application(client_max_size=MAX_BODY_BYTES)
        web_app.router.add_post(EVENTS_PATH, self._on_http)
        self._runner, self.port = await serve(web_app, self.settings.listen)

    async def _start_socket(self) -> None:
        """Check the app-level token first: the SDK would retry a rejected one forever."""
        if not self.settings.app_token:
            raise RuntimeError('slack mode = "socket" needs slack.app_token (xapp-...)')
        try:
            await self.client.apps_connections_open(app_token=self.settings.app_token)
        except SlackApiError as exc:
            reason = delivery_error("apps.connections.open", exc).reason
            raise RuntimeError(f"Slack rejected the app-level token ({reason}); check [slack] app_token") from None
        except NETWORK_ERRORS as exc:
            raise PlatformUnreachable(
                f"cannot reach the Slack Web API at {self.settings.api_url}: {exc.__class__.__name__}"
            ) from None
        self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token)
        try:
            await asyncio.wait_for(self._socket.connect_async(), SOCKET_CONNECT_TIMEOUT_S)
        except TimeoutError:
            await self._socket.close_async()  # not stop(): start may run again
            self._socket = None
            raise PlatformUnreachable(
                f"no Slack Socket Mode connection within {SOCKET_CONNECT_TIMEOUT_S:.0f} s"
            ) from None

    async def stop(self) -> None:
        """The reverse of start: finish the sends in flight, then close the socket or the HTTP server."""
        self.connected = False
        await self._in_flight.close()
        if self._socket:
            await self._socket.close_async()
            self._socket = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    # ---- incoming -----------------------------------------------------------------------------

    async def _on_http(self, request: web.Request) -> web.Response:
        """One HTTP request from Slack: small, signed and fresh, or refused (and counted) unread."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._refuse(413, "too large")
        try:
            body = (await request.read()).decode()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, "too large")
        except UnicodeDecodeError:
            return self._refuse(400, "not UTF-8")
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        fresh = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
        if not fresh or not self._verifier.is_valid(body, timestamp, signature):
            return self._refuse(401, "unsigned or stale")
        response = await self.app.async_dispatch(
            AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
        )
        return await to_aiohttp_response(response)

    def _refuse(self, status: int, reason: str) -> web.Response:
        self.refusals.refused(reason)
        return web.json_response({"error": "invalid request"}, status=status)

    async def _once(
        self, request: AsyncBoltRequest, context: AsyncBoltContext, next_: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Each request runs once. Seen before (a replay, or Slack's retry of something that ran or
        is running): only acknowledged. A retry of something that never arrived runs like a first
        delivery, and an event whose handling failed is forgotten (`_attempt`), so its retry runs."""
        key = request_key(request)
        if key is None:
            return await next_()
        if not self.seen_events.add(key):
            return BoltResponse(status=200, body="")
        context["delivery_key"] = key
        return await next_()

    @contextlib.asynccontextmanager
    async def _attempt(self, context: AsyncBoltContext | None) -> AsyncIterator[None]:
        """Handling a request; if an event's handling fails, Slack's retry of it may run (a failed
        command stays done: Slack does not retry those, so a second copy could only be a replay)."""
        try:
            yield
        except BaseException:
            key = context.get("delivery_key") if context is not None else None
            if key and key.startswith("event:"):
                self.seen_events.forget(key)
            raise

    async def _on_command(
        self,
        ack: Callable[[], Awaitable[None]],
        command: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        async with self._attempt(context):
            channel, user = command["channel_id"], command["user_id"]
            title = command.get("channel_name") if chat_kind(channel) == "group" else None
            incoming = self._incoming(channel, user, command_text(command.get("text", "")), title)
            reply = await self.dispatcher.handle(incoming, may_manage=self._manage_check(channel, user))
            await self._answer_command(respond, channel, user, reply)

    async def _on_mention(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        channel, user = event.get("channel"), event.get("user")
        if not channel or not user:
            return
        async with self._attempt(context):
            incoming = self._incoming(channel, user, command_text(event.get("text", "")))
            reply = await self.dispatcher.handle(incoming, may_manage=self._manage_check(channel, user))
            await self._answer_mention(channel, user, reply, event.get("thread_ts"))

    async def _on_button(
        self,
        ack: Callable[[], Awaitable[None]],
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """A press runs the button's command as the presser typed it; the pressed message shows the
        result, unless it was refused or is private while the message is shared."""
        await ack()
        async with self._attempt(context):
            await self._press(body, action, respond)

    async def _press(self, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        command = str(action.get("value") or "")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        user = (body.get("user") or {}).get("id")
        if not command.startswith("/") or not channel or not user:
            await self._respond(respond, Reply.text(STALE_BUTTON), in_channel=False)
            return
        incoming = self._incoming(channel, user, command)
        admitted = self.dispatcher.access.check(incoming)
        if admitted != "ok":  # a stranger: one refusal only they see; the pressed message stays as it was
            if admitted == "refuse":
                await self._respond(respond, Reply.text(refusal(incoming)), in_channel=False)
            return
        recorded = RecordedCheck(self._manage_check(channel, user))
        reply = await self.dispatcher.handle(incoming, may_manage=recorded.may_manage)
        if not reply.blocks:
            return
        ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
        if recorded.refused or (reply.visibility == "private" and not ephemeral and not reply.replaces):
            await self._respond(respond, reply, in_channel=False)
            return
        announced = reply.visibility == "public" and chat_kind(channel) == "group"
        if reply.replaces:
            updated = render(reply)
        else:
            original = (body.get("message") or {}).get("blocks") or []
            result = announcement(user, reply) if announced and not ephemeral else render(reply)
            updated = updated_message(original, str(action.get("action_id")), result)
        await self._send_response(respond, {**updated.content(), "replace_original": True})
        if announced and ephemeral:
            await self._announce(respond, user, reply)

    def _incoming(self, channel: str, user: str, text: str, title: str | None = None) -> Incoming:
        return Incoming(
            chat_id=f"slack:{channel}",
            user_id=f"slack:{user}",
            text=text,
            chat_kind=chat_kind(channel),
            chat_title=title,
        )

    def _manage_check(self, channel: str, user: str) -> ManageCheck | None:
        """With admins_only, only workspace admins and owners (or listed users) change a channel."""
        if not self.settings.admins_only or chat_kind(channel) == "private":
            return None

        async def is_admin() -> bool:
            if user in self.settings.admin_user_ids or f"slack:{user}" in self.settings.admin_user_ids:
                return True
            try:
                info = await self.client.users_info(user=user)
            except (SlackApiError, *NETWORK_ERRORS) as exc:
                log.warning("admin check for slack:%s failed: %s", user, exc.__class__.__name__)
                return False
            person = info.get("user") or {}
            return bool(person.get("is_admin") or person.get("is_owner") or person.get("is_primary_owner"))

        return is_admin

    # ---- answering ----------------------------------------------------------------------------

    async def _answer_command(self, respond: AsyncRespond, channel: str, user: str, reply: Reply) -> None:
        """The asker's answer; a change to a shared channel is also announced there, with who made it.
        At most two uses of the response_url (Slack allows five)."""
        if not reply.blocks:
            return  # a rate-limited user already had their one refusal
        if reply.image is not None and await self._shared_image(channel, reply):
            return
        if reply.visibility == "public" and chat_kind(channel) == "group":
            await self._respond(respond, reply, in_channel=False)
            await self._announce(respond, user, reply)
        else:
            await self._respond(respond, reply, in_channel=reply.visibility == "public")

    async def _shared_image(self, channel: str, reply: Reply, thread_ts: str | None = None) -> bool:
        """Answer with the image shared in the channel (a file cannot be ephemeral, so the channel sees the chart);
        False when that failed (not in the channel, no files:write scope), so the text answer goes instead."""
        try:
            await self._upload(channel, reply, thread_ts)
        except DeliveryError as exc:
            log.warning("could not share a chart in slack:%s: %s", channel, exc.reason)
            return False
        return True

    async def _announce(self, respond: AsyncRespond, user: str, reply: Reply) -> None:
        await self._send_response(
            respond, {**announcement(user, reply).content(), "response_type": "in_channel", "replace_original": False}
        )

    async def _respond(self, respond: AsyncRespond, reply: Reply, *, in_channel: bool) -> None:
        """Answer through the response_url, in one message: only the asker sees it unless `in_channel`."""
        message = render(reply)
        await self._send_response(
            respond,
            {
                **message.content(),
                "response_type": "in_channel" if in_channel else "ephemeral",
                "replace_original": False,
                "unfurl_links": message.unfurl,
                "unfurl_media": message.unfurl,
            },
        )

    async def _send_response(self, respond: AsyncRespond, payload: dict[str, Any]) -> None:
        """A failed answer is logged; the user can simply ask again."""
        try:
            sent = await respond(**payload)
        except (*NETWORK_ERRORS, ValueError) as exc:
            log.warning("could not answer a slack command: %s", exc.__class__.__name__)
            return
        if sent.status_code != 200:
            log.warning("slack refused a command answer: HTTP %s %s", sent.status_code, sent.body[:200])

    async def _answer_mention(self, channel: str, user: str, reply: Reply, thread_ts: str | None) -> None:
        """In a direct message the answer is posted; in a channel only the asker sees it, and a change
        is announced to the channel with who made it."""
        if not reply.blocks:
            return
        extra: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        if reply.image is not None and await self._shared_image(channel, reply, thread_ts):
            return
        try:
            if chat_kind(channel) == "private":
                await self._post(channel, render(reply), **extra)
                return
            await self._call(
                "chat.postEphemeral",
                self.client.chat_postEphemeral(channel=channel, user=user, **render(reply).content(), **extra),
            )
            if reply.visibility == "public":
                await self._post(channel, announcement(user, reply), **extra)
        except DeliveryError as exc:
            log.warning("could not answer a mention in slack:%s: %s", channel, exc.reason)
