"""Posting finished images: bytes uploaded (never fal's URL), buttons under the result.

One image: a photo (or a document when it is over 10 MB or too oddly shaped for a photo)
with the caption and the buttons. Several: an album, then one message with the buttons
(albums cannot carry a keyboard). A ``TimedOut`` upload may still have arrived, so it is
never sent again: the buttons follow in a short note instead, and ⬇ fetches the file.
"""

from __future__ import annotations

from collections.abc import Sequence

from loguru import logger
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
)
from telegram.constants import FileSizeLimit
from telegram.error import BadRequest, TelegramError, TimedOut

from bot.core import texts
from bot.core.ports import DeliveredImage
from bot.core.present import result_caption
from bot.telegram_adapter.refs import Action, Press, Where
from bot.telegram_adapter.sender import Sender, gone, reply_to
from records import Job

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PHOTO_SIDES = 10_000  # width + height
PHOTO_RATIO = 20


def fits_photo(image: DeliveredImage) -> bool:
    """Whether Telegram takes the image as a photo (else it goes as a document)."""
    if len(image.data) > FileSizeLimit.PHOTOSIZE_UPLOAD:
        return False
    low, high = sorted((max(image.width, 1), max(image.height, 1)))
    return image.width + image.height <= PHOTO_SIDES and high / low <= PHOTO_RATIO


def file_name(job: Job, index: int, content_type: str) -> str:
    return f"{job.id}-{index + 1}.{EXTENSIONS.get(content_type, 'jpg')}"


def keyboard(job_id: str, indexes: Sequence[int]) -> InlineKeyboardMarkup:
    """🔁 / 🎨 / ⬇ for one image; for several, a row of 🎨 N and a row of ⬇ N."""

    def button(label: str, action: Action, index: int = 0) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=Press(action, job_id, index).encode())

    reroll = button(texts.TG_BUTTON_REROLL, Action.REROLL)
    if len(indexes) == 1:
        return InlineKeyboardMarkup(
            [
                [
                    reroll,
                    button(texts.TG_BUTTON_VARY, Action.VARY, indexes[0]),
                    button(texts.TG_BUTTON_ORIGINAL, Action.ORIGINAL, indexes[0]),
                ]
            ]
        )
    numbered = list(enumerate(indexes, start=1))
    return InlineKeyboardMarkup(
        [
            [reroll],
            [button(texts.TG_BUTTON_VARY_N.format(number=n), Action.VARY, i) for n, i in numbered],
            [
                button(texts.TG_BUTTON_ORIGINAL_N.format(number=n), Action.ORIGINAL, i)
                for n, i in numbered
            ],
        ]
    )


async def send_results(
    sender: Sender, place: Where, job: Job, images: Sequence[DeliveredImage]
) -> None:
    """Post the images; ``TelegramError`` other than ``TimedOut`` propagates."""
    markup = keyboard(job.id, [image.index for image in images])
    try:
        anchor = await _as_photos_else_documents(sender, place, job, images, markup)
    except TimedOut:
        logger.warning("upload of job {} timed out; not sending it twice", job.id)
        await _note(sender, place.chat_id, place.reply_to, texts.TG_UPLOAD_UNSURE, job, markup)
        return
    if anchor is not None:
        await _note(sender, place.chat_id, anchor, texts.TG_RESULT_BUTTONS, job, markup)


async def _as_photos_else_documents(
    sender: Sender,
    place: Where,
    job: Job,
    images: Sequence[DeliveredImage],
    markup: InlineKeyboardMarkup,
) -> int | None:
    """Photos when Telegram takes them (a refused photo was not posted: files go instead).
    Returns the album's first message, which the buttons then follow; None for one image."""
    if all(fits_photo(image) for image in images):
        try:
            return await _post(sender, place, job, images, markup, photos=True)
        except BadRequest as error:
            if gone(error):
                raise
            logger.info("Telegram refused job {} as photos ({}); sending files", job.id, error)
    return await _post(sender, place, job, images, markup, photos=False)


async def _post(
    sender: Sender,
    place: Where,
    job: Job,
    images: Sequence[DeliveredImage],
    markup: InlineKeyboardMarkup,
    *,
    photos: bool,
) -> int | None:
    caption, reply, many = result_caption(job), reply_to(place.reply_to), len(images) > 1
    uploads = [
        InputFile(i.data, filename=file_name(job, i.index, i.content_type), attach=many)
        for i in images
    ]  # an album refers to its files as attach://
    if many:
        kind = InputMediaPhoto if photos else InputMediaDocument
        media = [kind(u, caption=caption if n == 0 else None) for n, u in enumerate(uploads)]
        sent: tuple[Message, ...] = await sender.to(
            place.chat_id,
            lambda chat: sender.bot.send_media_group(chat, media, reply_parameters=reply),
        )
        return sent[0].message_id
    send = sender.bot.send_photo if photos else sender.bot.send_document
    await sender.to(
        place.chat_id,
        lambda chat: send(
            chat, uploads[0], caption=caption, reply_markup=markup, reply_parameters=reply
        ),
    )
    return None


async def _note(
    sender: Sender,
    chat_id: int,
    anchor: int | None,
    template: str,
    job: Job,
    markup: InlineKeyboardMarkup,
) -> None:
    """The buttons in their own message; the images are out already, so a failure here is
    logged, not raised (the job was delivered)."""
    text = template.format(job_id=job.id)
    try:
        await sender.to(
            chat_id,
            lambda chat: sender.bot.send_message(
                chat, text, reply_markup=markup, reply_parameters=reply_to(anchor)
            ),
        )
    except TelegramError as error:
        logger.warning("buttons of job {} may be missing: {}", job.id, error)
