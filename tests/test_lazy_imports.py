"""A chat library is imported only for a front end that is configured (start-up time)."""

from __future__ import annotations

import subprocess
import sys

from tests.subprocess_bot import ROOT


def test_the_composition_root_loads_no_chat_library_by_itself() -> None:
    code = "import sys, bot.app; print(sorted({'discord', 'telegram'} & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
