"""P2: Discord's first answer (the defer callback) to a burst of slash commands.

``commands`` interactions from as many users are handed to discord.py at ``rate`` per
second, as a gateway delivers them (and, for information, all at once: then the last
callbacks wait for ~0.5 ms of discord.py work per earlier one, on the bot's side and the
fake's, whatever the bot does after its defer): one in five is /imagine (a job starts, fal
included), the rest /balance, /history, /help and /cancel, as in tests/discord. Measured:
injection → the callback's arrival at the fake Discord. The baseline is the same
callback sent straight through discord.py's HTTP client, one at a time: a floor, not a
competitor.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from discord.http import Route

from bench.botrun import DiscordBot, bot_settings, discord_bot, imagine, people
from bench.hostclient import FakeHost
from bench.report import Row, at_most, info, median, percentile
from tests.discord.payloads import slash

LIGHT = ("balance", "history", "help", "cancel")


@dataclass(frozen=True)
class P2Options:
    commands: int
    rate: float  # interactions per second; 0 = all at once
    at_once: bool  # also measure all of them at once (a stress figure, no goal)


def burst(count: int) -> list[dict[str, Any]]:
    persons = people(count, first=840_000_000_000_000_000)
    return [
        imagine(p, f"fox number {i}") if i % 5 == 0 else slash(LIGHT[i % 4], who=p)
        for i, p in enumerate(persons)
    ]


async def inject_all(
    bot: DiscordBot, payloads: list[dict[str, Any]], rate: float
) -> dict[str, float]:
    injected: dict[str, float] = {}
    started = time.monotonic()
    for n, payload in enumerate(payloads):
        if rate > 0:
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        injected[payload["id"]] = bot.inject(payload)
    return injected


async def floor(bot: DiscordBot, count: int) -> list[float]:
    """Seconds for discord.py alone to send a defer callback (sequential)."""
    http = bot.front.bot.http
    times = []
    for payload in burst(count):
        route = Route(
            "POST", "/interactions/{id}/{token}/callback", id=payload["id"], token=payload["token"]
        )
        started = time.monotonic()
        await http.request(route, json={"type": 5, "data": {"flags": 0}})
        times.append(time.monotonic() - started)
    return times


async def measure(
    host: FakeHost, bot: DiscordBot, count: int, rate: float
) -> tuple[list[float], int, float]:
    """Milliseconds injection → callback for a burst; how many; the bot's CPU seconds."""
    await host.reset()
    payloads = burst(count)
    cpu = time.process_time()
    injected = await inject_all(bot, payloads, rate)
    callbacks = await host.discord("callbacks", len(payloads), 60)
    cpu = time.process_time() - cpu
    await bot.idle()
    delays = [1000 * (c["at"] - injected[c["id"]]) for c in callbacks if c["id"] in injected]
    return delays, len(payloads), cpu


async def run(host: FakeHost, workdir: Path, options: P2Options) -> list[Row]:
    await host.configure_fal(inference_seconds=0.05, queue_steps=1)  # the burst's jobs drain
    settings = bot_settings(host, workdir, front="discord")
    async with discord_bot(host, settings) as bot:
        warm = burst(5)  # first calls pay for lazy imports and connections
        await inject_all(bot, warm, 0)
        await host.discord("callbacks", len(warm), 30)
        await bot.idle()
        delays, sent, cpu = await measure(host, bot, options.commands, options.rate)
        rows_at_once = []
        if options.at_once:
            at_once, _, cpu_at_once = await measure(host, bot, options.commands, 0)
            rows_at_once.append(
                info(
                    f"P2 defer p99, all {options.commands} at once (stress)",
                    f"{percentile(at_once, 0.99):.1f} ms",
                    "–",
                    f"bot CPU {cpu_at_once:.2f} s",
                )
            )
        base = await floor(bot, 50)
    base_ms = f"{1000 * median(base):.1f} ms"
    label = f"P2 defer p99, {options.commands} commands at {options.rate:g}/s"
    return [
        at_most(label, percentile(delays, 0.99), 100, "ms", baseline=f"{base_ms} (one)"),
        info(
            "P2 defer median / max",
            f"{median(delays):.1f} / {max(delays):.1f} ms",
            base_ms,
            f"{len(delays)}/{sent} deferred; bot CPU {cpu:.2f} s",
        ),
        *rows_at_once,
    ]
