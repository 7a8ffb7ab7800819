"""The README stays true: its command table, config table and test command match the code."""

import re
from pathlib import Path

from bot.core.router import USAGE
from bot.settings import Settings
from tests.test_settings import settings_keys

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def table(name: str) -> list[str]:
    block = README.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0]
    return [row for row in block.splitlines() if row.startswith("| `")]


def test_command_table_matches_the_router() -> None:
    rows = table("commands")
    commands = {re.match(r"\| `/(\w+)", row)[1] for row in rows}  # type: ignore[index]
    assert commands == set(USAGE)


def test_config_table_lists_every_key() -> None:
    keys = {re.match(r"\| `([\w.]+)`", row)[1] for row in table("config")}  # type: ignore[index]
    assert keys == settings_keys(Settings)


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"```bash\n(python3 -m venv .*pytest)\n```", README)
    assert command is not None
    assert command[1] in (ROOT / ".ci" / "run").read_text()
