"""A fake Telegram Bot API server on 127.0.0.1, for driving the real python-telegram-bot.

Honours the wire protocol of reference/telegram.md §4.4: ``POST /bot<token>/<method>`` with a
form-urlencoded or multipart body (nested objects as JSON strings), ``GET
/file/bot<token>/<path>``, answers ``{"ok": true, "result": …}`` or ``{"ok": false,
"error_code", "description", "parameters"}`` with the matching HTTP status.

Tests push updates (built with the helpers of ``updates``) and read back ``calls`` (every
request, decoded, with uploaded files; every request is also scanned for secrets by
tests/fakes/record_registry.py) and ``chat(chat_id)`` (what a user would see now).
Faults are scripted per method: flood (429 + retry_after), blocked (403), chat not found,
migrated group, or a delayed answer to a request that was applied all the same.

Modules: ``wire`` (decoding requests, encoding answers, error texts, Call/Upload/Fault),
``state`` (chats, messages, files; storing a message), ``faults`` (scripting faults),
``methods`` (the Bot API methods), ``updates`` (building users' updates), ``server``
(FakeTelegram: the app, dispatch, what tests read).
"""

from tests.fakes.telegram_server.server import FakeTelegram, T
from tests.fakes.telegram_server.state import TOKEN
from tests.fakes.telegram_server.wire import (
    BLOCKED,
    CHAT_NOT_FOUND,
    DOWNLOAD_LIMIT,
    INT_FIELDS,
    JSON_FIELDS,
    NOT_MODIFIED,
    PHOTO_LIMIT,
    ApiError,
    Call,
    Fault,
    Upload,
)

__all__ = [
    "BLOCKED",
    "CHAT_NOT_FOUND",
    "DOWNLOAD_LIMIT",
    "INT_FIELDS",
    "JSON_FIELDS",
    "NOT_MODIFIED",
    "PHOTO_LIMIT",
    "TOKEN",
    "ApiError",
    "Call",
    "FakeTelegram",
    "Fault",
    "T",
    "Upload",
]
