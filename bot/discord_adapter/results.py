"""The result message: image files within a byte budget, an embed, and the buttons."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import discord

from bot.core import texts
from bot.core.ports import DeliveredImage
from bot.core.present import cut
from bot.discord_adapter.buttons import result_view
from bot.discord_adapter.posting import Outgoing
from bot.discord_adapter.shrink import fit
from records import Job

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
EMBED_TEXT = 4000


async def attachable(image: DeliveredImage, budget: int) -> tuple[str, bytes] | None:
    """(extension, bytes) within ``budget``, re-encoded when needed; None: link it."""
    if len(image.data) <= budget:
        return EXTENSIONS.get(image.content_type, "png"), image.data
    if budget <= 0:
        return None
    smaller = await asyncio.to_thread(fit, image.data, budget)
    return None if smaller is None else ("jpg", smaller)


def _link(job: Job, index: int) -> str | None:
    if job.result is None or not 0 <= index < len(job.result.images):
        return None
    url = job.result.images[index].url
    return texts.DISCORD_LINK.format(number=index + 1, url=url)


def result_embed(job: Job, seconds: float, links: Sequence[str]) -> discord.Embed:
    """Prompt, seed, model, time and cost; links to images too large to attach."""
    embed = discord.Embed(
        title=texts.DISCORD_RESULT_TITLE.format(job_id=job.id),
        description=cut(job.request.prompt, EMBED_TEXT),
    )
    result = job.result
    embed.add_field(name=texts.DISCORD_SEED, value=str(result.seed) if result else "?")
    embed.add_field(name=texts.DISCORD_MODEL, value=result.endpoint if result else "?")
    embed.add_field(name=texts.DISCORD_TIME, value=texts.DISCORD_SECONDS.format(seconds=seconds))
    embed.add_field(name=texts.DISCORD_COST, value=texts.DISCORD_CREDITS.format(cost=job.cost))
    if links:
        embed.add_field(name=texts.DISCORD_LINKS, value="\n".join(links), inline=False)
    return embed


async def result_message(
    job: Job, images: Sequence[DeliveredImage], budget: int, seconds: float
) -> Outgoing:
    """The whole result; every image over ``budget`` bytes is shrunk or linked."""
    files: list[tuple[str, bytes]] = []
    links: list[str] = []
    for image in images:
        fitted = await attachable(image, budget)
        if fitted is not None:
            files.append((f"{job.id}-{image.index + 1}.{fitted[0]}", fitted[1]))
        elif link := _link(job, image.index):
            links.append(link)
    view = result_view(job, [image.index for image in images])
    return Outgoing(text=None, embed=result_embed(job, seconds, links), files=files, view=view)
