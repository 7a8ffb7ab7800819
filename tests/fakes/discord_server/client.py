"""pytest helper: discord.py pointed at a FakeDiscord for one test."""

from __future__ import annotations

import discord
import pytest
import yarl

from tests.fakes.discord_server.server import FakeDiscord


def point_discord_at(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py's REST base (interaction webhooks included) and gateway URL at ``fake``,
    put back after the test."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_url)
    gateway = yarl.URL(fake.gateway_url)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)
