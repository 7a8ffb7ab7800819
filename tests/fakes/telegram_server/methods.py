"""The Bot API methods the fake answers, one ``_m_<method>`` each."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.fakes.telegram_server.state import TelegramState, set_markup
from tests.fakes.telegram_server.wire import (
    CHAT_NOT_FOUND,
    DOWNLOAD_LIMIT,
    NOT_MODIFIED,
    PHOTO_LIMIT,
    ApiError,
    Upload,
)


class BotMethods(TelegramState):
    """getMe, getUpdates, send*, edit*, deleteMessage, answerCallbackQuery, getFile …"""

    async def _m_getMe(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        return {
            **self.bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_deleteWebhook(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        return True

    async def _m_setMyCommands(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        scope = p.get("scope") or {}
        if scope.get("type") == "chat" and scope.get("chat_id") not in self.chats:
            raise ApiError(400, CHAT_NOT_FOUND)
        return True

    async def _m_getUpdates(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        offset, deadline = p.get("offset", 0), time.monotonic() + p.get("timeout", 0)
        while True:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            ready, self._redeliver = [*self._redeliver, *self._pending], []
            if ready or self._closing or time.monotonic() >= deadline:
                return ready[: p.get("limit", 100)]
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), deadline - time.monotonic())
            except TimeoutError:
                return []

    async def _m_sendMessage(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        return self._new_message(p, text=p["text"])

    async def _m_sendChatAction(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        self._chat(p["chat_id"])
        return True

    async def _m_editMessageText(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        message = self._existing(p, "Bad Request: message to edit not found")
        markup = p.get("reply_markup")
        if message.get("text") == p["text"] and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = p["text"]
        set_markup(message, markup)
        return message

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        message = self._existing(p, "Bad Request: message to edit not found")
        if message.get("reply_markup") == p.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        set_markup(message, p.get("reply_markup"))
        return message

    async def _m_deleteMessage(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        self._existing(p, "Bad Request: message to delete not found")
        self.deleted.add((p["chat_id"], p["message_id"]))
        return True

    async def _m_sendPhoto(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        data = self._payload(p, f, "photo")
        if len(data) > PHOTO_LIMIT:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return self._new_message(p, caption=p.get("caption"), photo=self.photo_sizes(data))

    async def _m_sendDocument(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        data = self._payload(p, f, "document")
        name = f["document"].filename if "document" in f else "file"
        return self._new_message(
            p,
            caption=p.get("caption"),
            document=self.document(data, name, "application/octet-stream"),
        )

    async def _m_sendMediaGroup(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        media = p["media"]
        if not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album")
        sent = []
        for item in media:
            name = str(item.get("media", "")).removeprefix("attach://")
            if name not in f:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            data = f[name].data
            kind = "photo" if item["type"] == "photo" else "document"
            body = (
                self.photo_sizes(data)
                if kind == "photo"
                else self.document(data, "file", "application/octet-stream")
            )
            group = {**p, "reply_markup": None}
            sent.append(self._new_message(group, caption=item.get("caption"), **{kind: body}))
        return sent

    async def _m_answerCallbackQuery(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        query_id = p["callback_query_id"]
        if query_id in self.answered:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.answered.add(query_id)
        return True

    async def _m_getFile(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        file_id = p["file_id"]
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = self.files[file_id][1]
        if size > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": "u" + file_id,
            "file_size": size,
            "file_path": f"photos/{file_id}",
        }
