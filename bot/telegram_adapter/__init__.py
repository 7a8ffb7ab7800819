"""Telegram front end on python-telegram-bot 22: translation only, no business rules.

    frontend.py   TelegramFrontEnd: builds the Application, registers handlers, runs polling
    polling.py    Poller: long polling through the inbox (no update lost or handled twice)
    handlers.py   one callback per kind of update → one core call → one reply
    inputs.py     who sent it, is it meant for us, which image (fetched as bytes), target user
    notifier.py   TelegramNotifier: the core's Notifier (status messages, results, failures)
    status.py     the throttled, never-unchanged status message of each job
    results.py    result upload: photo / document / album, and the inline buttons
    refs.py       ChatRef extra, event keys, callback data (job references only)
    sender.py     Bot API failure rules, and reading Telegram's errors

How Bot API errors are treated (PTB raises them; this package defines none of its own)::

    TelegramError
    ├── RetryAfter       AIORateLimiter retries; a status edit then waits it out
    ├── ChatMigrated     the call is made again in the new supergroup
    ├── Forbidden        chat gone: a delivery raises the core's DeliveryFailed
    └── NetworkError
        ├── BadRequest   "not modified": ignored · "chat not found": gone · else logged
        └── TimedOut     an upload is never re-sent (it may have arrived)
"""

from bot.telegram_adapter.frontend import TelegramFrontEnd
from bot.telegram_adapter.notifier import TelegramNotifier
from bot.telegram_adapter.options import TelegramOptions

__all__ = ["TelegramFrontEnd", "TelegramNotifier", "TelegramOptions"]
