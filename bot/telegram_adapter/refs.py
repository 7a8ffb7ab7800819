"""Small codecs: where a job answers (ChatRef), event keys, and button callback data.

Callback data carries only a job reference (``r:<job>``, ``v:<job>:<i>``, ``o:<job>:<i>``);
everything else is read from SQLite when the button is pressed, so buttons keep working
after a restart and stay far below Telegram's 64-byte limit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from telegram import Update
from telegram.constants import InlineKeyboardButtonLimit

from records import ChatRef


@dataclass(frozen=True, slots=True)
class Where:
    """A decoded ChatRef: chat, the user's message to reply to, the job's status message."""

    chat_id: int
    reply_to: int | None = None
    status_id: int | None = None

    @property
    def group(self) -> bool:
        return self.chat_id < 0


def chat_ref(chat_id: int, reply_to: int | None, status_id: int | None) -> ChatRef:
    extra = json.dumps({"status": status_id}) if status_id is not None else ""
    message_id = str(reply_to) if reply_to is not None else None
    return ChatRef(chat_id=str(chat_id), message_id=message_id, extra=extra)


def where(chat: ChatRef) -> Where:
    status = json.loads(chat.extra).get("status") if chat.extra else None
    reply_to = int(chat.message_id) if chat.message_id else None
    return Where(int(chat.chat_id), reply_to, int(status) if status is not None else None)


def event_key(update: Update) -> str:
    """The update as an idempotency key; chat/message (or query id) guard against Telegram
    restarting its update counter after a quiet week."""
    if update.callback_query is not None:
        return f"telegram:{update.update_id}:{update.callback_query.id}"
    message = update.effective_message
    where = f"{message.chat_id}/{message.message_id}" if message else "-"
    return f"telegram:{update.update_id}:{where}"


class Action(StrEnum):
    """What a result button does."""

    REROLL = "r"
    VARY = "v"
    ORIGINAL = "o"


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded button press."""

    action: Action
    job_id: str
    index: int = 0

    def encode(self) -> str:
        data = f"{self.action}:{self.job_id}"
        if self.action is not Action.REROLL:
            data += f":{self.index}"
        if len(data.encode()) > InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
            raise ValueError(f"callback data too long: {data!r}")
        return data


BUTTON_PATTERN = r"^[rvo]:"


def decode(data: str | None) -> Press | None:
    """A button's callback data, or None when it is not one of ours (or malformed)."""
    parts = (data or "").split(":")
    try:
        action = Action(parts[0])
        index = int(parts[2]) if len(parts) == 3 else 0
    except (ValueError, IndexError):
        return None
    expected = 2 if action is Action.REROLL else 3
    if len(parts) != expected or not parts[1].isascii() or not parts[1].isalnum():
        return None
    press = Press(action, parts[1], index)
    return press if index >= 0 and _encodes_to(press, data) else None


def _encodes_to(press: Press, data: str | None) -> bool:
    try:
        return press.encode() == data  # refuses "v:ab:01", "v:ab:+1" and over-long data
    except ValueError:
        return False
