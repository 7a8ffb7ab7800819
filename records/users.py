"""Who talks to the bot, and where it answers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    """Where a user talks to the bot."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    DISCORD = "discord"


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user as a platform knows them."""

    platform: Platform
    user_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where to answer: chat id, the message to reply to, and adapter-owned data (JSON text)."""

    chat_id: str
    message_id: str | None = None
    extra: str = ""
