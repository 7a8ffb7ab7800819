"""What the fake Discord holds (messages, interactions, attachments, records) and how a
message is stored, edited and removed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.discord_server.wire import APP_ID, BOT_USER, Fault, Recorded, Upload, snowflake

EMPTY: dict[str, Any] = {"content": "", "embeds": [], "components": [], "flags": 0}


@dataclass
class Interaction:
    """What the fake knows of one interaction token: its channel, ack and messages."""

    channel_id: int
    acked: int | None = None
    original: int | None = None
    followups: list[int] = field(default_factory=list)


Handler = Callable[[Recorded, dict[str, str]], Awaitable[Any]]


class DiscordState:
    """The fake's records, scripted state and message store, shared by its routes."""

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
        self._interactions: dict[str, Interaction] = {}
        self._attachments: dict[str, tuple[bytes, str]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def api_url(self) -> str:
        """The value for ``discord.http.Route.BASE``."""
        return self.url + "/api/v10"

    @property
    def gateway_url(self) -> str:
        """The value for ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (refuses)."""
        return self.url.replace("http://", "ws://") + "/gateway/"

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

    # --- message store --------------------------------------------------------------------

    def _store(
        self, channel: int, body: dict[str, Any], files: list[Upload], by_webhook: bool
    ) -> dict[str, Any]:
        message_id = snowflake()
        message: dict[str, Any] = {
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
        for key, empty in EMPTY.items():
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
