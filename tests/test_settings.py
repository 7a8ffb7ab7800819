"""Settings: sources and precedence, the example config, and one-line config errors."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.settings import Settings, config_path, load_settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"
KEY_LINE = re.compile(r"^(?:# )?([a-z_]+|\"[^\"]+\") = ")
SECTION_LINE = re.compile(r"^\[([a-z_.]+)\]$")


def settings_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            keys |= settings_keys(kind, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def example_keys() -> tuple[set[str], list[str]]:
    """Keys the example documents, and the keys that lack a comment line above them."""
    leaves = settings_keys(Settings)
    keys: set[str] = set()
    undocumented: list[str] = []
    section, previous = "", ""
    for line in EXAMPLE.read_text().splitlines():
        if match := SECTION_LINE.match(line):
            section = match[1]
            if section in leaves:  # a map such as [fal.loras]: its entries are free-form
                keys.add(section)
        elif (match := KEY_LINE.match(line)) and section not in leaves:
            key = f"{section}.{match[1]}"
            keys.add(key)
            if not previous.startswith("#"):
                undocumented.append(key)
        previous = line
    return keys, undocumented


def test_example_config_documents_every_setting_and_nothing_else() -> None:
    documented, undocumented = example_keys()
    assert documented == settings_keys(Settings)
    assert undocumented == []


def test_example_config_values_are_the_defaults() -> None:
    assert load_settings(EXAMPLE).model_dump() == Settings().model_dump()


def test_environment_beats_toml_and_conventional_names_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[limits]\nglobal_concurrency = 3\n[fal]\nkey = "from-file"\n')
    monkeypatch.setenv("BOT_LIMITS__GLOBAL_CONCURRENCY", "9")
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:telegram")
    settings = load_settings(config)
    assert settings.limits.global_concurrency == 9
    assert settings.fal.key is not None and settings.fal.key.get_secret_value() == "from-file"
    assert settings.telegram.token is not None
    assert "123:telegram" not in repr(settings)
    monkeypatch.setenv("FAL_KEY", "from-env")
    assert load_settings(config).secrets() == ["from-env", "123:telegram"]


def test_config_file_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_path(None, {}) is None
    (tmp_path / "config.toml").write_text("")
    assert config_path(None, {}) == Path("config.toml")
    assert config_path(None, {"BOT_CONFIG": "/x.toml"}) == Path("/x.toml")
    assert config_path(Path("/y.toml"), {"BOT_CONFIG": "/x.toml"}) == Path("/y.toml")


def run_bot(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[limits]\nglobal_concurrency = 0\n", "config error: limits.global_concurrency: "),
        ("[fal]\nsteps = 3\n", "config error: fal.steps: Extra inputs are not permitted"),
        ("[fal.defaults]\nimage_size = 'huge'\n", "config error: fal.defaults.image_size: "),
        ("[limits\n", "config error: "),
    ],
)
def test_invalid_config_is_one_line_and_exit_2(tmp_path: Path, toml: str, expected: str) -> None:
    (tmp_path / "bad.toml").write_text(toml)
    result = run_bot("--config", "bad.toml", "console", cwd=tmp_path, env={"FAL_KEY": "k"})
    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_missing_fal_key_and_missing_front_end_exit_2(tmp_path: Path) -> None:
    console = run_bot("console", cwd=tmp_path)
    assert console.returncode == 2 and "FAL_KEY" in console.stderr
    run = run_bot(cwd=tmp_path, env={"FAL_KEY": "k"})
    assert run.returncode == 2
    assert "TELEGRAM_TOKEN" in run.stderr and "DISCORD_TOKEN" in run.stderr
