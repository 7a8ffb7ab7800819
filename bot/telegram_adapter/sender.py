"""Bot API calls with the adapter's failure rules, and how Telegram's errors are read.

PTB reports most failures as ``BadRequest`` with Telegram's words; the few phrases we must
recognise are matched here and nowhere else. Rules:

- ``ChatMigrated``: the group became a supergroup; the call is made again once with the new
  chat id, which is remembered for later calls.
- ``Forbidden`` (blocked, kicked) and a vanished chat: the chat is gone (``gone``).
- "message is not modified": the message already shows that text (``not_modified``).
- ``RetryAfter``: AIORateLimiter retries first; what escapes it is waited out by the caller
  (``retry_seconds`` reads it whether PTB gives an int or a timedelta).
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

T = TypeVar("T")

GONE_PHRASES = (
    "chat not found",
    "not enough rights",
    "have no rights",
    "chat_write_forbidden",
    "need administrator rights",
)
MISSING_PHRASES = ("message to edit not found", "message to delete not found", "message can't be")


def retry_seconds(error: RetryAfter) -> float:
    """Seconds to wait, whether ``retry_after`` is an int or a timedelta (PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


def not_modified(error: TelegramError) -> bool:
    return isinstance(error, BadRequest) and "not modified" in error.message.lower()


def message_missing(error: TelegramError) -> bool:
    text = error.message.lower()
    return isinstance(error, BadRequest) and any(p in text for p in MISSING_PHRASES)


def too_big(error: TelegramError) -> bool:
    """getFile refused: the file is over the Bot API's 20 MB download limit."""
    return isinstance(error, BadRequest) and "too big" in error.message.lower()


def gone(error: TelegramError) -> bool:
    """The chat cannot be written to any more (blocked, kicked, deleted, muted)."""
    if isinstance(error, Forbidden):
        return True
    text = error.message.lower()
    return isinstance(error, BadRequest) and any(p in text for p in GONE_PHRASES)


def reply_to(message_id: int | None) -> ReplyParameters | None:
    """Reply parameters that still send when the user deleted their message."""
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


class Sender:
    """The bot, plus the chats that moved (migrated groups)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._moved: dict[int, int] = {}

    def chat(self, chat_id: int) -> int:
        return self._moved.get(chat_id, chat_id)

    async def to(self, chat_id: int, call: Callable[[int], Awaitable[T]]) -> T:
        """``call(chat)``, made again in the new chat when the group migrated."""
        try:
            return await call(self.chat(chat_id))
        except ChatMigrated as error:
            self._moved[chat_id] = int(error.new_chat_id)
            return await call(int(error.new_chat_id))


class Link:
    """The Sender once the front end runs; notifier calls wait for it."""

    def __init__(self) -> None:
        self._sender: Sender | None = None
        self._ready = asyncio.Event()

    def bind(self, bot: Bot) -> None:
        self._sender = Sender(bot)
        self._ready.set()

    def unbind(self) -> None:
        self._ready.clear()

    async def sender(self) -> Sender:
        """The Sender, once the bot runs."""
        await self._ready.wait()
        assert self._sender is not None
        return self._sender
