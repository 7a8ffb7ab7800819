"""The real bot (``bot.app.build_app``) pointed at the fake host, and the fal-client baseline.

Discord runs as the Discord tests run it: discord.py logged in against the fake REST API,
interactions injected as gateway payloads (``inject``), the job runner on. Telegram runs
whole (``App.run``: long polling against the fake Bot API). Settings are the production
defaults except where a run needs otherwise (the fakes' URLs, limits, a temp database).
The bot logs at INFO, as in production, to a file instead of the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import fal_client
import yarl

from bench.hostclient import FakeHost
from bot.app import App, build_app
from bot.discord_adapter import DiscordFrontEnd
from bot.logs import setup_logging
from bot.settings import Settings
from providers.fal import point_fal_client_at
from tests.discord.payloads import Person, slash
from tests.fakes.discord_server import BOT_TOKEN
from tests.fakes.fal_server import TEST_FAL_KEY
from tests.fakes.telegram_server import TOKEN as TELEGRAM_TOKEN

PROMPT = "a red fox at dawn, golden light"


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and key in out else value
    return out


def bot_settings(host: FakeHost, workdir: Path, *, front: str, **sections: Any) -> Settings:
    """Production defaults, pointed at the fakes, with one chat front end (``front``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    base: dict[str, Any] = {
        "fal": {
            "key": TEST_FAL_KEY,
            "queue_url": host.fal_url,
            "rest_url": host.fal_url,
            "cdn_url": host.fal_url,
        },
        "storage": {"database": str(workdir / "bot.db")},
        "console": {"output_dir": str(workdir / "out")},
    }
    if front == "discord":
        base["discord"] = {
            "token": BOT_TOKEN,
            "command_hash_file": str(workdir / "commands.sha256"),
        }
    else:
        base["telegram"] = {"token": host.urls["telegram_token"], "base_url": host.urls["telegram"]}
    return Settings(**merge(base, sections))


def quiet_logs(logfile: Path) -> None:
    """The bot's logs at INFO (production's level), into a file: the table stays readable."""
    stream = logfile.open("a", encoding="utf-8")
    secrets = [TEST_FAL_KEY, BOT_TOKEN, TELEGRAM_TOKEN]
    setup_logging("INFO", secrets, stream=stream)


def point_discord_at(host: FakeHost) -> None:
    discord.http.Route.BASE = host.urls["discord_api"]
    gateway = yarl.URL(host.urls["discord_gateway"])
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@dataclass
class DiscordBot:
    """The running app with its Discord front end; ``inject`` is the gateway."""

    app: App
    front: DiscordFrontEnd

    def inject(self, payload: dict[str, Any]) -> float:
        """Hand ``payload`` to discord.py; returns when (monotonic) it was handed over."""
        at = time.monotonic()
        self.front.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        return at

    async def idle(self) -> None:
        await asyncio.sleep(0.05)
        await asyncio.wait_for(self.app.runner.wait_idle(), 120)


def imagine(person: Person, prompt: str = PROMPT) -> dict[str, Any]:
    return slash("imagine", who=person, prompt=prompt)


def people(count: int, first: int = 800_000_000_000_000_000) -> list[Person]:
    return [Person(first + i, f"user{i}") for i in range(count)]


@asynccontextmanager
async def discord_bot(host: FakeHost, settings: Settings) -> AsyncIterator[DiscordBot]:
    point_discord_at(host)
    async with build_app(settings) as app:
        front = next(f for f in app.front_ends if isinstance(f, DiscordFrontEnd))
        runner = asyncio.create_task(app.runner.run())
        await front.bot.login(BOT_TOKEN)
        try:
            yield DiscordBot(app, front)
        finally:
            await front.bot.close()
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)


@asynccontextmanager
async def telegram_bot(host: FakeHost, settings: Settings) -> AsyncIterator[App]:
    """The whole app polling the fake Bot API, once its first poll has arrived."""
    polls = len(await host.telegram("polls", 0, 0))
    async with build_app(settings) as app:
        task = asyncio.create_task(app.run())
        try:
            await host.telegram("polls", polls + 1, 30)
            yield app
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def submitted_request(host: FakeHost) -> tuple[str, dict[str, Any]]:
    """The endpoint and payload of the last submission fal saw (the baseline sends it too)."""
    last = (await host.fal_stats())["submissions"][-1]
    return str(last["endpoint"]), dict(last["payload"])


@asynccontextmanager
async def baseline_client(host: FakeHost) -> AsyncIterator[fal_client.AsyncClient]:
    """What a ten-line script uses: fal-client's AsyncClient with its defaults."""
    point_fal_client_at(host.fal_url, host.fal_url, host.fal_url)
    client = fal_client.AsyncClient(key=TEST_FAL_KEY)
    try:
        yield client
    finally:
        if "_client" in vars(client):
            await (await client._client).aclose()


async def timed_subscribe(
    client: fal_client.AsyncClient, endpoint: str, payload: dict[str, Any]
) -> float:
    """Seconds one default ``subscribe()`` takes, submit to result."""
    started = time.monotonic()
    await client.subscribe(endpoint, arguments=payload)
    return time.monotonic() - started
