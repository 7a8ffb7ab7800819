"""End to end: bad input gets one clear reply and costs nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core import texts
from tests.fakes.fal_server import FakeFal
from tests.fakes.images import not_an_image_bytes, png_bytes
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram.driver import Driver, telegram_bot


async def one_reply_nothing_charged(tg: Driver, update: dict[str, Any]) -> str:
    """The single text reply, with no job, no fal call and the balance untouched."""
    reply = await tg.answer(update)
    await tg.idle()
    assert len(tg.fake.replies_to(update["message"])) == 1
    assert tg.fal.submissions == [] and await tg.jobs_of(11) == []
    assert await tg.balance(11) in ((0, 0), (tg.settings.credits.initial, 0))  # (0, 0): unseen
    return str(reply["text"])


def photo_over(fake: FakeTelegram, size: int) -> dict[str, Any]:
    return {"photo": fake.photo_sizes(png_bytes(), size=size)}


@pytest.mark.parametrize(
    ("text", "content", "expected"),
    [
        ("/imagine", {}, texts.EMPTY_PROMPT),
        ("/imagine   ", {}, texts.EMPTY_PROMPT),
        (
            "/imagine a fox --steps 99",
            {},
            texts.FLAG_OUT_OF_RANGE.format(flag="--steps", low=1, high=50, value="99"),
        ),
        ("/edit make it blue", {}, texts.EDIT_NEEDS_IMAGE),
        (None, FakeTelegram.sticker(), texts.TG_UNSUPPORTED),
        (None, FakeTelegram.voice(), texts.TG_UNSUPPORTED),
        ("/frobnicate", {}, texts.UNKNOWN_COMMAND.format(command="/frobnicate")),
    ],
)
async def test_refused_without_charge(
    tg: Driver, text: str | None, content: dict[str, Any], expected: str
) -> None:
    ann = tg.fake.user(11)
    assert await one_reply_nothing_charged(tg, tg.fake.send(ann, text, **content)) == expected


async def test_an_overlong_caption(tg: Driver) -> None:
    ann = tg.fake.user(11)
    caption = "fox " * 255  # 1020 characters: a valid caption, a too long prompt
    update = tg.fake.send(ann, caption, photo=tg.fake.photo_sizes(png_bytes()))
    reply = await one_reply_nothing_charged(tg, update)
    assert reply.startswith("That prompt is") and "limit is 1000" in reply


async def test_a_photo_without_caption_asks_for_one(tg: Driver) -> None:
    ann = tg.fake.user(11)
    update = tg.fake.send(ann, photo=tg.fake.photo_sizes(png_bytes()))
    assert await one_reply_nothing_charged(tg, update) == texts.TG_CAPTION_NEEDED
    assert tg.fake.calls_of("getFile") == []


async def test_a_non_image_document(tg: Driver) -> None:
    ann = tg.fake.user(11)
    document = tg.fake.document(b"eggs, milk", "list.txt", "text/plain")
    update = tg.fake.send(ann, "make it pretty", document=document)
    assert await one_reply_nothing_charged(tg, update) == texts.IMAGE_NOT_AN_IMAGE


async def test_a_file_claiming_to_be_an_image(tg: Driver) -> None:
    ann = tg.fake.user(11)
    document = tg.fake.document(not_an_image_bytes(), "fox.png", "image/png")
    update = tg.fake.send(ann, "make it pretty", document=document)
    assert await one_reply_nothing_charged(tg, update) == texts.IMAGE_NOT_AN_IMAGE


async def test_a_photo_over_the_bot_api_download_limit_is_not_downloaded(tg: Driver) -> None:
    ann = tg.fake.user(11)
    update = tg.fake.send(ann, "make it blue", **photo_over(tg.fake, 25_000_000))
    reply = await one_reply_nothing_charged(tg, update)
    assert reply == texts.IMAGE_TOO_LARGE.format(size="25.0 MB", limit="10.0 MB")
    assert tg.fake.calls_of("getFile") == [] and tg.fake.downloads == []


async def test_an_image_over_the_configured_limit_is_not_downloaded(tg: Driver) -> None:
    ann = tg.fake.user(11)
    document = tg.fake.document(png_bytes(), "big.png", "image/png", size=12_000_000)
    update = tg.fake.send(ann, "make it blue", document=document)
    reply = await one_reply_nothing_charged(tg, update)
    assert reply == texts.IMAGE_TOO_LARGE.format(size="12.0 MB", limit="10.0 MB")
    assert tg.fake.calls_of("getFile") == []


async def test_not_enough_credits(
    tmp_path: Path, fake: FakeTelegram, fal: FakeFal, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with telegram_bot(tmp_path, fake, fal, monkeypatch, credits={"initial": 3}) as tg:
        ann = tg.fake.user(11)
        reply = await one_reply_nothing_charged(tg, tg.fake.send(ann, "/imagine a fox --n 2"))
        assert reply == texts.NOT_ENOUGH_CREDITS.format(needed=4, available=3)
        assert await tg.balance(11) == (3, 0)


async def test_group_chatter_not_meant_for_the_bot_is_ignored(tg: Driver) -> None:
    ann, group = tg.fake.user(11), tg.fake.group()
    tg.fake.send(ann, "hello everyone", chat=group)
    tg.fake.send(ann, chat=group, **FakeTelegram.sticker())
    tg.fake.send(ann, "/imagine@otherbot a fox", chat=group)
    tg.fake.send(ann, "a fox", chat=group, photo=tg.fake.photo_sizes(png_bytes()))
    marker = tg.fake.send(ann, "/balance@imagebot_test", chat=group)
    await tg.answer(marker)  # updates are handled in order of arrival; these came first
    await tg.idle()
    assert [m["text"] for m in tg.fake.chat(group["id"])] == [(await tg.answer(marker))["text"]]


@pytest.mark.parametrize(("size", "shown"), [(12_000_000, "12.0 MB"), (25_000_000, "20.0 MB")])
async def test_a_photo_without_size_is_checked_by_getfile_before_download(
    tg: Driver, size: int, shown: str
) -> None:
    ann = tg.fake.user(11)
    sizes = tg.fake.photo_sizes(png_bytes(), size=size)
    del sizes[-1]["file_size"]  # Telegram may omit it; getFile tells (or refuses over 20 MB)
    update = tg.fake.send(ann, "make it blue", photo=sizes)
    reply = await one_reply_nothing_charged(tg, update)
    assert reply == texts.IMAGE_TOO_LARGE.format(size=shown, limit="10.0 MB")
    assert tg.fake.downloads == []
