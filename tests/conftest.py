"""Shared test set-up: no real secrets or operator config leak into a test run, and no test
secret leaks out of the bot.

Every request the fake servers receive is scanned for the test secrets as it arrives
(tests/fakes/record_registry.py); so is every log record of every test, from loguru (every
level) and from stdlib logging (discord.py, python-telegram-bot, …) at the levels
bot.logs.setup_logging gives them in production: INFO, httpx and friends at WARNING. A
secret anywhere but its one legitimate place fails the whole run, with the places listed in
the summary.
"""

import contextlib
import logging
import os
from collections.abc import Iterator

import pytest
from loguru import logger

from bot.logs import QUIET_LOGGERS
from tests.fakes.record_registry import REGISTRY

CONFIG_ENV = ("FAL_KEY", "DISCORD_TOKEN", "TELEGRAM_TOKEN", "BOT_CONFIG")
#: The fake servers' own access log (test scaffolding, not the bot's): it shows the Bot API
#: paths the fake Telegram serves, token prefix included.
FAKES_ACCESS_LOG = "aiohttp.access"
#: Every field of a loguru record that can carry text: message, bound extras, traceback.
SCAN_FORMAT = "{level} | {name}:{function}:{line} | {message} | {extra}\n{exception}"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name in CONFIG_ENV or name.startswith("BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


class _LogScan(logging.Handler):
    """Stdlib records (as far as their loggers let them through) into the secret scan."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a bad record must not break the test
            REGISTRY.log("logging", self.format(record))


@pytest.fixture(autouse=True)
def _scan_logs_for_secrets(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every log record of the test goes to the secret scan. Added per test because
    ``bot.logs.setup_logging`` (tested in-process) removes every sink and root handler."""
    REGISTRY.context = request.node.nodeid
    sink = logger.add(
        lambda message: REGISTRY.log("loguru", str(message)),
        level=0,
        format=SCAN_FORMAT,
        backtrace=False,
        diagnose=False,
        colorize=False,
        catch=True,
    )
    handler = _LogScan()
    root = logging.getLogger()
    quiet = (*QUIET_LOGGERS, FAKES_ACCESS_LOG)
    levels = {name: logging.getLogger(name).level for name in ("", *quiet)}
    root.setLevel(min(root.level or logging.INFO, logging.INFO))  # at least INFO, as in prod
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        with contextlib.suppress(ValueError):  # already removed by setup_logging
            logger.remove(sink)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REGISTRY.session.leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    scan = REGISTRY.session
    if scan.leaks:
        terminalreporter.section("secrets leaked", sep="!", red=True, bold=True)
        for finding in scan.findings:
            terminalreporter.write_line(finding)
        terminalreporter.write_line(f"{scan.leaks} leak(s); the run fails.")
    elif scan.scanned:
        counts = ", ".join(f"{n} {source}" for source, n in sorted(scan.scanned.items()))
        terminalreporter.write_line(f"secret scan: nothing leaked ({counts})")
