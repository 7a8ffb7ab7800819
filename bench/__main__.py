"""``python -m bench [--quick] [--only P1,P3]``: the bot against its baselines, one table.

Every figure runs on loopback fakes (fal, Discord, Telegram in a child process, see
``bench.fakehost``); nothing leaves 127.0.0.1. The table lists the bot's value, the
baseline's, the goal and whether it was met, then the machine and the run's parameters.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import p1_e2e, p2_defer, p3_requests, p4_ledger, p5_memory, p6_lifecycle
from bench.botrun import quiet_logs
from bench.hostclient import FakeHost, fake_host
from bench.report import Row, failed, render

FIGURES = ("P1", "P2", "P3", "P4", "P5", "P6")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials and jobs (< 1 min)")
    parser.add_argument("--only", default=",".join(FIGURES), help="e.g. P1,P3")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    args.only = [f.strip().upper() for f in args.only.split(",") if f.strip()]
    unknown = set(args.only) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(sorted(unknown))}")
    return args


def plan(quick: bool) -> dict[str, object]:
    """The run's parameters (printed under the table)."""
    return {
        "p1": p1_e2e.P1Options(
            trials=1 if quick else 5, jobs=200, users=50, rounds=1 if quick else 3
        ),
        "p2": p2_defer.P2Options(commands=300, rate=300.0, at_once=not quick),
        "p3": p3_requests.P3Options(
            short=0.5, long=4.0 if quick else 30.0, trials=1 if quick else 3
        ),
        "p4": p4_ledger.P4Options(pairs=300 if quick else 1000, workers=16),
        "p5": p5_memory.P5Options(
            queued=300 if quick else 1000, finished=300 if quick else 5000,
            warm=300 if quick else 1000,
        ),
        "p6": p6_lifecycle.P6Options(starts=1 if quick else 3, in_flight=8 if quick else 20),
    }


Figure = Callable[[FakeHost, Path], Awaitable[list[Row]]]


def figures(options: dict[str, object]) -> dict[str, Figure]:
    o = options
    return {
        "P1": lambda h, w: p1_e2e.run(h, w, o["p1"]),  # type: ignore[arg-type]
        "P2": lambda h, w: p2_defer.run(h, w, o["p2"]),  # type: ignore[arg-type]
        "P3": lambda h, w: p3_requests.run(h, w, o["p3"]),  # type: ignore[arg-type]
        "P4": lambda h, w: p4_ledger.run(w, o["p4"]),  # type: ignore[arg-type]
        "P5": lambda h, w: p5_memory.run(h, w, o["p5"]),  # type: ignore[arg-type]
        "P6": lambda h, w: p6_lifecycle.run(h, w, o["p6"]),  # type: ignore[arg-type]
    }


async def measure(only: list[str], options: dict[str, object], workdir: Path) -> list[Row]:
    rows: list[Row] = []
    runs = figures(options)
    async with fake_host(workdir / "fakes.log") as host:
        for name in only:
            started = time.monotonic()
            print(f"{name} …", file=sys.stderr, flush=True)
            try:
                rows += await runs[name](host, workdir / name.lower())
            except Exception as error:  # one broken figure must not hide the others
                rows.append(failed(name, error))
            print(f"{name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return rows


def parameters(args: argparse.Namespace, options: dict[str, object]) -> list[str]:
    mode = "quick" if args.quick else "full"
    return [f"`python -m bench{' --quick' if args.quick else ''}` ({mode} run), "
            f"os.cpu_count() = {os.cpu_count()}"] + [
        f"{name.upper()}: {value}" for name, value in options.items()
        if name.upper() in args.only
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    options = plan(args.quick)
    workdir = Path(tempfile.mkdtemp(prefix="imagebot-bench-"))
    for name in args.only:
        (workdir / name.lower()).mkdir(parents=True, exist_ok=True)
    quiet_logs(workdir / "bot.log")
    rows = asyncio.run(measure(args.only, options, workdir))
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(render(rows, parameters(args, options), when))
    print(f"(work directory: {workdir})" if args.keep else "", file=sys.stderr)
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r.passed is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
