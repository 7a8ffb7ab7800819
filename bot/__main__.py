"""Composition root: arguments → Settings → resources → one TaskGroup of runner and front ends.

    python -m bot [run]               every front end with a configured token, plus the runner
    python -m bot console [--as-admin] the terminal front end (needs only a fal key)

Exit codes: 0 normal end, 2 configuration problem (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:
    from bot.app import App

from bot.core import texts
from bot.logs import setup_logging
from bot.settings import Settings, config_path, load_settings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, help="TOML config file (default: ./config.toml)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run every configured front end and the job runner")
    console = sub.add_parser("console", help="the terminal front end")
    console.add_argument("--as-admin", action="store_true", help="allow admin commands")
    console.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.command = args.command or "run"
    return args


def config_error(error: Exception) -> str:
    """One line naming the key and the problem."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "config"
        count = error.error_count() - 1
        more = texts.BAD_CONFIG_MORE.format(count=count) if count else ""
        return texts.BAD_CONFIG.format(key=key, problem=first["msg"], more=more)
    return texts.BAD_CONFIG_FILE.format(problem=error)


def check_ready(settings: Settings, command: str) -> str | None:
    """Why the bot cannot start as asked, or None."""
    if settings.fal.key is None:
        return texts.NEED_FAL_KEY
    has_chat = settings.telegram.token is not None or settings.discord.token is not None
    if command == "run" and not has_chat:
        return texts.NEED_FRONT_END
    return None


async def serve(app: App) -> None:
    """Run until the console ends, or until SIGTERM/SIGINT (jobs stay persisted)."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, main.cancel)
    try:
        await app.run()
    except asyncio.CancelledError:
        if main.cancelling():
            main.uncancel()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings(config_path(args.config, os.environ))
    except (ValidationError, FileNotFoundError, tomllib.TOMLDecodeError) as error:
        print(config_error(error), file=sys.stderr)
        return 2
    if problem := check_ready(settings, args.command):
        print(problem, file=sys.stderr)
        return 2
    setup_logging(settings.logging.level, settings.secrets())
    # Imported only now: a configuration error is reported without loading the chat libraries.
    from bot.app import build_app

    async def start() -> None:
        async with build_app(
            settings, console=args.command == "console", as_admin=getattr(args, "as_admin", False)
        ) as app:
            await serve(app)

    asyncio.run(start())
    return 0


if __name__ == "__main__":
    sys.exit(main())
