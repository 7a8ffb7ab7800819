"""Discord's REST API on the wire: ids, the bot's identity, JSON and multipart bodies,
error answers, and the records the fake keeps of each request."""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.record_registry import REGISTRY, scanning_middleware

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
_ids = itertools.count(1)


def snowflake(at: float | None = None) -> int:
    """A unique Discord id whose timestamp is ``at`` (default: now)."""
    ms = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_ids) & 0x3FFFFF)


def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
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
    """A scripted error answer (see ``FakeDiscord.fail``)."""

    method: str
    path: re.Pattern[str]
    status: int
    code: int
    message: str
    times: int | None
    retry_after: float | None = None
    with_files: bool | None = None


report = scanning_middleware("discord")  # multipart bodies: reported by ``_handle``


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
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
