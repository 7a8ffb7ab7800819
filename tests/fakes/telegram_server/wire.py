"""The Bot API on the wire: decoding a request, encoding an answer, its error texts, and
the records of a call (Call, Upload) and of a scripted error answer (Fault)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.record_registry import scanning_middleware

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "media",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
    }
)
INT_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "user_id"})
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
PHOTO_LIMIT = 10_000_000
DOWNLOAD_LIMIT = 20_000_000


class ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: int) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class Upload:
    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, Upload]
    status: int = 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass
class Fault:
    method: str
    status: int = 0
    description: str = ""
    parameters: dict[str, int] = field(default_factory=dict)
    times: int | None = 1  # None: for ever
    chat_id: int | None = None
    delay: float = 0.0  # > 0: apply the call, then answer late


report = scanning_middleware("telegram")  # multipart bodies: reported by ``_api``


def answer(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


async def decode(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    params: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    form = await request.post() if request.body_exists else {}
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = Upload(name, value.filename, value.content_type, value.file.read())
        elif not isinstance(value, str):
            params[name] = value
        elif name in JSON_FIELDS:
            params[name] = json.loads(value)
        elif name in INT_FIELDS and value.lstrip("-").isdigit():
            params[name] = int(value)
        else:
            params[name] = value
    return params, files
