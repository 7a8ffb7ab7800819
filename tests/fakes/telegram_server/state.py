"""What the fake Telegram holds (chats, messages, files, calls) and how a message is stored."""

from __future__ import annotations

import asyncio
import io
import itertools
import time
from typing import Any

from aiohttp import web
from PIL import Image

from tests.fakes.record_registry import REGISTRY
from tests.fakes.telegram_server.wire import CHAT_NOT_FOUND, ApiError, Call, Fault, Upload

TOKEN = "7000001:TEST-secret-token-must-never-leak"
REGISTRY.telegram_token(TOKEN)


class TelegramState:
    """One bot's Telegram: its chats, messages and files, with the helpers that store them."""

    def __init__(self, *, token: str = TOKEN, username: str = "imagebot_test") -> None:
        self.token = token
        REGISTRY.telegram_token(token)
        self.bot = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "ImageBot",
            "username": username,
        }
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.deleted: set[tuple[int, int]] = set()
        self.files: dict[str, tuple[bytes, int]] = {}
        self.answered: set[str] = set()
        self.downloads: list[str] = []  # file ids fetched through the file route
        self.expired: set[str] = set()  # getFile still works, the download link is dead
        self.migrated: dict[int, int] = {}
        self._pending: list[dict[str, Any]] = []
        self._redeliver: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(100)
        self._arrived = asyncio.Event()
        self._called = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- state helpers --------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id not in self.chats:
            raise ApiError(400, CHAT_NOT_FOUND)
        return self.chats[chat_id]

    def _existing(self, p: dict[str, Any], missing: str) -> dict[str, Any]:
        key = (p["chat_id"], p["message_id"])
        if key not in self.messages or key in self.deleted:
            raise ApiError(400, missing)
        return self.messages[key]

    def _payload(self, p: dict[str, Any], f: dict[str, Upload], name: str) -> bytes:
        if name in f:
            return f[name].data
        if p.get(name) in self.files:
            return self.files[p[name]][0]
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _new_message(self, p: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = self._chat(p["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot,
        }
        message.update({k: v for k, v in content.items() if v is not None})
        set_markup(message, p.get("reply_markup"))
        reply = (p.get("reply_parameters") or {}).get("message_id")
        if reply is not None and (chat["id"], reply) in self.messages:
            message["reply_to_message"] = self.messages[(chat["id"], reply)]
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def add_file(self, data: bytes, *, size: int | None = None) -> str:
        """Store bytes Telegram-side; ``size`` overrides the reported file_size."""
        file_id = f"F{next(self._ids)}"
        self.files[file_id] = (data, len(data) if size is None else size)
        return file_id

    def photo_sizes(self, data: bytes, *, size: int | None = None) -> list[dict[str, Any]]:
        """PhotoSize list, smallest first; the largest holds ``data``."""
        try:
            width, height = Image.open(io.BytesIO(data)).size
        except Exception:
            width, height = 512, 512
        thumb = self.add_file(data[:64])
        full = self.add_file(data, size=size)
        return [
            {
                "file_id": thumb,
                "file_unique_id": "u" + thumb,
                "width": max(1, width // 4),
                "height": max(1, height // 4),
                "file_size": 64,
            },
            {
                "file_id": full,
                "file_unique_id": "u" + full,
                "width": width,
                "height": height,
                "file_size": self.files[full][1],
            },
        ]

    def document(
        self, data: bytes, name: str, mime: str, *, size: int | None = None
    ) -> dict[str, Any]:
        file_id = self.add_file(data, size=size)
        return {
            "file_id": file_id,
            "file_unique_id": "u" + file_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": self.files[file_id][1],
        }


def set_markup(message: dict[str, Any], markup: Any) -> None:
    if markup:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)
