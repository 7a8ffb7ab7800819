"""Answering an interaction: defer first, then the answer, or a refusal only the caller sees.

Discord wants a first response within 3 s, so every handler calls ``defer`` before any
database or network work. ``interaction.extras["deferred"]`` remembers how, because a
refusal after a public "thinking…" message must delete it and answer ephemerally instead.
"""

from __future__ import annotations

import contextlib

import discord
from loguru import logger

from bot.core.commands import Reply
from bot.core.present import cut

CONTENT_LIMIT = 2000
PRIVATE, PUBLIC, UPDATE = "private", "public", "update"


async def defer(interaction: discord.Interaction, *, private: bool) -> bool:
    """Acknowledge with "thinking…"; False when Discord refused (too late, or a replay)."""
    try:
        await interaction.response.defer(thinking=True, ephemeral=private)
    except discord.HTTPException as error:
        logger.warning("interaction {} not acknowledged: {}", interaction.id, error)
        return False
    interaction.extras["deferred"] = PRIVATE if private else PUBLIC
    return True


async def defer_update(interaction: discord.Interaction) -> bool:
    """Acknowledge a button press without a new message."""
    try:
        await interaction.response.defer()
    except discord.HTTPException as error:
        logger.warning("interaction {} not acknowledged: {}", interaction.id, error)
        return False
    interaction.extras["deferred"] = UPDATE
    return True


async def answer(interaction: discord.Interaction, text: str) -> None:
    """Replace the deferred "thinking…" message with ``text``."""
    await interaction.edit_original_response(content=cut(text, CONTENT_LIMIT))


async def refuse(interaction: discord.Interaction, text: str) -> None:
    """One message only the caller sees, whatever was sent before; never raises."""
    text = cut(text, CONTENT_LIMIT)
    deferred = interaction.extras.get("deferred")
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)
        elif deferred == PRIVATE:
            await interaction.edit_original_response(content=text)
        elif deferred == PUBLIC:
            with contextlib.suppress(discord.HTTPException):  # then the followup replaces it
                await interaction.delete_original_response()
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException as error:
        logger.warning("could not answer interaction {}: {}", interaction.id, error)


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    """A core ``Reply`` after ``defer``: shown when it succeeded, else a private refusal."""
    if reply.ok:
        await answer(interaction, reply.text)
    else:
        await refuse(interaction, reply.text)
