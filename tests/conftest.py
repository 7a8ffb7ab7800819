"""Shared test set-up: no real secrets or operator config leak into a test run."""

import os

import pytest

CONFIG_ENV = ("FAL_KEY", "DISCORD_TOKEN", "TELEGRAM_TOKEN", "BOT_CONFIG")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name in CONFIG_ENV or name.startswith("BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
