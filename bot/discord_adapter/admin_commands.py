"""Admin slash commands: /credits grant|revoke|set|show|ledger|refund, /ban, /unban, /stats.

Two locks: ``default_permissions`` (administrator) hides them from other members, but
server admins can change that, so a check also refuses anyone whose id is not in
``discord.admin_ids`` (and the core checks again). Answers are ephemeral; the interaction
id is the idempotency key, so a re-delivered interaction changes nothing twice. No
``from __future__ import annotations``: discord.py reads the annotations at run time.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.core import texts
from bot.core.admin import MAX_AMOUNT
from bot.core.commands import AdminIds, Caller, Reply
from bot.discord_adapter.context import Core, caller, event_key, user_ref
from bot.discord_adapter.replies import defer, send_reply
from bot.discord_adapter.user_commands import Command, described

T = TypeVar("T")
Call = Callable[[Caller, str], Awaitable[Reply]]
ADMINISTRATOR = discord.Permissions(administrator=True)


class NotAdmin(app_commands.CheckFailure):
    """The caller's id is not in ``discord.admin_ids``."""


def admin_only(admins: AdminIds) -> Callable[[T], T]:
    def predicate(interaction: discord.Interaction) -> bool:
        if user_ref(interaction.user) in admins:
            return True
        raise NotAdmin()

    return app_commands.check(predicate)


class AdminHandlers:
    """Defer privately, call the core's admin command, show its answer."""

    def __init__(self, *, core: Core) -> None:
        self._core = core
        self.admin = core.router.admin

    async def run(self, interaction: discord.Interaction, call: Call) -> None:
        if await defer(interaction, private=True):
            who = caller(interaction, self._core.admins)
            await send_reply(interaction, await call(who, event_key(interaction)))

    async def balance_line(self, who: Caller, user: str) -> Reply:
        """/credits show: the first line of the core's credits answer (no ledger rows)."""
        reply = await self.admin.credits(who, user)
        return replace(reply, text=reply.text.split("\n", 1)[0])


def _group(h: AdminHandlers, check: Callable[[Any], Any]) -> app_commands.Group:
    group = app_commands.Group(
        name="credits",
        description=texts.DISCORD_COMMANDS["credits"],
        default_permissions=ADMINISTRATOR,
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    a = h.admin

    @group.command(name="grant", description=texts.DISCORD_COMMANDS["grant"])
    @app_commands.describe(**described("user", "amount", "reason"))
    @check
    async def grant(
        interaction: discord.Interaction,
        user: discord.User,
        amount: app_commands.Range[int, 1, MAX_AMOUNT],
        reason: str = "",
    ) -> None:
        await h.run(
            interaction, lambda c, e: a.grant(c, str(user.id), str(amount), reason, event=e)
        )

    @group.command(name="revoke", description=texts.DISCORD_COMMANDS["revoke"])
    @app_commands.describe(**described("user", "amount", "reason"))
    @check
    async def revoke(
        interaction: discord.Interaction,
        user: discord.User,
        amount: app_commands.Range[int, 1, MAX_AMOUNT],
        reason: str = "",
    ) -> None:
        await h.run(
            interaction, lambda c, e: a.revoke(c, str(user.id), str(amount), reason, event=e)
        )

    @group.command(name="set", description=texts.DISCORD_COMMANDS["set"])
    @app_commands.describe(**described("user", "amount", "reason"))
    @check
    async def set_credits(
        interaction: discord.Interaction,
        user: discord.User,
        amount: app_commands.Range[int, 0, MAX_AMOUNT],
        reason: str = "",
    ) -> None:
        await h.run(
            interaction, lambda c, e: a.set_credits(c, str(user.id), str(amount), reason, event=e)
        )

    _lookups(group, h, check)
    return group


def _lookups(group: app_commands.Group, h: AdminHandlers, check: Callable[[Any], Any]) -> None:
    @group.command(name="show", description=texts.DISCORD_COMMANDS["show"])
    @app_commands.describe(**described("user"))
    @check
    async def show(interaction: discord.Interaction, user: discord.User) -> None:
        await h.run(interaction, lambda c, e: h.balance_line(c, str(user.id)))

    @group.command(name="ledger", description=texts.DISCORD_COMMANDS["ledger"])
    @app_commands.describe(**described("user"))
    @check
    async def ledger(interaction: discord.Interaction, user: discord.User) -> None:
        await h.run(interaction, lambda c, e: h.admin.credits(c, str(user.id)))

    @group.command(name="refund", description=texts.DISCORD_COMMANDS["refund"])
    @app_commands.describe(**described("job", "reason"))
    @check
    async def refund(interaction: discord.Interaction, job: str, reason: str = "") -> None:
        await h.run(interaction, lambda c, e: h.admin.refund(c, job, reason, event=e))


def _moderation(h: AdminHandlers, check: Callable[[Any], Any]) -> list[Command]:
    def guarded(command: T) -> T:
        command = app_commands.default_permissions(administrator=True)(command)
        return app_commands.guild_only()(check(command))  # type: ignore[no-any-return]

    @app_commands.command(name="ban", description=texts.DISCORD_COMMANDS["ban"])
    @app_commands.describe(**described("user"))
    @guarded
    async def ban(interaction: discord.Interaction, user: discord.User) -> None:
        await h.run(interaction, lambda c, e: h.admin.ban(c, str(user.id), event=e))

    @app_commands.command(name="unban", description=texts.DISCORD_COMMANDS["unban"])
    @app_commands.describe(**described("user"))
    @guarded
    async def unban(interaction: discord.Interaction, user: discord.User) -> None:
        await h.run(interaction, lambda c, e: h.admin.unban(c, str(user.id), event=e))

    @app_commands.command(name="stats", description=texts.DISCORD_COMMANDS["stats"])
    @guarded
    async def stats(interaction: discord.Interaction) -> None:
        await h.run(interaction, lambda c, e: h.admin.stats(c))

    return [ban, unban, stats]


def admin_commands(h: AdminHandlers, admins: AdminIds) -> list[Command | app_commands.Group]:
    check = admin_only(admins)
    return [_group(h, check), *_moderation(h, check)]
