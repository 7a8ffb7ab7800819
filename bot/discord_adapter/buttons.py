"""Result buttons that survive restarts: DynamicItems whose custom_id carries the job.

``ib:rr:<job>:<owner>`` 🔁 re-roll, ``ib:va:<job>:<index>:<owner>`` 🎨 variations of one
image, ``ib:del:<job>:<owner>`` 🗑 delete. The owner's id in the custom_id answers a
stranger at once (no database work before the acknowledgement); the core still checks
ownership of the job itself. The work is done by the bot's ``Handlers``, reached through
``interaction.client`` because a DynamicItem is rebuilt from its custom_id alone.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any, Protocol, Self

import discord

from bot.core import texts
from records import Job

JOB = r"(?P<job>[\w-]{1,40})"
OWNER = r"(?P<owner>\d{1,20})"
Button = discord.ui.Button[discord.ui.View]


class ButtonActions(Protocol):
    """What the buttons call (``handlers.Handlers``)."""

    async def press(self, interaction: discord.Interaction, action: Awaitable[None]) -> None: ...

    async def reroll(self, interaction: discord.Interaction, job_id: str, owner: int) -> None: ...

    async def vary(
        self, interaction: discord.Interaction, job_id: str, index: int, owner: int
    ) -> None: ...

    async def delete(self, interaction: discord.Interaction, owner: int) -> None: ...


def handlers_of(interaction: discord.Interaction) -> ButtonActions:
    handlers: ButtonActions | None = getattr(interaction.client, "handlers", None)
    if handlers is None:
        raise RuntimeError("a button was pressed before the Discord front end was set up")
    return handlers


class RerollButton(discord.ui.DynamicItem[Button], template=rf"ib:rr:{JOB}:{OWNER}"):
    """🔁 the same request with a new seed (owner only)."""

    def __init__(self, job_id: str, owner: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="🔁",
                label=texts.DISCORD_REROLL,
                row=0,
                custom_id=f"ib:rr:{job_id}:{owner}",
                style=discord.ButtonStyle.secondary,
            )
        )
        self.job_id, self.owner = job_id, owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["job"], int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        handlers = handlers_of(interaction)
        await handlers.press(interaction, handlers.reroll(interaction, self.job_id, self.owner))


class VaryButton(discord.ui.DynamicItem[Button], template=rf"ib:va:{JOB}:(?P<index>\d):{OWNER}"):
    """🎨 N: image-to-image of result image N (owner only)."""

    def __init__(self, job_id: str, index: int, owner: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="🎨",
                label=texts.DISCORD_VARY.format(number=index + 1),
                row=1,
                custom_id=f"ib:va:{job_id}:{index}:{owner}",
                style=discord.ButtonStyle.secondary,
            )
        )
        self.job_id, self.index, self.owner = job_id, index, owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["job"], int(match["index"]), int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        handlers = handlers_of(interaction)
        action = handlers.vary(interaction, self.job_id, self.index, self.owner)
        await handlers.press(interaction, action)


class DeleteButton(discord.ui.DynamicItem[Button], template=rf"ib:del:{JOB}:{OWNER}"):
    """🗑 delete the result (owner, or members who may manage messages)."""

    def __init__(self, job_id: str, owner: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="🗑",
                label=texts.DISCORD_DELETE,
                row=0,
                custom_id=f"ib:del:{job_id}:{owner}",
                style=discord.ButtonStyle.secondary,
            )
        )
        self.job_id, self.owner = job_id, owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["job"], int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        handlers = handlers_of(interaction)
        await handlers.press(interaction, handlers.delete(interaction, self.owner))


DYNAMIC_ITEMS = (RerollButton, VaryButton, DeleteButton)


def result_view(job: Job, indices: list[int]) -> discord.ui.View:
    """The buttons under a result: re-roll and delete, then one 🎨 per image posted."""
    owner = int(job.user.user_id)
    view = discord.ui.View(timeout=None)
    view.add_item(RerollButton(job.id, owner))
    view.add_item(DeleteButton(job.id, owner))
    for index in indices:
        view.add_item(VaryButton(job.id, index, owner))
    return view
