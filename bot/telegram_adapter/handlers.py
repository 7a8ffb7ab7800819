"""Update handlers: each translates one Telegram event into one core call and back.

Generation requests first post a "one moment" message and pass its id to the core in the
ChatRef; that message becomes the job's status message (or the refusal), so a user gets
exactly one answer and the status can be cleaned up even after a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from loguru import logger
from telegram import InputFile, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.core import texts
from bot.core.commands import AdminIds, Caller, Reply
from bot.core.errors import UserError
from bot.core.present import cut
from bot.core.router import CommandRouter, split_command
from bot.core.service import GenerationService
from bot.telegram_adapter.inputs import (
    ImageSource,
    Incoming,
    addressed,
    caption_prompt,
    command_target,
    fetch_image,
    image_source,
    incoming,
    replied_user,
    user_of,
    with_target,
)
from bot.telegram_adapter.notifier import TelegramNotifier
from bot.telegram_adapter.refs import Action, Press, chat_ref, decode, event_key
from bot.telegram_adapter.sender import not_modified, reply_to
from providers.base import ProviderError
from records import ChatRef

Context = ContextTypes.DEFAULT_TYPE
Start = Callable[[ChatRef], Awaitable[Reply]]
INFO_COMMANDS = frozenset({"start", "help", "balance", "history", "cancel"})
MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8", "jpg"), (b"RIFF", "webp"))


async def answer(message: Message, text: str) -> None:
    """Reply to the user's message (still sent if they deleted it meanwhile)."""
    await message.reply_text(
        cut(text, MessageLimit.MAX_TEXT_LENGTH), reply_parameters=reply_to(message.message_id)
    )


def for_us(got: Incoming, username: str) -> bool:
    """Private chats take every command; groups only ours: known names, or /x@us."""
    target = command_target(got.text.split()[0], username)
    if got.private or target is None:
        return got.private
    name, explicit = target
    return explicit or name in INFO_COMMANDS


class Handlers:
    """The callbacks registered on the Application (see frontend.py)."""

    def __init__(
        self,
        *,
        router: CommandRouter,
        service: GenerationService,
        admins: AdminIds,
        notifier: TelegramNotifier,
        image_limit: int,
    ) -> None:
        self._router = router
        self._service = service
        self._admins = admins
        self._notifier = notifier
        self._image_limit = image_limit

    # -- generation ----------------------------------------------------------------------

    async def generate(self, update: Update, context: Context) -> None:
        """/imagine and /edit (an /edit replying to a photo works on that photo)."""
        if (got := incoming(update, self._admins)) is None:
            return
        name, _ = split_command(got.text)
        source = image_source(got.message.reply_to_message) if name == "edit" else None
        await self._start_with_image(got, context, got.text, source)

    async def text(self, update: Update, context: Context) -> None:
        """Plain text: a prompt in private chats and in replies to the bot in groups."""
        got = incoming(update, self._admins)
        if got is None or not addressed(got, context.bot.id):
            return
        await self._start_with_image(got, context, got.text, None)

    async def image(self, update: Update, context: Context) -> None:
        """A photo or image file: image-to-image with the caption as the prompt."""
        got = incoming(update, self._admins)
        caption = caption_prompt(got.message.caption, context.bot.username) if got else None
        if got is None or caption is None:
            return
        prompt, commanded = caption
        if not (commanded or addressed(got, context.bot.id)):
            return
        if not prompt:
            await answer(got.message, texts.TG_CAPTION_NEEDED)
            return
        await self._start_with_image(got, context, f"/edit {prompt}", image_source(got.message))

    async def _start_with_image(
        self, got: Incoming, context: Context, line: str, source: ImageSource | None
    ) -> None:
        image = None
        if source is not None:
            try:
                image = await fetch_image(context.bot, source, self._image_limit)
            except UserError as error:
                await answer(got.message, error.message)
                return
        message = got.message
        await self._launch(
            message,
            message.message_id,
            lambda chat: self._router.handle(got.caller, line, chat, image=image, event=got.event),
        )

    async def _launch(self, anchor: Message, reply_id: int | None, start: Start) -> None:
        """Post the placeholder, start the job, then turn the placeholder into its status."""
        placeholder = await anchor.get_bot().send_message(
            anchor.chat_id, texts.TG_WORKING, reply_parameters=reply_to(reply_id)
        )
        try:
            reply = await start(chat_ref(anchor.chat_id, reply_id, placeholder.message_id))
        except Exception:
            logger.exception("starting a job failed")
            reply = Reply(texts.TG_ERROR, ok=False)
        if reply.new and reply.job is not None:
            await self._notifier.accepted(reply.job)
            return
        try:
            await placeholder.edit_text(reply.text)
        except TelegramError as error:
            if not not_modified(error):
                raise

    # -- other commands -----------------------------------------------------------------

    async def command(self, update: Update, context: Context) -> None:
        """/start /help /balance /history /cancel, and unknown commands."""
        if (got := incoming(update, self._admins)) is None:
            return
        if not for_us(got, context.bot.username):
            return
        name, _ = split_command(got.text)
        chat = chat_ref(got.message.chat_id, got.message.message_id, None)
        reply = await self._router.handle(got.caller, got.text, chat, event=got.event)
        await answer(got.message, _decorate(name, reply.text, context.bot.username))
        if name == "cancel" and reply.ok and reply.job is not None:
            await self._notifier.ended(reply.job)

    async def admin(self, update: Update, context: Context) -> None:
        """Admin commands, private chat only; a reply may stand in for the user id."""
        if (got := incoming(update, self._admins)) is None:
            return
        if not got.private:
            await answer(got.message, texts.TG_ADMIN_PRIVATE_ONLY)
            return
        name, args = split_command(got.text)
        line = with_target(name or "", args, replied_user(got.message, context.bot.id))
        chat = chat_ref(got.message.chat_id, got.message.message_id, None)
        reply = await self._router.handle(got.caller, line, chat, event=got.event)
        await answer(got.message, reply.text)

    async def not_image(self, update: Update, context: Context) -> None:
        await self._refuse(update, context, texts.IMAGE_NOT_AN_IMAGE)

    async def unsupported(self, update: Update, context: Context) -> None:
        await self._refuse(update, context, texts.TG_UNSUPPORTED)

    async def anonymous(self, update: Update, context: Context) -> None:
        if update.effective_message is not None:
            await answer(update.effective_message, texts.TG_ANONYMOUS)

    async def _refuse(self, update: Update, context: Context, text: str) -> None:
        got = incoming(update, self._admins)
        if got is not None and addressed(got, context.bot.id):
            await answer(got.message, text)

    # -- buttons ------------------------------------------------------------------------

    async def button(self, update: Update, context: Context) -> None:
        """🔁 / 🎨 / ⬇ under a result: answered first, owner (or admin) only."""
        query = update.callback_query
        if query is None:
            return
        press, message = decode(query.data), query.message
        if press is None or not isinstance(message, Message):
            await query.answer(texts.TG_BUTTON_STALE)
            return
        caller = user_of(query.from_user.id, self._admins)
        refusal = await self._refusal(caller, press)
        try:
            await query.answer(refusal, show_alert=refusal is not None)
        except BadRequest as error:  # too old (e.g. queued while the bot was down): go on
            logger.info("callback query not answered: {}", error)
        if refusal is None:
            await self._pressed(caller, press, message, event_key(update))

    async def _refusal(self, caller: Caller, press: Press) -> str | None:
        try:
            await self._service.owned_job(caller.user, press.job_id, admin=caller.is_admin)
        except UserError as error:
            return error.message
        return None

    async def _pressed(self, caller: Caller, press: Press, message: Message, event: str) -> None:
        user = self._router.user
        if press.action is Action.ORIGINAL:
            await self._original(caller, press, message)
        elif press.action is Action.REROLL:
            await self._launch(
                message,
                message.message_id,
                lambda chat: user.reroll(caller, press.job_id, chat, event_key=event),
            )
        else:
            await self._launch(
                message,
                message.message_id,
                lambda chat: user.vary(caller, press.job_id, press.index, chat, event_key=event),
            )

    async def _original(self, caller: Caller, press: Press, message: Message) -> None:
        try:
            data = await self._service.original(
                caller.user, press.job_id, press.index, admin=caller.is_admin
            )
        except UserError as error:
            await answer(message, error.message)
            return
        except ProviderError:
            await answer(message, texts.TG_ORIGINAL_GONE.format(job_id=press.job_id))
            return
        ext = next((e for magic, e in MAGIC if data.startswith(magic)), "img")
        upload = InputFile(data, filename=f"{press.job_id}-{press.index + 1}.{ext}")
        await message.reply_document(upload, reply_parameters=reply_to(message.message_id))

    # -- errors -------------------------------------------------------------------------

    async def on_error(self, update: object, context: Context) -> None:
        """Log the failure; the user gets a short generic text, never a traceback."""
        logger.opt(exception=context.error).error("telegram update failed")
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            return
        try:
            await context.bot.send_message(chat.id, texts.TG_ERROR)
        except TelegramError as error:
            logger.info("could not send the error notice: {}", error)


def _decorate(name: str | None, text: str, username: str) -> str:
    if name == "start":
        return texts.TG_WELCOME.format(balance=text)
    if name == "help":
        return text + "\n" + texts.TG_HELP_EXTRA.format(bot=username)
    return text
