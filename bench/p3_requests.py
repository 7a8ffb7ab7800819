"""P3: HTTP requests the bot makes to fal per job, and fal completion → result posted.

A short and a long inference, each run by the bot (Discord) and, at the same time, by
``AsyncClient.subscribe()`` on the same request. Requests are counted at the fake fal
per request id: submit, status polls or stream, result, image downloads (CDN), cancel.
Latency: the fake's COMPLETED moment → the result's arrival at the fake Discord (the
delivery has started, and ended, by then); and → the first read of the image (the
first step of the delivery).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.botrun import (
    DiscordBot,
    baseline_client,
    bot_settings,
    discord_bot,
    imagine,
    people,
    timed_subscribe,
)
from bench.hostclient import FakeHost
from bench.report import Row, at_most, info, median

BASELINE_MARK = " (baseline)"


@dataclass(frozen=True)
class P3Options:
    short: float
    long: float
    trials: int  # short jobs (one long job)


@dataclass(frozen=True)
class Trial:
    bot_requests: int
    base_requests: int
    to_posted: float  # seconds, fal COMPLETED → result at the chat
    to_download: float  # seconds, fal COMPLETED → first read of the image


async def bot_submission(host: FakeHost) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            subs = (await host.fal_stats())["submissions"]
            if subs:
                return dict(subs[0])
            await asyncio.sleep(0.005)


async def one_job(host: FakeHost, bot: DiscordBot, person: Any) -> Trial:
    """A bot job and a baseline subscribe() of the same request, side by side."""
    await host.reset()
    payload = imagine(person)
    bot.inject(payload)
    submitted = await bot_submission(host)
    arguments = dict(submitted["payload"])
    arguments["prompt"] = str(arguments["prompt"]) + BASELINE_MARK
    async with baseline_client(host) as client:
        results, _ = await asyncio.gather(
            host.discord("results", 1, 120),
            timed_subscribe(client, submitted["endpoint"], arguments),
        )
    await bot.idle()
    stats = await host.fal_stats()
    base_rid = next(
        s["rid"]
        for s in stats["submissions"]
        if str(s["payload"]["prompt"]).endswith(BASELINE_MARK)
    )
    rid = submitted["rid"]
    done = stats["completed_at"][rid]
    return Trial(
        bot_requests=stats["per_job"][rid],
        base_requests=stats["per_job"][base_rid],
        to_posted=results[0]["at"] - done,
        to_download=stats["file_at"][rid] - done,
    )


async def series(
    host: FakeHost, bot: DiscordBot, inference: float, count: int, first: int
) -> list[Trial]:
    await host.configure_fal(inference_seconds=inference, queue_steps=1)
    return [await one_job(host, bot, p) for p in people(count, first=first)]


async def run(host: FakeHost, workdir: Path, options: P3Options) -> list[Row]:
    settings = bot_settings(host, workdir, front="discord")
    async with discord_bot(host, settings) as bot:
        await series(host, bot, options.short, 1, 850_000_000_000_000_000)  # warm-up
        short = await series(host, bot, options.short, options.trials, 851_000_000_000_000_000)
        long = await series(host, bot, options.long, 1, 852_000_000_000_000_000)
    rows = []
    for label, trials, seconds in (("short", short, options.short), ("long", long, options.long)):
        worst = max(t.bot_requests for t in trials)
        base = median([float(t.base_requests) for t in trials])
        rows.append(
            at_most(
                f"P3 fal requests per job, {label} ({seconds:g} s)",
                worst,
                4,
                "",
                baseline=f"{base:.0f}",
            )
        )
    everything = short + long
    posted = max(1000 * t.to_posted for t in everything)
    download = max(1000 * t.to_download for t in everything)
    rows.append(
        at_most(f"P3 fal completion → result posted, worst of {len(everything)}", posted, 100, "ms")
    )
    rows.append(
        info(
            "P3 fal completion → image download starts, worst",
            f"{download:.1f} ms",
            "–",
            f"{len(everything)} jobs",
        )
    )
    return rows
