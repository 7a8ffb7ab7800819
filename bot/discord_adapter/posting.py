"""Posting one message about a job, by whichever way still reaches the user.

Routes, in order: edit the interaction's original response (while its token lives), a
message in the channel with the bot's own token (mentioning the user), a DM to the user.
A route that fails is not tried again for that job.

Errors::

    TooLarge                413 / 40005 on any route: the caller retries with smaller files
    DeliveryFailed (core)   no route left: the webhook is gone, the channel deleted or
                            closed to the bot, and the user unreachable (left, DMs closed)
    discord.HTTPException   anything else from the channel or DM route
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

import discord
from loguru import logger

from bot.core import texts
from bot.core.ports import DeliveryFailed
from bot.discord_adapter.context import Origin

# Discord takes "@original" where an interaction webhook expects a message id.
ORIGINAL = cast(int, "@original")
MENTION_USERS = discord.AllowedMentions(everyone=False, roles=False, users=True)
GONE = frozenset({403, 404})


class Route(Enum):
    WEBHOOK = "webhook"
    CHANNEL = "channel"
    DM = "dm"


class TooLarge(Exception):
    """Discord refused the upload as too large (413)."""


@dataclass(frozen=True)
class Outgoing:
    """One message to post; files are bytes so every try gets fresh ``discord.File``s."""

    text: str | None = None
    embed: discord.Embed | None = None
    files: Sequence[tuple[str, bytes]] = ()
    view: discord.ui.View | None = None

    def discord_files(self) -> list[discord.File]:
        return [discord.File(io.BytesIO(data), filename=name) for name, data in self.files]


class Poster:
    """Posts a job's messages for one delivery; see the module docstring."""

    def __init__(self, *, client: discord.Client, origin: Origin, webhook: bool) -> None:
        self._client = client
        self._origin = origin
        self._dead: set[Route] = set()
        if not webhook or not origin.token:
            self._dead.add(Route.WEBHOOK)
        if not origin.channel_id:
            self._dead.add(Route.CHANNEL)

    @property
    def webhook_alive(self) -> bool:
        return Route.WEBHOOK not in self._dead

    async def edit_status(self, text: str) -> None:
        """Replace the original response's text (progress); only while the webhook works."""
        if not self.webhook_alive:
            return
        try:
            await self._webhook().edit_message(ORIGINAL, content=text)
        except discord.HTTPException as error:
            logger.info("interaction webhook unusable ({}); later posts use the bot", error)
            self._dead.add(Route.WEBHOOK)

    async def post(self, message: Outgoing) -> Route:
        """Post by the first route that works; returns it."""
        for route in Route:
            if route in self._dead:
                continue
            try:
                await self._send(route, message)
            except discord.HTTPException as error:
                if error.status == 413:
                    raise TooLarge(str(error)) from error
                if route is not Route.WEBHOOK and error.status not in GONE:
                    raise
                logger.info("{} route failed ({}); trying the next", route.value, error)
                self._dead.add(route)
            else:
                return route
        raise DeliveryFailed(f"no way left to reach user {self._origin.user_id}")

    def _webhook(self) -> discord.Webhook:
        return discord.Webhook.partial(self._origin.app_id, self._origin.token, client=self._client)

    async def _send(self, route: Route, message: Outgoing) -> None:
        if route is Route.WEBHOOK:
            await self._webhook().edit_message(
                ORIGINAL,
                content=message.text,
                embed=message.embed,
                attachments=message.discord_files(),
                view=message.view,
            )
            return
        if route is Route.CHANNEL:
            channel = self._client.get_partial_messageable(self._origin.channel_id)
            mention = texts.DISCORD_MENTION.format(user_id=self._origin.user_id)
            await channel.send(**_kwargs(message, f"{mention} {message.text or ''}".strip()))
            return
        dm = await self._client.create_dm(discord.Object(self._origin.user_id))
        await dm.send(**_kwargs(message, message.text))


def _kwargs(message: Outgoing, text: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"content": text, "allowed_mentions": MENTION_USERS}
    if message.embed is not None:
        kwargs["embed"] = message.embed
    if message.files:
        kwargs["files"] = message.discord_files()
    if message.view is not None:
        kwargs["view"] = message.view
    return kwargs
