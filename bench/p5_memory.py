"""P5: the bot's resident memory with jobs queued, and its growth as jobs finish.

Each figure runs in a child process of its own (``python -m bench.p5_memory …``), so
the bench's own memory is not counted: the real app (``build_app``, Discord front end
logged in against the fake) receives its jobs as injected /imagine interactions. RSS is
VmRSS from /proc/self/status after ``gc.collect()``.

- queued: fal takes 10 minutes per job, the runner runs 4; ``queued`` jobs are sent,
  300 a second (P2's burst).
- finished: jobs finish in moments, 16 at a time, in waves of 100 users; ``warm`` warm
  up (pools, caches: RSS climbs for ~1,500 jobs, then stays flat), then RSS; then
  ``finished`` more, then RSS again. The goal is set for 5,000: a shorter run is shown
  for information.

With ``python -m bench --profile DIR`` the child also traces allocations (tracemalloc)
and writes where the memory is at each reading: ``DIR/P5-queued.txt`` (the biggest
allocation sites with the jobs queued) and ``DIR/P5-finished.txt`` (what grew between
the two readings).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.botrun import DiscordBot, bot_settings, discord_bot, imagine, people, quiet_logs
from bench.hostclient import ROOT, FakeHost, clean_environment
from bench.p2_defer import inject_all
from bench.report import Row, at_most, info

WAVE = 100  # users, one job each per wave
RATE = 300.0  # interactions per second, as in P2
PROFILE_ENV = "BENCH_PROFILE_DIR"  # set by ``python -m bench --profile DIR``
TOP = 25  # allocation sites listed


@dataclass(frozen=True)
class P5Options:
    queued: int
    finished: int
    warm: int = 1000  # jobs before the first reading (RSS climbs for ~1,500, then is flat)


def rss_mb() -> float:
    gc.collect()
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def memory_report(
    name: str, snapshot: tracemalloc.Snapshot, before: tracemalloc.Snapshot | None = None
) -> None:
    """The biggest allocation sites (or, given ``before``, the biggest growth) into
    ``$BENCH_PROFILE_DIR/<name>.txt``, when profiling."""
    directory = os.environ.get(PROFILE_ENV)
    if not directory or not tracemalloc.is_tracing():
        return
    stats = snapshot.compare_to(before, "lineno") if before else snapshot.statistics("lineno")
    lines = [str(stat) for stat in stats[:TOP]]
    total = sum(stat.size for stat in snapshot.statistics("filename")) / 1e6
    Path(directory, f"{name}.txt").write_text(f"traced: {total:.1f} MB\n" + "\n".join(lines))


def traced() -> tracemalloc.Snapshot | None:
    return tracemalloc.take_snapshot() if tracemalloc.is_tracing() else None


async def queued(host: FakeHost, workdir: Path, count: int) -> dict[str, float]:
    settings = bot_settings(
        host,
        workdir,
        front="discord",
        credits={"initial": 100_000},
        limits={"global_concurrency": 4, "per_user_in_flight": count, "requests_per_minute": 1000},
    )
    async with discord_bot(host, settings) as bot:
        idle = rss_mb()
        persons = people(WAVE, first=860_000_000_000_000_000)
        payloads = [imagine(persons[n % WAVE], f"fox {n}") for n in range(count)]
        await inject_all(bot, payloads, RATE)
        await host.discord("callbacks", count, 120)
        async with asyncio.timeout(120):
            while True:
                if bot.app.runner.waiting >= count - 4:
                    break
                await asyncio.sleep(0.1)
        await asyncio.sleep(2.5)  # status edits settle (one per job, 2 s apart at most)
        rss = rss_mb()
        if (snapshot := traced()) is not None:
            memory_report("P5-queued", snapshot)
        return {"idle": idle, "rss": rss, "waiting": bot.app.runner.waiting}


async def wave(host: FakeHost, bot: DiscordBot, persons: list[Any], n: int) -> None:
    for person in persons:
        bot.inject(imagine(person, f"fox {n}"))
    await host.discord("results", len(persons), 120)
    await bot.idle()
    await host.reset()


async def finished(host: FakeHost, workdir: Path, count: int, warm: int) -> dict[str, float]:
    settings = bot_settings(
        host,
        workdir,
        front="discord",
        credits={"initial": 1_000_000},
        limits={"global_concurrency": 16, "per_user_in_flight": 4, "requests_per_minute": 1000},
    )
    persons = people(WAVE, first=870_000_000_000_000_000)
    async with discord_bot(host, settings) as bot:
        for n in range(warm // WAVE):
            await wave(host, bot, persons, n)
        before, start = rss_mb(), traced()
        for n in range(count // WAVE):
            await wave(host, bot, persons, warm // WAVE + n)
        after = rss_mb()
        if start is not None and (end := traced()) is not None:
            memory_report("P5-finished", end, before=start)
        return {"before": before, "after": after}


async def child(mode: str, urls: dict[str, str], workdir: Path, count: int, warm: int) -> None:
    quiet_logs(workdir / "bot.log")
    if os.environ.get(PROFILE_ENV):
        tracemalloc.start(1)
    async with httpx.AsyncClient(base_url=urls["control"]) as http:
        host = FakeHost(urls, http)
        if mode == "queued":
            figures = await queued(host, workdir, count)
        else:
            figures = await finished(host, workdir, count, warm)
    print(json.dumps(figures), flush=True)


async def in_child(
    host: FakeHost, workdir: Path, mode: str, count: int, warm: int = 0
) -> dict[str, float]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.p5_memory",
        mode,
        json.dumps(host.urls),
        str(workdir),
        str(count),
        str(warm),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=clean_environment(),
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"memory child ({mode}) exited {process.returncode}")
    figures: dict[str, float] = json.loads(out.decode().strip().splitlines()[-1])
    return figures


async def run(host: FakeHost, workdir: Path, options: P5Options) -> list[Row]:
    await host.configure_fal(inference_seconds=600.0, queue_steps=1)
    held = await in_child(host, workdir / "queued", "queued", options.queued)
    await host.reset()
    await host.configure_fal(inference_seconds=0.01, queue_steps=0)
    ran = await in_child(host, workdir / "finished", "finished", options.finished, options.warm)
    await host.configure_fal(inference_seconds=2.0, queue_steps=1)
    growth = ran["after"] - ran["before"]
    label = f"P5 RSS growth over {options.finished} finished jobs"
    start = f"{ran['before']:.1f} MB at start"
    grew = (
        at_most(label, growth, 5, "MB", baseline=start)
        if options.finished >= 5000
        else info(label, f"{growth:.1f} MB", start, "goal: ≤ 5 MB over 5,000")
    )
    label, idle = f"P5 RSS with {options.queued} jobs queued", f"{held['idle']:.1f} MB idle"
    resident = (
        at_most(label, held["rss"], 150, "MB", baseline=idle)
        if options.queued >= 1000
        else info(label, f"{held['rss']:.1f} MB", idle, "goal: ≤ 150 MB with 1,000")
    )
    return [
        resident,
        grew,
        info("P5 waiting in the runner's queue", f"{held['waiting']:.0f}", "–", ""),
    ]


if __name__ == "__main__":
    where = Path(sys.argv[3])
    where.mkdir(parents=True, exist_ok=True)
    asyncio.run(
        child(sys.argv[1], json.loads(sys.argv[2]), where, int(sys.argv[4]), int(sys.argv[5]))
    )
