"""Syncing the command tree only when its schema changed (Discord limits daily creates).

The schema is serialised offline (``to_dict``, no HTTP); its SHA-256, together with where
it goes (the configured guilds, or global), is kept in a small file. A start with the same
hash makes no request at all; a failed sync leaves the file alone, so the next start
tries again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from loguru import logger


def command_schema(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """The global commands as Discord receives them, sorted by name."""
    commands = [command.to_dict(tree) for command in tree.get_commands()]
    return sorted(commands, key=lambda command: str(command["name"]))


def schema_hash(schema: list[dict[str, Any]], guild_ids: Sequence[int]) -> str:
    text = json.dumps({"commands": schema, "guilds": sorted(guild_ids)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _stored(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    return path.read_text(encoding="utf-8").strip()


def _store(path: Path | None, digest: str) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(digest + "\n", encoding="utf-8")
    partial.replace(path)


async def _push(tree: app_commands.CommandTree[Any], guild_ids: Sequence[int]) -> None:
    if not guild_ids:
        await tree.sync()
        return
    for guild_id in guild_ids:
        guild = discord.Object(guild_id)
        tree.copy_global_to(guild=guild)
        await tree.sync(guild=guild)


async def sync_if_changed(
    tree: app_commands.CommandTree[Any], guild_ids: Sequence[int], hash_file: Path | None
) -> bool:
    """Sync when the schema's hash differs from the stored one; True when it synced."""
    digest = schema_hash(command_schema(tree), guild_ids)
    if _stored(hash_file) == digest:
        logger.debug("slash commands unchanged; not syncing")
        return False
    try:
        await _push(tree, guild_ids)
    except discord.HTTPException as error:
        logger.error("could not sync slash commands (will retry at next start): {}", error)
        return False
    _store(hash_file, digest)
    logger.info("slash commands synced to {}", list(guild_ids) or "all servers")
    return True
