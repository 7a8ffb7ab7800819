"""The discord.py bot and the FrontEnd the composition root runs.

``ImageBot`` is a ``commands.Bot`` with default intents (no privileged ones: everything is a
slash command or a button). The core arrives through ``attach`` before ``run``; commands,
buttons and the schema sync are set up in ``setup_hook``, which discord.py awaits during
login, before any event is received.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from loguru import logger

from bot.core import texts
from bot.core.commands import AdminIds
from bot.core.router import CommandRouter
from bot.core.service import GenerationService
from bot.discord_adapter.admin_commands import AdminHandlers, NotAdmin, admin_commands
from bot.discord_adapter.buttons import DYNAMIC_ITEMS
from bot.discord_adapter.config import DiscordOptions
from bot.discord_adapter.context import Core
from bot.discord_adapter.handlers import Handlers
from bot.discord_adapter.notifier import DiscordNotifier
from bot.discord_adapter.replies import refuse
from bot.discord_adapter.sync import sync_if_changed
from bot.discord_adapter.user_commands import user_commands
from records import Platform


def error_text(error: app_commands.AppCommandError) -> str:
    """What the user reads when a command fails before or inside its handler."""
    if isinstance(error, NotAdmin):
        return texts.NOT_ADMIN
    if isinstance(error, app_commands.NoPrivateMessage):
        return texts.DISCORD_SERVER_ONLY
    if isinstance(error, app_commands.CheckFailure):
        return texts.NOT_ADMIN
    if isinstance(error, app_commands.TransformerError):
        return texts.DISCORD_BAD_OPTION.format(value=error.value)
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        logger.warning("Discord's copy of the commands is out of date: {}", error)
        return texts.DISCORD_ERROR
    logger.opt(exception=error).error("slash command failed")
    return texts.DISCORD_ERROR


class ImageTree(app_commands.CommandTree[Any]):
    """A command tree whose error handler always answers, privately."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await refuse(interaction, error_text(error))


class ImageBot(commands.Bot):
    """The Discord bot; see the module docstring."""

    def __init__(self, *, options: DiscordOptions) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            tree_cls=ImageTree,
            help_command=None,
        )
        self.options = options
        self.set_up = asyncio.Event()
        self.notifier = DiscordNotifier(
            client=self,
            interval=options.progress_interval,
            token_lifetime=options.token_lifetime,
        )
        self.core: Core | None = None
        self.handlers: Handlers | None = None

    def attach(self, core: Core) -> None:
        self.core = core

    async def setup_hook(self) -> None:
        if self.core is None:
            raise RuntimeError("attach the core before starting the Discord bot")
        self.handlers = Handlers(core=self.core, notifier=self.notifier, options=self.options)
        admin = AdminHandlers(core=self.core)
        for command in [*user_commands(self.handlers), *admin_commands(admin, self.core.admins)]:
            self.tree.add_command(command)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await sync_if_changed(self.tree, self.options.guild_ids, self.options.command_hash_file)
        self.set_up.set()  # logged in: REST calls (and so deliveries) work from here on

    async def close(self) -> None:
        await self.notifier.aclose()
        await super().close()


class DiscordFrontEnd:
    """``bot.core.ports.FrontEnd`` for Discord."""

    def __init__(self, *, token: str, options: DiscordOptions) -> None:
        self._token = token
        self.bot = ImageBot(options=options)

    @property
    def platform(self) -> Platform:
        return Platform.DISCORD

    @property
    def notifier(self) -> DiscordNotifier:
        return self.bot.notifier

    def attach(
        self, *, router: CommandRouter, service: GenerationService, admins: AdminIds
    ) -> None:
        self.bot.attach(Core(router=router, service=service, admins=admins))

    async def wait_ready(self) -> None:
        await self.bot.set_up.wait()

    async def run(self) -> None:
        """Connect and serve until cancelled; leaving closes the connection cleanly."""
        async with self.bot:
            await self.bot.start(self._token)
