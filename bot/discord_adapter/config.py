"""The Discord front end's own settings, built from ``[discord]`` by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DiscordOptions:
    """What the Discord front end needs beyond the core.

    ``input_image_bytes`` is checked against an attachment's declared size before it is
    downloaded; ``token_lifetime`` is how long an interaction token is trusted (Discord's
    is 15 minutes; a margin keeps a slow upload from straddling the end).
    """

    guild_ids: tuple[int, ...] = ()
    command_hash_file: Path | None = None
    unfiltered_nsfw_channels: bool = False
    progress_interval: float = 2.0
    input_image_bytes: int = 10_000_000
    token_lifetime: float = 14 * 60
