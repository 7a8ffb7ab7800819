"""Reading what a Telegram user sent: who, whether it is meant for us, which image, target user.

Images: the largest photo size, or a document whose MIME type is an image. Its size is
checked before download (the Bot API serves bots at most 20 MB; the configured limit applies
too), then its bytes are fetched here, so a Telegram file URL never leaves the bot.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, Message, MessageOriginUser, Update
from telegram.constants import ChatType, FileSizeLimit
from telegram.error import BadRequest

from bot.core import texts
from bot.core.commands import AdminIds, Caller
from bot.core.errors import UserError
from bot.telegram_adapter.refs import event_key
from bot.telegram_adapter.sender import too_big
from records import Platform, UserRef

IMAGE_COMMANDS = frozenset({"edit", "imagine"})
USER_ARG_COMMANDS = frozenset({"grant", "revoke", "setcredits", "credits", "ban", "unban"})


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message from a person, with the caller the core sees and the event key."""

    message: Message
    caller: Caller
    event: str

    @property
    def private(self) -> bool:
        return self.message.chat.type == ChatType.PRIVATE

    @property
    def text(self) -> str:
        return self.message.text or self.message.caption or ""


def incoming(update: Update, admins: AdminIds) -> Incoming | None:
    """The update as a person's message; None for bots, channels and non-messages.

    Admin rights count only in a private chat, where the sender cannot be anyone else.
    """
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or user.is_bot:
        return None
    ref = UserRef(Platform.TELEGRAM, str(user.id))
    private = message.chat.type == ChatType.PRIVATE
    return Incoming(message, Caller(ref, is_admin=private and ref in admins), event_key(update))


def user_of(user_id: int, admins: AdminIds) -> Caller:
    """A button presser: their buttons, or anyone's when they are an admin."""
    ref = UserRef(Platform.TELEGRAM, str(user_id))
    return Caller(ref, is_admin=ref in admins)


def addressed(got: Incoming, bot_id: int) -> bool:
    """Private chats, and in groups replies to one of our messages."""
    replied = got.message.reply_to_message
    return got.private or (
        replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    )


def command_target(head: str, username: str) -> tuple[str, bool] | None:
    """``/edit@bot`` → ("edit", True); a command for another bot → None."""
    name, _, bot = head[1:].partition("@")
    if bot and bot.lower() != username.lower():
        return None
    return name.lower(), bool(bot)


def caption_prompt(caption: str | None, username: str) -> tuple[str, bool] | None:
    """A photo caption as (prompt, meant for us by command); None: for another bot."""
    text = (caption or "").strip()
    head, _, rest = text.partition(" ")
    if not head.startswith("/"):
        return text, False
    target = command_target(head, username)
    if target is None:
        return None
    if target[0] in IMAGE_COMMANDS:
        return rest.strip(), True
    return text, False


@dataclass(frozen=True, slots=True)
class ImageSource:
    file_id: str
    size: int | None


def image_source(message: Message | None) -> ImageSource | None:
    """The largest photo size, or an image document; None when the message has neither."""
    if message is None:
        return None
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return ImageSource(largest.file_id, largest.file_size)
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return ImageSource(document.file_id, document.file_size)
    return None


def _too_large(size: int, limit: int) -> UserError:
    return UserError(
        texts.IMAGE_TOO_LARGE.format(
            size=f"{size / 1_000_000:.1f} MB", limit=f"{limit / 1_000_000:.1f} MB"
        )
    )


async def fetch_image(bot: Bot, source: ImageSource, limit: int) -> bytes:
    """The image's bytes; ``UserError`` when it is over ``limit`` (checked before download)."""
    if source.size is not None and source.size > limit:
        raise _too_large(source.size, limit)
    try:
        file = await bot.get_file(source.file_id)
    except BadRequest as error:
        if too_big(error):
            raise _too_large(source.size or FileSizeLimit.FILESIZE_DOWNLOAD + 1, limit) from None
        raise
    if file.file_size is not None and file.file_size > limit:
        raise _too_large(file.file_size, limit)
    data = bytes(await file.download_as_bytearray())
    if len(data) > limit:
        raise _too_large(len(data), limit)
    return data


def replied_user(message: Message, bot_id: int) -> int | None:
    """Whose message this one replies to (a forwarded one counts as its author's)."""
    replied = message.reply_to_message
    if replied is None:
        return None
    origin = replied.forward_origin
    if isinstance(origin, MessageOriginUser):
        return origin.sender_user.id
    author = replied.from_user
    sender = message.from_user
    if author is None or author.is_bot or (sender is not None and author.id == sender.id):
        return None
    return author.id


def with_target(name: str, args: str, target: int | None) -> str:
    """The command line with the replied-to user standing in for the user id."""
    line = f"/{name} {args}".strip()
    if target is None or name not in USER_ARG_COMMANDS:
        return line
    if args.split()[:1] == [str(target)]:
        return line
    return f"/{name} {target} {args}".strip()
