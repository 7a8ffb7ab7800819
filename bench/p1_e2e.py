"""P1: chat command → image in the fake chat, against ``AsyncClient.subscribe()`` on the
same request and the same fake fal (2 s of inference).

One job: trials alternate bot and baseline (one warm-up each first, not counted); the
medians are compared. Load: ``jobs`` interactions from ``users`` users injected at once,
then as many concurrent ``subscribe()`` calls, taking turns ``rounds`` times; the 95th
percentiles of the pooled samples are compared. Both sides run in this process, the fakes
in another, so each is charged for its own client work: the bot for everything it does,
the baseline for polling every request's status ten times a second.
Telegram is measured for one job only: its Bot API allows a bot ~30 messages a second in
all, so 200 results at once would measure Telegram's limit, not the bot; Discord's
interaction webhooks are outside its global rate limit.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.botrun import (
    PROMPT,
    DiscordBot,
    baseline_client,
    bot_settings,
    discord_bot,
    imagine,
    people,
    submitted_request,
    telegram_bot,
    timed_subscribe,
)
from bench.hostclient import FakeHost
from bench.report import Row, info, median, percentile, ratio_row

WARM_INFERENCE = 0.2  # the warm-up job (first-use costs), not counted


@dataclass(frozen=True)
class P1Options:
    trials: int
    jobs: int
    users: int
    rounds: int


async def telegram_single(host: FakeHost, workdir: Path, trials: int) -> tuple[list[float], ...]:
    settings = bot_settings(host, workdir, front="telegram")
    bot_times: list[float] = []
    base_times: list[float] = []
    async with telegram_bot(host, settings) as app, baseline_client(host) as client:
        for trial in range(trials + 1):
            await host.reset()
            await host.configure_fal(inference_seconds=2.0 if trial else WARM_INFERENCE)
            text = f"/imagine {PROMPT}"
            sent = await host.telegram_send([{"user_id": 5000 + trial, "text": text}])
            photo = (await host.telegram("photos", 1, 60))[0]
            await asyncio.wait_for(app.runner.wait_idle(), 60)
            endpoint, payload = await submitted_request(host)
            base = await timed_subscribe(client, endpoint, payload)
            if trial:  # the first pair warms up
                bot_times.append(photo["at"] - sent[0]["at"])
                base_times.append(base)
    return bot_times, base_times


async def discord_single(host: FakeHost, bot: DiscordBot, trials: int) -> tuple[list[float], ...]:
    bot_times: list[float] = []
    base_times: list[float] = []
    async with baseline_client(host) as client:
        for trial, person in enumerate(people(trials + 1, first=810_000_000_000_000_000)):
            await host.reset()
            await host.configure_fal(inference_seconds=2.0 if trial else WARM_INFERENCE)
            payload = imagine(person)
            injected = bot.inject(payload)
            result = (await host.discord("results", 1, 60))[0]
            await bot.idle()
            endpoint, arguments = await submitted_request(host)
            base = await timed_subscribe(client, endpoint, arguments)
            if trial:
                bot_times.append(result["at"] - injected)
                base_times.append(base)
    return bot_times, base_times


async def bot_load(
    host: FakeHost, bot: DiscordBot, jobs: int, users: int, round_: int
) -> tuple[list[float], list[float], float]:
    """E2E seconds per job, fal completion → result posted per job, the bot's CPU seconds."""
    await host.reset()
    persons = people(users, first=820_000_000_000_000_000 + 1000 * round_)
    payloads = [imagine(persons[i % users], f"{PROMPT} #{i}") for i in range(jobs)]
    cpu = time.process_time()
    injected = {p["token"]: bot.inject(p) for p in payloads}
    results = await host.discord("results", jobs, 120)
    await bot.idle()
    cpu = time.process_time() - cpu
    times = [r["at"] - injected[r["token"]] for r in results if r["token"] in injected]
    stats = await host.fal_stats()
    posted = {r["token"]: r["at"] for r in results}
    lags = []
    for payload in payloads:
        job = await bot.app.jobs.by_event(f"discord:{payload['id']}")
        done = stats["completed_at"].get(job.request_id) if job and job.request_id else None
        if done is not None and payload["token"] in posted:
            lags.append(posted[payload["token"]] - done)
    return times, lags, cpu


async def baseline_load(host: FakeHost, jobs: int) -> tuple[list[float], float]:
    """Seconds per ``subscribe()``, ``jobs`` at once, and the CPU seconds they took."""
    endpoint, arguments = await submitted_request(host)
    async with baseline_client(host) as client:
        await timed_subscribe(client, endpoint, arguments)  # warm-up
        cpu = time.process_time()
        times = await asyncio.gather(
            *(timed_subscribe(client, endpoint, arguments) for _ in range(jobs))
        )
        return list(times), time.process_time() - cpu


@dataclass
class Load:
    bot: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    bot_cpu: float = 0.0
    base_cpu: float = 0.0


async def under_load(host: FakeHost, bot: DiscordBot, options: P1Options) -> Load:
    """Bot and baseline take turns, ``rounds`` times each; all their samples pooled."""
    load = Load()
    for round_ in range(options.rounds):
        times, lags, cpu = await bot_load(host, bot, options.jobs, options.users, round_)
        load.bot += times
        load.lags += lags
        load.bot_cpu += cpu
        base, base_cpu = await baseline_load(host, options.jobs)
        load.base += base
        load.base_cpu += base_cpu
    return load


async def run(host: FakeHost, workdir: Path, options: P1Options) -> list[Row]:
    await host.configure_fal(inference_seconds=2.0, queue_steps=1)
    rows: list[Row] = []
    tg_bot, tg_base = await telegram_single(host, workdir / "p1-telegram", options.trials)
    rows.append(
        ratio_row(
            f"P1 one job, Telegram (median of {options.trials})",
            median(tg_bot),
            median(tg_base),
            1.02,
        )
    )
    per_user = math.ceil(options.jobs / options.users)
    settings = bot_settings(
        host,
        workdir / "p1-discord",
        front="discord",
        limits={
            "global_concurrency": options.jobs,
            "per_user_in_flight": per_user,
            "requests_per_minute": max(10, per_user),
        },
        credits={"initial": 10_000},
    )
    async with discord_bot(host, settings) as bot:
        dc_bot, dc_base = await discord_single(host, bot, options.trials)
        rows.append(
            ratio_row(
                f"P1 one job, Discord (median of {options.trials})",
                median(dc_bot),
                median(dc_base),
                1.02,
            )
        )
        load = await under_load(host, bot, options)
    n, samples = options.jobs, options.jobs * options.rounds
    label = f"P1 {n} jobs / {options.users} users, Discord, p95 of {options.rounds} runs"
    rows.append(ratio_row(label, percentile(load.bot, 0.95), percentile(load.base, 0.95), 1.05))
    rows.append(
        info(
            f"P1 {n} jobs: median / max",
            f"{median(load.bot):.3f} / {max(load.bot, default=math.nan):.3f} s",
            f"{median(load.base):.3f} / {max(load.base):.3f} s",
            f"{len(load.bot)}/{samples} delivered",
        )
    )
    rows.append(
        info(
            f"P1 {n} jobs: CPU seconds per run",
            f"{load.bot_cpu / options.rounds:.2f} s",
            f"{load.base_cpu / options.rounds:.2f} s",
            "bench process",
        )
    )
    rows.append(
        info(
            f"P1 {n} jobs: fal completion → posted, p95",
            f"{1000 * percentile(load.lags, 0.95):.0f} ms",
            "–",
            f"{len(load.lags)} jobs",
        )
    )
    return rows
