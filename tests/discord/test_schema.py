"""The slash-command schema Discord receives, and syncing it only when it changed.

``snapshots/commands.json`` is the committed schema (names, descriptions, typed options,
ranges, choices, autocomplete, admin permissions) for the test configuration. After an
intended change to the commands, regenerate it and review the diff before committing:

    UPDATE_DISCORD_SNAPSHOT=1 .venv/bin/python -m pytest tests/discord/test_schema.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.prompts import MAX_SEED, SIZES
from bot.discord_adapter.sync import command_schema
from bot.settings import Settings
from tests.discord.conftest import World, running
from tests.discord.payloads import GUILD
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.fal_server import FakeFal

SNAPSHOT = Path(__file__).parent / "snapshots" / "commands.json"
ADMIN_COMMANDS = {"credits", "ban", "unban", "stats"}


def stored_hash(settings: Settings) -> str | None:
    path = Path(settings.discord.command_hash_file)
    return path.read_text().strip() if path.is_file() else None


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


async def test_the_synced_schema_matches_the_committed_snapshot(world: World) -> None:
    (put,) = world.fake.calls("PUT", "/commands$")
    assert put.path.endswith("/applications/1100000000000000001/commands")  # global
    synced = sorted(put.json, key=lambda command: command["name"])
    assert synced == command_schema(world.bot.tree)
    if os.environ.get("UPDATE_DISCORD_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(synced, indent=2, ensure_ascii=False) + "\n")
    assert synced == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


async def test_the_schema_declares_types_ranges_choices_and_permissions(world: World) -> None:
    commands = by_name(command_schema(world.bot.tree))
    assert set(commands) == {"imagine", "edit", "balance", "history", "cancel", "help"} | (
        ADMIN_COMMANDS
    )
    imagine = by_name(commands["imagine"]["options"])
    assert [c["value"] for c in imagine["size"]["choices"]] == list(SIZES)
    assert [c["value"] for c in imagine["style"]["choices"]] == ["anime", "photo"]
    assert imagine["lora"]["autocomplete"] is True
    assert (imagine["seed"]["min_value"], imagine["seed"]["max_value"]) == (0, MAX_SEED)
    assert (imagine["count"]["min_value"], imagine["count"]["max_value"]) == (1, 4)
    assert (imagine["steps"]["min_value"], imagine["steps"]["max_value"]) == (1, 50)
    assert (imagine["lora_scale"]["min_value"], imagine["lora_scale"]["max_value"]) == (0, 4)
    assert [o["name"] for o in commands["imagine"]["options"] if o["required"]] == ["prompt"]
    edit = by_name(commands["edit"]["options"])
    assert edit["image"]["type"] == 11 and edit["image"]["required"]
    assert (edit["strength"]["min_value"], edit["strength"]["max_value"]) == (0.01, 1)
    for name, command in commands.items():
        admin = name in ADMIN_COMMANDS
        assert command.get("default_member_permissions") == (8 if admin else None), name
        assert (command.get("contexts") == [0]) is admin, name  # admin: servers only
    credits = by_name(commands["credits"]["options"])
    assert set(credits) == {"grant", "revoke", "set", "show", "ledger", "refund"}
    assert by_name(credits["set"]["options"])["amount"]["min_value"] == 0


async def test_commands_are_synced_only_when_the_schema_changes(
    settings_for: Callable[..., Settings], fake: FakeDiscord, fal: FakeFal
) -> None:
    settings = settings_for()
    for _ in range(2):
        async with running(settings, fake, fal):
            pass
    assert len(fake.calls("PUT", "/commands")) == 1
    digest = stored_hash(settings)
    assert digest is not None and len(digest) == 64

    changed = settings.model_copy(
        update={"prompts": settings.prompts.model_copy(update={"styles": {"ink": "{prompt}"}})}
    )
    async with running(changed, fake, fal):
        pass
    puts = fake.calls("PUT", "/commands")
    assert len(puts) == 2
    style = by_name(by_name(puts[-1].json)["imagine"]["options"])["style"]
    assert style["choices"] == [{"name": "ink", "value": "ink"}]


async def test_configured_guilds_get_the_commands_at_once(
    settings_for: Callable[..., Settings], fake: FakeDiscord, fal: FakeFal
) -> None:
    async with running(settings_for(guild_ids=[GUILD, GUILD + 1]), fake, fal):
        pass
    puts = fake.calls("PUT", "/commands")
    assert [p.path.split("/")[4] for p in puts] == [str(GUILD), str(GUILD + 1)]
    assert fake.commands[str(GUILD)] == fake.commands[str(GUILD + 1)]
    assert "global" not in fake.commands


async def test_a_failed_sync_is_tried_again_at_the_next_start(
    settings_for: Callable[..., Settings], fake: FakeDiscord, fal: FakeFal
) -> None:
    settings = settings_for()
    fake.fail("PUT", "/commands", 403, 50001, "Missing Access")
    async with running(settings, fake, fal) as world:
        assert world.bot.handlers is not None  # the bot runs without a synced schema
    assert stored_hash(settings) is None
    async with running(settings, fake, fal):
        pass
    assert [p.status for p in fake.calls("PUT", "/commands")] == [403, 200]
