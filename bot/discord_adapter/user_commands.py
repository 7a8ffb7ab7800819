"""The user slash commands' schema: names, typed options, choices and autocomplete.

Ranges and choices tell Discord's client what to offer; they are not trusted. Every value
is passed on as a prompt flag and checked again by the core, with the core's messages.
This module has no ``from __future__ import annotations``: discord.py reads the option
annotations at run time.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.core import texts
from bot.core.prompts import MAX_SEED, SIZES
from bot.discord_adapter.flags import PromptOptions
from bot.discord_adapter.handlers import MAX_CHOICES, Handlers

Command = app_commands.Command[Any, ..., Any]


def described(*names: str) -> dict[str, str]:
    return {name: texts.DISCORD_OPTIONS[name] for name in names}


def choices(values: Sequence[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=value, value=value) for value in values[:MAX_CHOICES]]


def imagine_command(h: Handlers) -> Command:
    @app_commands.command(name="imagine", description=texts.DISCORD_COMMANDS["imagine"])
    @app_commands.describe(
        **described(
            "prompt", "negative", "size", "style", "lora", "lora_scale", "seed", "count", "steps"
        )
    )
    @app_commands.choices(size=choices(SIZES), style=choices(h.style_names))
    async def imagine(
        interaction: discord.Interaction,
        prompt: str,
        negative: str | None = None,
        size: str | None = None,
        style: str | None = None,
        lora: str | None = None,
        lora_scale: app_commands.Range[float, 0.0, 4.0] | None = None,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
        count: app_commands.Range[int, 1, 4] | None = None,
        steps: app_commands.Range[int, 1, 50] | None = None,
    ) -> None:
        options = PromptOptions(negative, size, style, lora, lora_scale, seed, count, steps)
        await h.imagine(interaction, prompt, options)

    @imagine.autocomplete("lora")
    async def loras(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return h.lora_choices(current)

    return imagine


def edit_command(h: Handlers) -> Command:
    @app_commands.command(name="edit", description=texts.DISCORD_COMMANDS["edit"])
    @app_commands.describe(**described("image", "prompt", "strength", "lora", "seed"))
    async def edit(
        interaction: discord.Interaction,
        image: discord.Attachment,
        prompt: str,
        strength: app_commands.Range[float, 0.01, 1.0] | None = None,
        lora: str | None = None,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
    ) -> None:
        options = PromptOptions(lora=lora, seed=seed, strength=strength)
        await h.edit(interaction, image, prompt, options)

    @edit.autocomplete("lora")
    async def loras(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return h.lora_choices(current)

    return edit


def cancel_command(h: Handlers) -> Command:
    @app_commands.command(name="cancel", description=texts.DISCORD_COMMANDS["cancel"])
    @app_commands.describe(**described("job"))
    async def cancel(interaction: discord.Interaction, job: str | None = None) -> None:
        await h.cancel(interaction, job)

    return cancel


def plain_command(name: str, run: Callable[[discord.Interaction], Awaitable[None]]) -> Command:
    """A command without options (/balance, /history, /help)."""

    async def callback(interaction: discord.Interaction) -> None:
        await run(interaction)

    return app_commands.Command(
        name=name, description=texts.DISCORD_COMMANDS[name], callback=callback
    )


def plain_commands(h: Handlers) -> list[Command]:
    calls = {"balance": h.balance, "history": h.history, "help": h.help}
    return [plain_command(name, call) for name, call in calls.items()]


def user_commands(h: Handlers) -> list[Command]:
    return [imagine_command(h), edit_command(h), *plain_commands(h), cancel_command(h)]
