"""A fake Slack on 127.0.0.1: the Web API the bot calls, and the signed requests Slack sends the bot.

The Web API part (POST or GET /api/<method>, JSON or form bodies, Bearer token) records every call,
keeps the messages posted per channel, checks Block Kit limits the way Slack does (answering
`invalid_blocks`), and can make one channel answer 429 with Retry-After or an `ok: false` error.
`/respond/<n>` plays the response_url of a command or button press, usable 5 times within 30 minutes.
Files go up in Slack's three steps (files.getUploadURLExternal, a POST of the bytes to `/upload/<id>`,
files.completeUploadExternal sharing them in a channel), and `files` keeps what arrived.
The request part builds slash commands, app mentions and button presses signed with the app's signing
secret, and reads mrkdwn as a Slack client would: what text shows, which links there are, and whom it
pings. Each limit enforced cites the page of Slack's documentation that publishes it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

BOT_USER, BOT_ID, TEAM = "UBOT", "BBOT", "T1"
# https://api.slack.com/reference/block-kit/blocks: "up to 50 blocks in each message"; a section's text
# "Maximum length ... is 3000 characters"; a context block holds at most 10 elements; an actions block at
# most 25 elements.
MAX_BLOCKS, MAX_TEXT, MAX_CONTEXT, MAX_ACTIONS = 50, 3000, 10, 25
# https://api.slack.com/reference/block-kit/block-elements#button: text "Maximum length ... 75
# characters", value "Maximum length ... 2000 characters", action_id "Maximum length ... 255 characters".
MAX_BUTTON_TEXT, MAX_BUTTON_VALUE, MAX_ACTION_ID = 75, 2000, 255
# https://api.slack.com/interactivity/handling#message_responses: a response_url may be used "up to 5
# times within 30 minutes".
RESPONSE_URL_USES, RESPONSE_URL_TTL_S = 5, 30 * 60
# Not published: Slack answers msg_blocks_too_long at about 13,000 characters of block text in total
# (https://github.com/slackapi/bolt-js/issues/2509); the fake refuses from 13,000.
MAX_TOTAL_BLOCK_TEXT = 13_000
# https://docs.slack.dev/reference/methods/files.getUploadURLExternal: `filename` and `length` (in bytes) are required;
# the upload URL takes the file's bytes in a POST; https://docs.slack.dev/reference/methods/files.completeUploadExternal:
# `files` (a JSON array of {"id", "title"}) finishes the upload, `channel_id` shares it there with `initial_comment`.
# Slack answers `file_not_found`-style errors for ids it did not issue; the fake also refuses a file whose uploaded
# bytes differ in length from `length` or that was never uploaded.
_ANGLE = re.compile(r"<([^<>]*)>")
_PING = re.compile(r"^(?:[@#!]|subteam\^)")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def visible(mrkdwn: str) -> str:
    """The text a Slack client shows for mrkdwn (links by label, entities decoded, no `*`)."""

    def label(m: re.Match[str]) -> str:
        inner = m.group(1)
        return inner.split("|", 1)[1] if "|" in inner else inner

    text = _ANGLE.sub(label, mrkdwn).replace("*", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def pings(mrkdwn: str) -> list[str]:
    """Mentions Slack would act on: `<!channel>`, `<!here>`, `<@U123>`, `<#C1>`, `<!subteam^S1>`."""
    return [m for m in _ANGLE.findall(mrkdwn) if _PING.match(m)]


def links(mrkdwn: str) -> list[tuple[str, str]]:
    """(url, label) of every `<url|label>` link."""
    found = []
    for inner in _ANGLE.findall(mrkdwn):
        url, _, label = inner.partition("|")
        if not _PING.match(url):
            found.append((url.replace("&amp;", "&"), label))
    return found


def block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn/plain text of sections and context blocks, in order."""
    out = []
    for block in blocks:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out.extend(e["text"] for e in block["elements"])
    return out


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def block_errors(blocks: Any) -> list[str]:
    """What Slack's Block Kit validation would complain about (empty when valid)."""
    if blocks is None:
        return []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    errors = [f"more than {MAX_BLOCKS} blocks"] if len(blocks) > MAX_BLOCKS else []
    if sum(len(t) for t in block_texts(blocks)) >= MAX_TOTAL_BLOCK_TEXT:
        errors.append("msg_blocks_too_long")
    action_ids = [e.get("action_id") for e in buttons(blocks)]
    if len(action_ids) != len(set(action_ids)):
        errors.append("duplicate action_id")
    for i, block in enumerate(blocks):
        errors.extend(f"blocks[{i}]: {e}" for e in _one_block_errors(block))
    return errors


def _one_block_errors(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "section":
        text = block.get("text", {}).get("text", "")
        return [] if 0 < len(text) <= MAX_TEXT else [f"section text length {len(text)}"]
    if kind == "context":
        elements = block.get("elements", [])
        bad = [e for e in elements if not 0 < len(e.get("text", "")) <= MAX_TEXT]
        return ([f"{len(elements)} context elements"] if not 0 < len(elements) <= MAX_CONTEXT else []) + (
            ["context text length"] if bad else []
        )
    if kind == "actions":
        elements = block.get("elements", [])
        errors = [f"{len(elements)} actions elements"] if not 0 < len(elements) <= MAX_ACTIONS else []
        errors += [
            f"button text {e['text']['text']!r}" for e in elements if not 0 < len(e["text"]["text"]) <= MAX_BUTTON_TEXT
        ]
        errors += [
            f"button value of {len(e.get('value', ''))} characters"
            for e in elements
            if len(e.get("value", "")) > MAX_BUTTON_VALUE
        ]
        return errors + [
            f"action_id of {len(str(e.get('action_id', '')))} characters"
            for e in elements
            if not 0 < len(str(e.get("action_id", ""))) <= MAX_ACTION_ID
        ]
    return [f"unknown block type {kind!r}"]


class FakeSlack:
    """The Slack Web API and response_urls; use `async with FakeSlack() as slack`."""

    def __init__(self, token: str = "xoxb-fake-SECRET-token", app_token: str = "xapp-fake-SECRET-token") -> None:
        self.token = token
        self.app_token = app_token
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.responses: dict[int, list[dict[str, Any]]] = {}
        self.admins: set[str] = set()
        self.failures: dict[str, tuple[int, str, float | None]] = {}
        self._ts = itertools.count(1)
        self._urls = itertools.count(1)
        self.response_uses: dict[int, list[float]] = {}
        self.refused_responses = 0  # response_url posts refused for use beyond Slack's limit
        self.ephemeral: list[dict[str, Any]] = []  # chat.postEphemeral messages, in order
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> filename, length, alt_txt, data (once uploaded)
        self.files: dict[str, dict[str, Any]] = {}  # file id -> the shared file: data, title, channel, comment
        self._file_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{n}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    # ---- test controls ------------------------------------------------------------------------

    def fail(
        self, channel: str, error: str = "channel_not_found", *, status: int = 200, retry_after: float | None = None
    ) -> None:
        """Make posts to `channel` fail with `error` (status 429 adds Retry-After)."""
        self.failures[channel] = (status, error, retry_after)

    def new_response_url(self) -> tuple[int, str]:
        n = next(self._urls)
        self.responses[n] = []
        self.response_uses[n] = [time.monotonic()]  # issued now: the 30 minutes start here
        return n, f"http://127.0.0.1:{self.port}/respond/{n}"

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str) -> list[dict[str, Any]]:
        """Messages now in `channel` (after updates), oldest first."""
        return [m for (ch, _ts), m in self.messages.items() if ch == channel]

    async def wait_for(self, check: Any, timeout: float = 5.0) -> Any:
        """Poll `check()` until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            await asyncio.sleep(0.01)
        raise AssertionError("the fake Slack saw nothing of the kind in time")

    # ---- the Web API --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        token = self.app_token if method == "apps.connections.open" else self.token
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        channel = str(params.get("channel") or params.get("channel_id") or "")
        if method.startswith(("chat.", "files.completeUploadExternal")) and channel in self.failures:
            status, error, retry_after = self.failures[channel]
            headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        errors = block_errors(params.get("blocks"))
        if errors:
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": errors})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(params))

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "diplobot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = f"{1700000000 + next(self._ts)}.000100"
        message = {"channel": params["channel"], "ts": ts, "text": params.get("text", ""), "blocks": _blocks(params)}
        self.messages[(params["channel"], ts)] = message
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self.ephemeral.append(
            {
                "channel": params["channel"],
                "user": params.get("user"),
                "text": params.get("text", ""),
                "blocks": _blocks(params),
            }
        )
        return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (params["channel"], params["ts"])
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key].update(text=params.get("text", ""), blocks=_blocks(params), edited=True)
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_ids):08d}"
        self.uploads[file_id] = {
            "filename": params["filename"],
            "length": int(params["length"]),
            "alt_txt": params.get("alt_txt"),
            "data": None,
        }
        return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        """Step two: the file's bytes, POSTed to the URL step one gave."""
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not found")
        data = await request.read()
        if len(data) != upload["length"]:
            return web.Response(status=400, text=f"expected {upload['length']} bytes, got {len(data)}")
        upload["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(params["files"])
        except (KeyError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if any(self.uploads.get(f.get("id"), {}).get("data") is None for f in files):
            return {"ok": False, "error": "file_not_found"}
        channel, comment = params.get("channel_id"), params.get("initial_comment", "")
        shared = []
        for f in files:
            upload = self.uploads.pop(f["id"])
            self.files[f["id"]] = {
                **upload,
                "title": f.get("title") or upload["filename"],
                "channel": channel,
                "initial_comment": comment,
            }
            shared.append(
                {
                    "id": f["id"],
                    "title": self.files[f["id"]]["title"],
                    "name": upload["filename"],
                    "shares": {"public": {channel: [{"ts": "1.000001"}]}} if channel else {},
                }
            )
        if channel:  # the shared file shows as a message in the channel, the comment its text
            ts = f"{1700000000 + next(self._ts)}.000300"
            self.messages[(channel, ts)] = {
                "channel": channel,
                "ts": ts,
                "text": comment,
                "blocks": [],
                "files": [{"id": f["id"], "name": f["name"]} for f in shared],
            }
        return {"ok": True, "files": shared}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params["channel"]
        return {"ok": True, "channel": {"id": channel, "is_im": channel.startswith("D"), "name": "general"}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = params["user"]
        return {
            "ok": True,
            "user": {"id": user, "name": user.lower(), "is_admin": user in self.admins, "is_owner": False},
        }

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record what the app sends back (envelope acks)."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        self.sockets.remove(ws)
        return ws

    async def push_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str) -> None:
        """Send a Socket Mode envelope (`slash_commands`, `events_api`, `interactive`) to the app."""
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )

    async def _respond(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        payload = await request.json()
        issued, *uses = self.response_uses.setdefault(n, [time.monotonic()])
        if len(uses) >= RESPONSE_URL_USES or time.monotonic() - issued > RESPONSE_URL_TTL_S:
            self.refused_responses += 1
            return web.Response(status=404, text="used_url")  # Slack's exact answer is not documented
        self.response_uses[n].append(time.monotonic())
        errors = block_errors(payload.get("blocks"))
        if errors:
            return web.Response(status=400, text="invalid_blocks")
        self.responses.setdefault(n, []).append(payload)
        return web.Response(text="ok")


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        params.update(await request.post())
    return params


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


# ---- what Slack sends the app ---------------------------------------------------------------------


def signed_headers(
    secret: str, body: str, *, timestamp: int | None = None, content_type: str = "application/x-www-form-urlencoded"
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}


def slash_command(command: str, text: str, *, channel: str, user: str, response_url: str) -> str:
    return urllib.parse.urlencode(command_fields(command, text, channel=channel, user=user, response_url=response_url))


def command_fields(command: str, text: str, *, channel: str, user: str, response_url: str) -> dict[str, str]:
    return {
        "token": "unused",
        "team_id": TEAM,
        "team_domain": "test",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "diplomacy",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def app_mention(text: str, *, channel: str, user: str, event_id: str) -> str:
    return json.dumps(
        {
            "token": "unused",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {
                "type": "app_mention",
                "user": user,
                "text": f"<@{BOT_USER}> {text}",
                "ts": "1.000001",
                "channel": channel,
                "event_ts": "1.000001",
            },
        }
    )


def block_actions(
    message: dict[str, Any], action: dict[str, Any], *, user: str, response_url: str, ephemeral: bool = False
) -> str:
    """A button press on `message` (as stored by the fake, or blocks of an ephemeral answer)."""
    container = {
        "type": "message",
        "message_ts": message.get("ts", ""),
        "channel_id": message["channel"],
        "is_ephemeral": ephemeral,
    }
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A1",
        "token": "unused",
        "container": container,
        "trigger_id": "1.2.3",
        "channel": {"id": message["channel"], "name": "diplomacy"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "block_id": "b1",
                "action_id": action["action_id"],
                "value": action["value"],
                "text": action["text"],
                "action_ts": "1.2",
            }
        ],
    }
    if not ephemeral:
        payload["message"] = {
            "type": "message",
            "ts": message["ts"],
            "text": message["text"],
            "blocks": message["blocks"],
        }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})
