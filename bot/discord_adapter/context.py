"""Translation of a Discord interaction into the core's terms, and back.

``Origin`` is what a job must remember to answer later (kept as JSON in ``ChatRef.extra``):
the interaction webhook (application id, token and when the interaction was created — the
token lasts 15 minutes from then), the channel and guild, the user, and the upload limit
Discord gave for that interaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import discord

from bot.core.commands import AdminIds, Caller
from bot.core.router import CommandRouter
from bot.core.service import GenerationService
from records import ChatRef, Job, Platform, UserRef

# discord.py's own fallback when a payload carries no limit (Discord's 10 MiB of 2025).
DEFAULT_FILESIZE_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES


@dataclass(frozen=True, slots=True)
class Core:
    """The core as the Discord handlers use it."""

    router: CommandRouter
    service: GenerationService
    admins: AdminIds


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a job came from; see the module docstring."""

    app_id: int
    token: str
    at: float
    channel_id: int
    user_id: int
    guild_id: int | None = None
    filesize_limit: int = DEFAULT_FILESIZE_LIMIT

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def of(cls, job: Job) -> Origin:
        """The origin saved with ``job``; without one, its channel and user (no webhook)."""
        try:
            return cls(**json.loads(job.chat.extra))
        except (ValueError, TypeError):
            channel = int(job.chat.chat_id) if job.chat.chat_id.isdigit() else 0
            return cls(app_id=0, token="", at=0.0, channel_id=channel, user_id=_id(job.user))


def _id(user: UserRef) -> int:
    return int(user.user_id) if user.user_id.isdigit() else 0


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef(Platform.DISCORD, str(user.id))


def caller(interaction: discord.Interaction, admins: AdminIds) -> Caller:
    user = user_ref(interaction.user)
    return Caller(user, is_admin=user in admins)


def event_key(interaction: discord.Interaction) -> str:
    """The idempotency key of whatever this interaction starts or changes."""
    return f"discord:{interaction.id}"


def origin(interaction: discord.Interaction) -> Origin:
    return Origin(
        app_id=interaction.application_id,
        token=interaction.token,
        at=interaction.created_at.timestamp(),
        channel_id=interaction.channel_id or 0,
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
        filesize_limit=interaction.filesize_limit or DEFAULT_FILESIZE_LIMIT,
    )


def chat(interaction: discord.Interaction) -> ChatRef:
    return ChatRef(chat_id=str(interaction.channel_id or ""), extra=origin(interaction).to_json())


def age_restricted(interaction: discord.Interaction) -> bool:
    """Whether the interaction happened in an age-restricted (NSFW) channel."""
    channel = interaction.channel
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(callable(is_nsfw) and is_nsfw())
