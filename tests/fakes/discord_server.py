"""FakeDiscord: the slice of Discord's REST API that discord.py 2.7 uses, on 127.0.0.1.

Point discord.py at it with ``discord.http.Route.BASE = fake.api_url`` (the interaction
webhooks use the same ``Route``) and ``DiscordWebSocket.DEFAULT_GATEWAY`` at
``fake.gateway_url`` (a connect attempt is recorded and refused, never sent out), then
``await bot.login(TOKEN)`` without ``connect()``, then
inject gateway events with ``bot._connection.parse_interaction_create(payload)`` (see
tests/discord/payloads.py). Answers carry ``Content-Type: application/json`` exactly, as
discord.py's ``json_or_text`` compares the header string.

Served: ``GET /users/@me``, ``GET /oauth2/applications/@me``, ``PUT|GET`` application
commands (global and per guild; the last PUT body is kept in ``commands``), interaction
callbacks (type 4, 5, 6, 7, 8 …; a second ack of one interaction → 400 40060), webhook
messages (``@original`` and followups, GET/PATCH/DELETE, multipart files), channel messages
(POST, PATCH, DELETE), DM channel creation, and attachment downloads (``add_attachment``).

Every request is kept in ``requests`` (method, API path, JSON or ``payload_json``, uploaded
files, status, arrival time); attachment downloads in ``downloads``; everything is also
scanned for secrets by tests/fakes/record_registry.py. Faults:

* ``fail(method, path_regex, status, code, message, times=1, retry_after=None)``: scripted;
  a 429 carries ``retry_after`` and the ``Via`` header discord.py needs to retry it itself;
* ``late(interaction_id)``: its callback → 404 10062 Unknown interaction;
* ``forget_token(token)`` → 404 10015 Unknown Webhook; ``expire_token(token)`` → 401 50027;
* ``delete_channel(id)`` → 404 10003 Unknown Channel; ``user_left(id)``: DMs → 403 50007;
* ``upload_limit``: a file part larger than it → 413 40005 Request entity too large.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.record_registry import REGISTRY

DISCORD_EPOCH_MS = 1_420_070_400_000
BOT_TOKEN = "MTAw.fake-discord-bot-token.SECRET"
REGISTRY.discord_token(BOT_TOKEN)
APP_ID = 1_100_000_000_000_000_001
BOT_USER = {
    "id": str(APP_ID),
    "username": "imagebot",
    "discriminator": "0",
    "global_name": "imagebot",
    "avatar": None,
    "bot": True,
}
_EMPTY: dict[str, Any] = {"content": "", "embeds": [], "components": [], "flags": 0}
_ids = itertools.count(1)


def snowflake(at: float | None = None) -> int:
    """A unique Discord id whose timestamp is ``at`` (default: now)."""
    ms = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_ids) & 0x3FFFFF)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps(data).encode()
    return web.Response(
        body=body, status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


class ApiError(Exception):
    """Answer with Discord's error body ``{"code", "message"}``."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


@dataclass
class Upload:
    """One uploaded file part."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Recorded:
    """One request as the fake saw it; ``path`` is relative to the API base."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[Upload]
    at: float
    status: int = 0


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    code: int
    message: str
    times: int | None
    retry_after: float | None = None
    with_files: bool | None = None


@dataclass
class _Interaction:
    channel_id: int
    acked: int | None = None
    original: int | None = None
    followups: list[int] = field(default_factory=list)


Handler = Callable[[Recorded, dict[str, str]], Awaitable[Any]]


class FakeDiscord:
    """The fake server; see the module docstring."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Recorded] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.deleted: list[int] = []
        self.downloads: list[str] = []  # attachment paths fetched from the fake CDN
        self.upload_limit: int | None = None
        self.on_callback: Callable[[int], Awaitable[None]] | None = None
        self._faults: list[Fault] = []
        self._late: set[int] = set()
        self._forgotten: set[str] = set()
        self._expired: set[str] = set()
        self._deleted_channels: set[int] = set()
        self._left: set[int] = set()
        self._dms: dict[int, int] = {}
        self._interactions: dict[str, _Interaction] = {}
        self._attachments: dict[str, tuple[bytes, str]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(p + "$"), h) for m, p, h in self._table()
        ]

    @property
    def api_url(self) -> str:
        """The value for ``discord.http.Route.BASE``."""
        return self.url + "/api/v10"

    @property
    def gateway_url(self) -> str:
        """The value for ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (refuses)."""
        return self.url.replace("http://", "ws://") + "/gateway/"

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(client_max_size=256 * 1024 * 1024, middlewares=[_report])
        app.router.add_get("/attachments/{key}/{name}", self._attachment)
        app.router.add_route("*", "/gateway{tail:.*}", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- scripting ------------------------------------------------------------------------

    def register(self, payload: dict[str, Any]) -> None:
        """Learn an injected interaction's token, channel and, for a button, its message."""
        channel = int(payload.get("channel_id") or payload.get("channel", {}).get("id", 0))
        message = payload.get("message")
        original = int(message["id"]) if message else None
        self._interactions.setdefault(payload["token"], _Interaction(channel, original=original))

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        code: int = 0,
        message: str = "",
        *,
        times: int | None = 1,
        retry_after: float | None = None,
        with_files: bool | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests (None: all) with this error.

        ``method`` may be ``*``; ``with_files`` True/False limits it to requests with/without
        uploaded files.
        """
        pattern = re.compile(path)
        fault = Fault(method, pattern, status, code, message, times, retry_after, with_files)
        self._faults.append(fault)

    def heal(self) -> None:
        """Drop every scripted fault and the upload limit (tokens and channels stay as set)."""
        self._faults.clear()
        self.upload_limit = None

    def late(self, interaction_id: int) -> None:
        self._late.add(interaction_id)

    def forget_token(self, token: str) -> None:
        self._forgotten.add(token)

    def expire_token(self, token: str) -> None:
        self._expired.add(token)

    def delete_channel(self, channel_id: int) -> None:
        self._deleted_channels.add(channel_id)

    def user_left(self, user_id: int) -> None:
        self._left.add(user_id)

    def add_attachment(
        self, data: bytes, filename: str, content_type: str | None, *, size: int | None = None
    ) -> dict[str, Any]:
        """Serve ``data`` and return the ``resolved.attachments`` entry for a payload."""
        key = str(snowflake())
        self._attachments[key] = (data, content_type or "application/octet-stream")
        url = f"{self.url}/attachments/{key}/{filename}"
        entry = {"id": key, "filename": filename, "size": len(data) if size is None else size}
        entry |= {"url": url, "proxy_url": url, "width": 64, "height": 64}
        return entry | ({"content_type": content_type} if content_type else {})

    # --- reading --------------------------------------------------------------------------

    def calls(self, method: str | None = None, path: str = "") -> list[Recorded]:
        """Recorded requests with this method whose path matches the regex ``path``."""
        pattern = re.compile(path)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and pattern.search(r.path)
        ]

    def original(self, token: str) -> dict[str, Any] | None:
        """The interaction's original response message as a user would see it now."""
        state = self._interactions.get(token)
        if state is None or state.original is None:
            return None
        return self.messages.get(state.original)

    def followups(self, token: str) -> list[dict[str, Any]]:
        state = self._interactions.get(token)
        return [self.messages[i] for i in state.followups] if state else []

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == str(channel_id)]

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], *, count: int = 1, timeout: float = 5.0
    ) -> list[Recorded]:
        """Wait until ``count`` recorded requests (answered) match ``predicate``."""

        def found() -> list[Recorded]:
            return [r for r in self.requests if r.status and predicate(r)]

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(found()) >= count)
        return found()

    # --- dispatch -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        if request.content_type.startswith("multipart/"):
            parts: dict[str, object] = {"payload_json": json.dumps(body)}
            parts |= {f.field: (f.filename, f.content_type, f.data) for f in files}
            REGISTRY.form("discord", request.method, request.path, parts)
        rec = Recorded(request.method, path, dict(request.query), body, files, time.monotonic())
        self.requests.append(rec)
        try:
            response = await self._answer(rec)
        except ApiError as error:
            payload = {"code": error.code, "message": error.message, **error.extra}
            response = _json(payload, error.status, {"Via": "1.1 google"})
        rec.status = response.status
        async with self._changed:
            self._changed.notify_all()
        return response

    async def _answer(self, rec: Recorded) -> web.Response:
        self._scripted_fault(rec)
        self._upload_fault(rec)
        for method, pattern, handler in self._routes:
            if method == rec.method and (match := pattern.match(rec.path)):
                data = await handler(rec, match.groupdict())
                return web.Response(status=204) if data is None else _json(data)
        raise ApiError(404, 0, f"404: Not Found ({rec.method} {rec.path})")

    def _scripted_fault(self, rec: Recorded) -> None:
        for fault in self._faults:
            if fault.times == 0 or fault.method not in (rec.method, "*"):
                continue
            if fault.with_files is not None and fault.with_files != bool(rec.files):
                continue
            if fault.path.search(rec.path):
                fault.times = None if fault.times is None else fault.times - 1
                extra: dict[str, Any] = {"global": False}
                if fault.retry_after is not None:
                    extra["retry_after"] = fault.retry_after
                raise ApiError(fault.status, fault.code, fault.message, **extra)

    def _upload_fault(self, rec: Recorded) -> None:
        limit = self.upload_limit
        if limit is not None and any(len(f.data) > limit for f in rec.files):
            raise ApiError(413, 40005, "Request entity too large")

    def _table(self) -> list[tuple[str, str, Handler]]:
        webhook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        message = webhook + r"/messages/(?P<message>@original|\d+)"
        return [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("PUT", r"/applications/\d+(?:/guilds/(?P<guild>\d+))?/commands", self._put_commands),
            ("GET", r"/applications/\d+(?:/guilds/(?P<guild>\d+))?/commands", self._get_commands),
            ("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("GET", message, self._webhook_message),
            ("PATCH", message, self._edit_webhook_message),
            ("DELETE", message, self._delete_webhook_message),
            ("POST", webhook, self._followup),
            ("POST", r"/users/@me/channels", self._open_dm),
            ("POST", r"/channels/(?P<channel>\d+)/messages", self._send),
            ("PATCH", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", self._edit),
            ("DELETE", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", self._delete),
        ]

    # --- handlers -------------------------------------------------------------------------

    async def _me(self, rec: Recorded, args: dict[str, str]) -> Any:
        return BOT_USER

    async def _application(self, rec: Recorded, args: dict[str, str]) -> Any:
        return {
            "id": str(APP_ID),
            "name": "imagebot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "00",
            "owner": BOT_USER,
            "flags": 0,
        }

    async def _put_commands(self, rec: Recorded, args: dict[str, str]) -> Any:
        where = args.get("guild") or "global"
        self.commands[where] = rec.json
        return [{**c, "id": str(snowflake()), "application_id": str(APP_ID)} for c in rec.json]

    async def _get_commands(self, rec: Recorded, args: dict[str, str]) -> Any:
        return self.commands.get(args.get("guild") or "global", [])

    async def _callback(self, rec: Recorded, args: dict[str, str]) -> Any:
        interaction_id = int(args["id"])
        if interaction_id in self._late:
            raise ApiError(404, 10062, "Unknown interaction")
        state = self._interactions.setdefault(args["token"], _Interaction(0))
        if state.acked is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if self.on_callback is not None:
            await self.on_callback(interaction_id)
        kind = int(rec.json["type"])
        state.acked = kind
        answer: dict[str, Any] = {"interaction": {"id": args["id"], "type": 2}}
        if kind in (4, 5):
            data = rec.json.get("data") or {}
            flags = int(data.get("flags") or 0) | (128 if kind == 5 else 0)
            message = self._store(state.channel_id, data | {"flags": flags}, rec.files, True)
            state.original = int(message["id"])
            answer["interaction"] |= {"response_message_id": message["id"]}
            answer["resource"] = {"type": kind, "message": message}
        return answer

    def _token_state(self, token: str) -> _Interaction:
        if token in self._expired:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        state = self._interactions.get(token)
        if token in self._forgotten or state is None or state.acked is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        return state

    def _webhook_target(self, args: dict[str, str]) -> tuple[_Interaction, int]:
        state = self._token_state(args["token"])
        target = state.original if args["message"] == "@original" else int(args["message"])
        if target is None or target not in self.messages:
            raise ApiError(404, 10008, "Unknown Message")
        return state, target

    async def _webhook_message(self, rec: Recorded, args: dict[str, str]) -> Any:
        return self.messages[self._webhook_target(args)[1]]

    async def _edit_webhook_message(self, rec: Recorded, args: dict[str, str]) -> Any:
        return self._update(self._webhook_target(args)[1], rec)

    async def _delete_webhook_message(self, rec: Recorded, args: dict[str, str]) -> Any:
        state, target = self._webhook_target(args)
        self._remove(target)
        if target == state.original:
            state.original = None
        return None

    async def _followup(self, rec: Recorded, args: dict[str, str]) -> Any:
        state = self._token_state(args["token"])
        message = self._store(state.channel_id, rec.json or {}, rec.files, True)
        state.followups.append(int(message["id"]))
        return message

    async def _open_dm(self, rec: Recorded, args: dict[str, str]) -> Any:
        user_id = int(rec.json["recipient_id"])
        channel = next((c for c, u in self._dms.items() if u == user_id), None) or snowflake()
        self._dms[channel] = user_id
        recipient = {"id": str(user_id), "username": f"user{user_id}", "discriminator": "0"}
        return {"id": str(channel), "type": 1, "recipients": [recipient | {"avatar": None}]}

    def _channel(self, args: dict[str, str]) -> int:
        channel = int(args["channel"])
        if channel in self._deleted_channels:
            raise ApiError(404, 10003, "Unknown Channel")
        if self._dms.get(channel) in self._left:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        return channel

    async def _send(self, rec: Recorded, args: dict[str, str]) -> Any:
        return self._store(self._channel(args), rec.json or {}, rec.files, False)

    async def _edit(self, rec: Recorded, args: dict[str, str]) -> Any:
        self._channel(args)
        if int(args["message"]) not in self.messages:
            raise ApiError(404, 10008, "Unknown Message")
        return self._update(int(args["message"]), rec)

    async def _delete(self, rec: Recorded, args: dict[str, str]) -> Any:
        self._channel(args)
        if int(args["message"]) not in self.messages:
            raise ApiError(404, 10008, "Unknown Message")
        self._remove(int(args["message"]))
        return None

    async def _gateway(self, request: web.Request) -> web.Response:
        """The websocket gateway is not faked: a connect attempt is recorded and refused."""
        rec = Recorded(request.method, "/gateway", dict(request.query), None, [], time.monotonic())
        rec.status = 503
        self.requests.append(rec)
        async with self._changed:
            self._changed.notify_all()
        return web.Response(status=503)

    async def _attachment(self, request: web.Request) -> web.Response:
        self.downloads.append(request.path)
        entry = self._attachments.get(request.match_info["key"])
        if entry is None:
            return web.Response(status=404)
        return web.Response(body=entry[0], headers={"Content-Type": entry[1]})

    # --- messages -------------------------------------------------------------------------

    def _store(
        self, channel: int, body: dict[str, Any], files: list[Upload], by_webhook: bool
    ) -> dict[str, Any]:
        message_id = snowflake()
        message = {
            "id": str(message_id),
            "channel_id": str(channel),
            "author": BOT_USER,
            "content": "",
            "embeds": [],
            "components": [],
            "attachments": [],
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if by_webhook:
            message["webhook_id"] = str(APP_ID)
        self.messages[message_id] = message
        return self._merge(message, body, files)

    def _update(self, message_id: int, rec: Recorded) -> dict[str, Any]:
        message = self.messages[message_id]
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        message["flags"] &= ~128  # the "thinking…" state ends with the first edit
        return self._merge(message, rec.json or {}, rec.files)

    def _merge(
        self, message: dict[str, Any], body: dict[str, Any], files: list[Upload]
    ) -> dict[str, Any]:
        for key, empty in _EMPTY.items():
            if key in body:
                message[key] = empty if body[key] is None else body[key]
        if "attachments" in body or files:
            kept = {str(a.get("id")) for a in body.get("attachments") or []}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in kept]
            message["attachments"] += [self._attached(f) for f in files]
        return message

    def _attached(self, upload: Upload) -> dict[str, Any]:
        key = str(snowflake())
        self._attachments[key] = (upload.data, upload.content_type)
        url = f"{self.url}/attachments/{key}/{upload.filename}"
        return {
            "id": key,
            "filename": upload.filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type,
        }

    def _remove(self, message_id: int) -> None:
        self.messages.pop(message_id, None)
        self.deleted.append(message_id)


@web.middleware
async def _report(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every request goes to the secret scan (a multipart body: by ``_handle``, once parsed)."""
    multipart = request.content_type.startswith("multipart/")
    body = b"" if multipart else await request.read()
    headers = dict(request.headers)
    REGISTRY.request("discord", request.method, request.path, request.query_string, headers, body)
    response: web.StreamResponse = await handler(request)
    return response


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        files = [
            Upload(name, value.filename, value.content_type, value.file.read())
            for name, value in form.items()
            if isinstance(value, web.FileField)
        ]
        raw = form.get("payload_json")
        return (json.loads(raw) if isinstance(raw, str | bytes | bytearray) else None), files
    raw_body = await request.read()
    return (json.loads(raw_body) if raw_body else None), []
