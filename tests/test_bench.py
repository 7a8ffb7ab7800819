"""``python -m bench`` as the README runs it: one figure, the table, the exit status.

The figures themselves are measured, not asserted (they vary with the machine); this
checks that the command runs the bot and its baseline side by side and prints what the
issue asks for: the value, the baseline, the goal, the machine's cores and the run's
parameters, and that its exit status says whether the goals were met.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )


@pytest.mark.slow
def test_one_figure_prints_bot_baseline_goal_machine_and_parameters() -> None:
    run = bench("--quick", "--only", "P4")
    rows = [line for line in run.stdout.splitlines() if line.startswith("| P4 pairs/s")]
    assert len(rows) == 1, run.stdout + run.stderr
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    bot, base = (float(cell.removesuffix(" /s")) for cell in cells[1:3])
    goal, ratio, verdict = cells[3], float(cells[4]), cells[5]
    assert goal == "≥ 0.3" and ratio == pytest.approx(bot / base, abs=0.002)
    assert verdict == ("✓" if ratio >= 0.3 else "✗")
    assert run.returncode == (0 if verdict == "✓" else 1)  # the exit status tells
    assert f"Machine: {os.cpu_count()} cores" in run.stdout
    assert "`python -m bench --quick` (quick run)" in run.stdout
    assert "P4: P4Options(pairs=300, workers=16)" in run.stdout
    assert "| P1 " not in run.stdout and "| P5 " not in run.stdout  # --only: P4 alone


def test_an_unknown_figure_is_refused_with_a_message() -> None:
    run = bench("--only", "P4,P9")
    assert run.returncode == 2 and "unknown figure(s): P9" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_readme_performance_table_names_every_figure_and_the_command() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Performance")[1].split("\n## ")[0]
    assert ".venv/bin/python -m bench " in section and "--profile" in section
    goals = re.findall(r"^\| (P\d) [^|]*\|[^|]*\|[^|]*\| ([^|]+) \|[^|]*\| ✓ \|$", section, re.M)
    assert {figure for figure, _ in goals} == {"P1", "P2", "P3", "P4", "P5", "P6"}
    assert "✗" not in section  # the table as last measured met every goal
