"""``python -m bench [--quick] [--only P1,P3]``: the bot against its baselines, one table.

Every figure runs on loopback fakes (fal, Discord, Telegram in a child process, see
``bench.fakehost``); nothing leaves 127.0.0.1. The table lists the bot's value, the
baseline's, the goal and whether it was met, then the machine and the run's parameters.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
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
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="write a pyinstrument profile of each figure's run to DIR (pip install -e '.[bench]')",
    )
    args = parser.parse_args(argv)
    args.only = [f.strip().upper() for f in args.only.split(",") if f.strip()]
    unknown = set(args.only) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(sorted(unknown))}")
    return args


@dataclass(frozen=True)
class Plan:
    """The run's parameters, one set per figure (printed under the table)."""

    p1: p1_e2e.P1Options
    p2: p2_defer.P2Options
    p3: p3_requests.P3Options
    p4: p4_ledger.P4Options
    p5: p5_memory.P5Options
    p6: p6_lifecycle.P6Options


def plan(quick: bool) -> Plan:
    return Plan(
        p1=p1_e2e.P1Options(trials=1 if quick else 5, jobs=200, users=50, rounds=1 if quick else 3),
        p2=p2_defer.P2Options(commands=300, rate=300.0, at_once=not quick),
        p3=p3_requests.P3Options(short=0.5, long=4.0 if quick else 30.0, trials=1 if quick else 3),
        p4=p4_ledger.P4Options(pairs=300 if quick else 1000, workers=16),
        p5=p5_memory.P5Options(
            queued=300 if quick else 1000,
            finished=300 if quick else 5000,
            warm=300 if quick else 1000,
        ),
        p6=p6_lifecycle.P6Options(starts=1 if quick else 3, in_flight=8 if quick else 20),
    )


Figure = Callable[[FakeHost, Path], Awaitable[list[Row]]]


def figures(o: Plan) -> dict[str, Figure]:
    return {
        "P1": lambda h, w: p1_e2e.run(h, w, o.p1),
        "P2": lambda h, w: p2_defer.run(h, w, o.p2),
        "P3": lambda h, w: p3_requests.run(h, w, o.p3),
        "P4": lambda h, w: p4_ledger.run(w, o.p4),
        "P5": lambda h, w: p5_memory.run(h, w, o.p5),
        "P6": lambda h, w: p6_lifecycle.run(h, w, o.p6),
    }


async def measure(
    only: list[str], options: Plan, workdir: Path, profile: Path | None = None
) -> list[Row]:
    rows: list[Row] = []
    runs = figures(options)
    async with fake_host(workdir / "fakes.log") as host:
        for name in only:
            started = time.monotonic()
            print(f"{name} …", file=sys.stderr, flush=True)
            try:
                with profiled(profile, name):
                    rows += await runs[name](host, workdir / name.lower())
            except Exception as error:  # one broken figure must not hide the others
                rows.append(failed(name, error))
            print(f"{name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return rows


@contextlib.contextmanager
def profiled(directory: Path | None, name: str) -> Iterator[None]:
    """Sample this process (the bot and the baselines; the fakes run elsewhere) while a
    figure runs; write where the time went to ``directory/<name>.txt`` and the whole
    session to ``<name>.pyisession`` (``pyinstrument --load <file> --show-all`` opens it)."""
    if directory is None:
        yield
        return
    from pyinstrument import Profiler

    directory.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        (directory / f"{name}.txt").write_text(profiler.output_text(show_all=False))
        if (session := profiler.last_session) is not None:
            session.save(str(directory / f"{name}.pyisession"))
        print(f"{name} profile: {directory / name}.txt", file=sys.stderr, flush=True)


def parameters(args: argparse.Namespace, options: Plan) -> list[str]:
    mode = "quick" if args.quick else "full"
    return [
        f"`python -m bench{' --quick' if args.quick else ''}` ({mode} run), "
        f"os.cpu_count() = {os.cpu_count()}"
    ] + [f"{name}: {getattr(options, name.lower())}" for name in FIGURES if name in args.only]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    options = plan(args.quick)
    workdir = Path(tempfile.mkdtemp(prefix="imagebot-bench-"))
    for name in args.only:
        (workdir / name.lower()).mkdir(parents=True, exist_ok=True)
    quiet_logs(workdir / "bot.log")
    if args.profile:  # P5's children trace their memory (bench.p5_memory)
        os.environ["BENCH_PROFILE_DIR"] = str(args.profile.resolve())
    rows = asyncio.run(measure(args.only, options, workdir, args.profile))
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(render(rows, parameters(args, options), when))
    print(f"(work directory: {workdir})" if args.keep else "", file=sys.stderr)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r.passed is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
