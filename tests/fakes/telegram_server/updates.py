"""Updates the tests push: users, groups, messages, button presses, odd media."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.telegram_server.state import TelegramState


class UpdateBuilder(TelegramState):
    """Builds users' messages and callback queries, and queues them for getUpdates."""

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (an update_id is given when missing)."""
        update.setdefault("update_id", next(self._update_ids))
        self._pending.append(update)
        self._arrived.set()
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver an update again, as Telegram does when its offset was never confirmed."""
        self._redeliver.append(update)
        self._arrived.set()

    # -- building updates -----------------------------------------------------------------

    def user(self, user_id: int, name: str = "Ann") -> dict[str, Any]:
        """A user, with their private chat registered."""
        self.chats[user_id] = {"id": user_id, "type": "private", "first_name": name}
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}

    def group(self, chat_id: int = -1001234, title: str = "Fox fans") -> dict[str, Any]:
        self.chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}
        return self.chats[chat_id]

    def message(
        self,
        user: dict[str, Any],
        text: str | None = None,
        *,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """A user's message (stored, not yet pushed). ``text`` becomes the caption when
        ``content`` carries media; a leading /command gets its bot_command entity."""
        chat = chat or self.chats[user["id"]]
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            **content,
        }
        if text is not None:
            key = "caption" if content else "text"
            message[key] = text
            if text.startswith("/"):
                entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                message[key + "_entities" if content else "entities"] = [entity]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def send(self, user: dict[str, Any], text: str | None = None, **kw: Any) -> dict[str, Any]:
        """Build a user's message and push it as an update; returns the update."""
        return self.push({"message": self.message(user, text, **kw)})

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
        """The user taps an inline button with ``data`` under the bot's ``message``."""
        query = {
            "id": f"Q{next(self._ids)}",
            "from": user,
            "chat_instance": "ci-1",
            "message": message,
            "data": data,
        }
        return self.push({"callback_query": query})

    @staticmethod
    def sticker() -> dict[str, Any]:
        return {
            "sticker": {
                "file_id": "S1",
                "file_unique_id": "uS1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        }

    @staticmethod
    def voice() -> dict[str, Any]:
        return {"voice": {"file_id": "V1", "file_unique_id": "uV1", "duration": 3}}
