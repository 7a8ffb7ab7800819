"""Logging: loguru for everything, stdlib loggers routed into it, secrets redacted at the sink.

Telegram bot tokens sit in request URLs and exception messages, so redaction happens on the
final formatted text (tracebacks included), not on individual fields. ``diagnose`` is off:
it would print local variables, credentials among them.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from loguru import logger

if TYPE_CHECKING:
    from loguru import Record

REDACTED = "[REDACTED]"
# A Telegram bot token looks like 123456789:AA…; catch it even when it is not configured here.
TELEGRAM_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "aiosqlite")


class Redactor:
    """Replaces known secrets and anything shaped like a bot token."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return TELEGRAM_TOKEN.sub(REDACTED, text)


class RedactingSink:
    """A loguru sink writing redacted text to a stream."""

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        self._stream = stream
        self._redact = redactor

    def write(self, message: str) -> None:
        self._stream.write(self._redact(message))
        self._stream.flush()


class InterceptHandler(logging.Handler):
    """Routes stdlib logging (httpx, discord.py, python-telegram-bot) into loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {name}:{line} | {message}{extra[job]}"


def _job_suffix(record: Record) -> None:
    extra = record["extra"]
    bound = [f"{k}={extra[k]}" for k in ("job_id", "user", "request_id") if k in extra]
    extra["job"] = f" [{' '.join(bound)}]" if bound else ""


def setup_logging(level: str, secrets: Iterable[str], stream: TextIO | None = None) -> Redactor:
    """Configure loguru once, at start; returns the redactor for other uses."""
    redactor = Redactor(secrets)
    logger.remove()
    logger.configure(patcher=_job_suffix)
    logger.add(
        RedactingSink(stream or sys.stderr, redactor),
        level=level,
        format=FORMAT,
        diagnose=False,
        backtrace=False,
        colorize=False,
    )
    logging.basicConfig(handlers=[InterceptHandler()], level=logging.INFO, force=True)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return redactor
