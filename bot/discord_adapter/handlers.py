"""User commands and buttons: one interaction → one core call → one answer.

Order in every handler: free checks (prompt flags, the attachment's declared type and
size, a button's owner) answered at once and privately; then ``defer``; only then the
database, fal or Discord downloads. A job the core accepted shows its status in the
deferred message, which the notifier keeps up to date.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from loguru import logger

from bot.core import texts
from bot.core.commands import Caller, Reply
from bot.core.errors import UserError
from bot.discord_adapter.config import DiscordOptions
from bot.discord_adapter.context import Core, age_restricted, caller, chat, event_key
from bot.discord_adapter.flags import PromptOptions, prompt_text
from bot.discord_adapter.notifier import DiscordNotifier
from bot.discord_adapter.replies import answer, defer, defer_update, refuse, send_reply
from records import ChatRef, JobKind

MAX_CHOICES = 25


def attachment_problem(attachment: discord.Attachment, max_bytes: int) -> str | None:
    """Why an attachment is refused from what Discord says about it (nothing downloaded)."""
    if not (attachment.content_type or "").startswith("image/"):
        return texts.IMAGE_NOT_AN_IMAGE
    if attachment.size > max_bytes:
        size, limit = f"{attachment.size / 1e6:.1f} MB", f"{max_bytes / 1e6:.1f} MB"
        return texts.IMAGE_TOO_LARGE.format(size=size, limit=limit)
    return None


class Handlers:
    """Every user-facing interaction of the Discord front end."""

    def __init__(self, *, core: Core, notifier: DiscordNotifier, options: DiscordOptions) -> None:
        self._core = core
        self._notifier = notifier
        self._options = options

    @property
    def lora_names(self) -> list[str]:
        return self._core.service.prompts.lora_names

    @property
    def style_names(self) -> list[str]:
        return self._core.service.prompts.style_names

    def _caller(self, interaction: discord.Interaction) -> Caller:
        return caller(interaction, self._core.admins)

    def _safety(self, interaction: discord.Interaction) -> bool:
        """fal's safety checker stays on, except in age-restricted channels when allowed."""
        return not (self._options.unfiltered_nsfw_channels and age_restricted(interaction))

    def _checked_prompt(self, prompt: str, options: PromptOptions, kind: JobKind) -> str:
        """The prompt with its options as flags, checked by the core (free: no I/O)."""
        text = prompt_text(prompt, options)
        self._core.service.prompts.build(text, kind=kind)
        return text

    # --- slash commands -------------------------------------------------------------------

    async def imagine(
        self, interaction: discord.Interaction, prompt: str, options: PromptOptions
    ) -> None:
        try:
            text = self._checked_prompt(prompt, options, JobKind.TEXT)
        except UserError as error:
            await refuse(interaction, error.message)
            return
        if not await defer(interaction, private=False):
            return
        reply = await self._core.router.user.imagine(
            self._caller(interaction),
            text,
            chat(interaction),
            event_key=event_key(interaction),
            safety=self._safety(interaction),
        )
        await self._started(interaction, reply)

    async def edit(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        prompt: str,
        options: PromptOptions,
    ) -> None:
        try:
            text = self._checked_prompt(prompt, options, JobKind.IMAGE)
            problem = attachment_problem(image, self._options.input_image_bytes)
        except UserError as error:
            problem = error.message
        if problem:
            await refuse(interaction, problem)
            return
        if not await defer(interaction, private=False):
            return
        try:
            data = await image.read()
        except discord.HTTPException:
            await refuse(interaction, texts.DISCORD_DOWNLOAD_FAILED)
            return
        reply = await self._core.router.user.edit(
            self._caller(interaction),
            text,
            chat(interaction),
            image=data,
            event_key=event_key(interaction),
            safety=self._safety(interaction),
        )
        await self._started(interaction, reply)

    async def _started(self, interaction: discord.Interaction, reply: Reply) -> None:
        if not reply.ok:
            await refuse(interaction, reply.text)
        elif reply.job is not None and reply.new:
            await self._notifier.acknowledge(reply.job, reply.text)
        else:
            await answer(interaction, reply.text)

    async def private(
        self, interaction: discord.Interaction, call: Callable[[Caller], Awaitable[Reply]]
    ) -> None:
        """/balance, /history, /cancel: an answer only the caller sees."""
        if await defer(interaction, private=True):
            await send_reply(interaction, await call(self._caller(interaction)))

    async def balance(self, interaction: discord.Interaction) -> None:
        await self.private(interaction, self._core.router.user.balance)

    async def history(self, interaction: discord.Interaction) -> None:
        await self.private(interaction, self._core.router.user.history)

    async def cancel(self, interaction: discord.Interaction, job: str | None) -> None:
        user = self._core.router.user
        await self.private(interaction, lambda who: user.cancel(who, (job or "").strip() or None))

    async def help(self, interaction: discord.Interaction) -> None:
        """The core's help (its admin part names text commands: ours are told apart)."""
        if await defer(interaction, private=True):
            who = self._caller(interaction)
            reply = await self._core.router.user.help(Caller(who.user))
            admin = texts.DISCORD_ADMIN_HELP if who.is_admin else ""
            await answer(interaction, reply.text + texts.DISCORD_HELP_EXTRA + admin)

    def lora_choices(self, current: str) -> list[discord.app_commands.Choice[str]]:
        """Autocomplete for ``lora``: configured names containing what was typed so far."""
        wanted = current.casefold().strip()
        names = [n for n in self.lora_names if wanted in n.casefold()][:MAX_CHOICES]
        return [discord.app_commands.Choice(name=n, value=n) for n in names]

    # --- buttons --------------------------------------------------------------------------

    async def press(self, interaction: discord.Interaction, action: Awaitable[None]) -> None:
        """Run a button's action; any failure still answers the presser privately."""
        try:
            await action
        except Exception:
            logger.exception("button {} failed", interaction.data)
            await refuse(interaction, texts.DISCORD_ERROR)

    async def reroll(self, interaction: discord.Interaction, job_id: str, owner: int) -> None:
        await self._again(
            interaction,
            owner,
            lambda who, where: self._core.router.user.reroll(
                who,
                job_id,
                where,
                event_key=event_key(interaction),
                safety=self._safety(interaction),
            ),
        )

    async def vary(
        self, interaction: discord.Interaction, job_id: str, index: int, owner: int
    ) -> None:
        await self._again(
            interaction,
            owner,
            lambda who, where: self._core.router.user.vary(
                who,
                job_id,
                index,
                where,
                event_key=event_key(interaction),
                safety=self._safety(interaction),
            ),
        )

    async def _again(
        self,
        interaction: discord.Interaction,
        owner: int,
        call: Callable[[Caller, ChatRef], Awaitable[Reply]],
    ) -> None:
        if interaction.user.id != owner:
            await refuse(interaction, texts.NOT_YOUR_JOB)
        elif await defer(interaction, private=False):
            reply = await call(self._caller(interaction), chat(interaction))
            await self._started(interaction, reply)

    async def delete(self, interaction: discord.Interaction, owner: int) -> None:
        """🗑: the owner, or anyone who may manage messages here, removes a result."""
        if interaction.user.id != owner and not interaction.permissions.manage_messages:
            await refuse(interaction, texts.DISCORD_NOT_YOURS_TO_DELETE)
            return
        if not await defer_update(interaction):
            return
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as error:
            logger.warning("could not delete a result: {}", error)
            await refuse(interaction, texts.DISCORD_DELETE_FAILED)
