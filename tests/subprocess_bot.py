"""Running the real bot as a child process against a FakeFal in the test's own loop."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from tests.fakes.fal_server import TEST_FAL_KEY, FakeFal
from tests.fakes.record_registry import REGISTRY

ROOT = Path(__file__).resolve().parents[1]


def bot_env(tmp_path: Path, fal: FakeFal, **extra: str) -> dict[str, str]:
    """Environment for ``python -m bot`` pointed at ``fal`` with data under ``tmp_path``."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "NO_PROXY": "127.0.0.1,localhost",
        "FAL_KEY": TEST_FAL_KEY,
        "BOT_FAL__QUEUE_URL": fal.queue_url,
        "BOT_FAL__REST_URL": fal.rest_url,
        "BOT_FAL__CDN_URL": fal.cdn_url,
        "BOT_FAL__POLL_INTERVAL": "0.2",
        "BOT_STORAGE__DATABASE": str(tmp_path / "bot.db"),
        "BOT_CONSOLE__OUTPUT_DIR": str(tmp_path / "out"),
        "BOT_LOGGING__LEVEL": "DEBUG",
        **extra,
    }


async def start_console(
    tmp_path: Path, fal: FakeFal, *args: str, **env: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "console",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
        env=bot_env(tmp_path, fal, **env),
    )


async def finished(
    bot: asyncio.subprocess.Process, stdin: bytes | None = None, timeout: float = 60.0
) -> tuple[str, str]:
    """Feed ``stdin`` (when given), wait for the child to exit, and return its stdout and
    stderr; both go through the run-wide secret scan first, like the bot's own logs."""
    out, err = await asyncio.wait_for(bot.communicate(stdin), timeout)
    stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
    scan_output(stdout, stderr)
    return stdout, stderr


def scan_output(*texts: str) -> None:
    """A child bot's output, line by line, into the secret scan."""
    for text in texts:
        for line in text.splitlines():
            REGISTRY.log("child output", line)


def scan_logs(directory: Path, pattern: str) -> None:
    """The files a child bot wrote its output to, into the secret scan."""
    for log in sorted(directory.glob(pattern)):
        scan_output(log.read_text(errors="replace"))


def job_states(db: Path) -> dict[str, str]:
    """Job id → state, read from the bot's database file (empty before it is migrated)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return dict(conn.execute("SELECT id, state FROM jobs").fetchall())
    except sqlite3.OperationalError:  # no file or no table yet
        return {}


def query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()
