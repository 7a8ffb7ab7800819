"""Fixtures for the reliability tests: the fakes, the whole bot on Telegram or Discord, and
what reached the logs during one test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from loguru import logger

from tests.discord.conftest import World, make_settings, running
from tests.fakes.discord_server import FakeDiscord, point_discord_at
from tests.fakes.fal_server import FakeFal, fast_fal_client_retries, keep_fal_client_urls
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram.driver import Driver, telegram_bot

#: Words that mean an exception escaped the code that should have handled it.
ESCAPED = ("Traceback", "Unhandled", "exception was never retrieved")


@dataclass
class LogCapture:
    """Every loguru record (formatted, traceback included) and every stdlib record at
    WARNING or above (asyncio's "Task exception was never retrieved" among them)."""

    lines: list[tuple[str, str]] = field(default_factory=list)

    def write(self, message: object) -> None:
        record = message.record  # type: ignore[attr-defined]
        self.lines.append((record["level"].name, str(message)))

    def texts(self) -> list[str]:
        return [text for _, text in self.lines]

    def problems(self) -> list[str]:
        """Records showing an exception nobody handled: a traceback, 'Unhandled', or an
        ERROR that says something failed 'unexpectedly'."""
        return [
            text
            for level, text in self.lines
            if any(word in text for word in ESCAPED)
            or (level in ("ERROR", "CRITICAL") and "unexpectedly" in text)
        ]


class _StdlibTap(logging.Handler):
    def __init__(self, capture: LogCapture) -> None:
        super().__init__(level=logging.WARNING)
        self._capture = capture
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self._capture.lines.append((record.levelname, self.format(record)))


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    """What the bot logged during the test (loguru and stdlib)."""
    capture = LogCapture()
    sink = logger.add(
        capture.write,
        level="DEBUG",
        format="{level} | {name}:{function} | {message}",
        backtrace=False,
        diagnose=False,
        colorize=False,
    )
    tap = _StdlibTap(capture)
    logging.getLogger().addHandler(tap)
    try:
        yield capture
    finally:
        logging.getLogger().removeHandler(tap)
        logger.remove(sink)


@pytest.fixture
async def fal(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeFal]:
    """FakeFal with fal-client's own retry back-off made fast; fal-client's module URLs
    (which build_app points at the fake) are restored after the test."""
    fast_fal_client_retries(monkeypatch)
    keep_fal_client_urls(monkeypatch)
    async with FakeFal(inference_seconds=0.05, queue_steps=1) as server:
        yield server


@pytest.fixture
async def telegram_fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def tg(
    tmp_path: Path, telegram_fake: FakeTelegram, fal: FakeFal, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Driver]:
    """The whole bot polling the fake Telegram (as tests/telegram/conftest.py's ``tg``)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with telegram_bot(tmp_path, telegram_fake, fal, monkeypatch) as driver:
        yield driver


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        point_discord_at(server, monkeypatch)
        yield server


@pytest.fixture
async def world(tmp_path: Path, discord_fake: FakeDiscord, fal: FakeFal) -> AsyncIterator[World]:
    """The whole bot logged in at the fake Discord (as tests/discord/conftest.py's ``world``)."""
    async with running(make_settings(tmp_path, fal), discord_fake, fal) as running_world:
        yield running_world
