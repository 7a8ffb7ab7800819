"""Running the real bot as a child process against a FakeFal in the test's own loop."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from tests.fakes.fal_server import TEST_FAL_KEY, FakeFal

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
