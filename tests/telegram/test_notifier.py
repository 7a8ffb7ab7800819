"""TelegramNotifier against the fake Bot API: status edits, results, and Telegram's failures."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.ports import DeliveredImage, DeliveryFailed
from bot.telegram_adapter.frontend import TelegramApp, build_application
from bot.telegram_adapter.notifier import TelegramNotifier, status_text
from bot.telegram_adapter.refs import decode
from records import Stage
from tests.fakes.images import png_bytes
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram.conftest import make_job, options_for

PNG = png_bytes(64, 48)


def image(index: int = 0, data: bytes = PNG) -> DeliveredImage:
    return DeliveredImage(index=index, data=data, width=64, height=48, content_type="image/png")


async def placeholder(app: TelegramApp, chat_id: int, reply_to: int | None = None) -> int:
    sent = await app.bot.send_message(chat_id, "⏳")
    return int(sent.message_id)


def edits(fake: FakeTelegram, message_id: int) -> list[str]:
    return [
        c.params["text"]
        for c in fake.calls_of("editMessageText")
        if c.params["message_id"] == message_id
    ]


async def test_progress_edits_the_status_message_and_never_repeats_text(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    status = await placeholder(bot_app, 5)
    job = make_job(5, status_id=status)
    for stage, position in [(Stage.QUEUED, 2), (Stage.QUEUED, 2), (Stage.QUEUED, 1)]:
        await notifier.progress(job, stage, position)
        await notifier.drain()
    await notifier.progress(job, Stage.GENERATING, None)
    await notifier.drain()
    await notifier.progress(job, Stage.GENERATING, None)
    await notifier.drain()
    assert edits(fake, status) == [
        status_text(job, Stage.QUEUED, 2),
        status_text(job, Stage.QUEUED, 1),
        status_text(job, Stage.GENERATING, None),
    ]
    assert "#1" in edits(fake, status)[1] and job.id in edits(fake, status)[0]


@pytest.mark.parametrize("chat_id", [5, -1001234])
async def test_edits_are_coalesced_within_the_chat_interval(
    fake: FakeTelegram, bot_app: TelegramApp, chat_id: int
) -> None:
    # The interval of the other kind of chat is far too long to finish within the test.
    private, group = (0.2, 60.0) if chat_id > 0 else (60.0, 0.2)
    fake.user(5) if chat_id > 0 else fake.group(chat_id)
    notifier = TelegramNotifier(private_interval=private, group_interval=group)
    notifier.link.bind(bot_app.bot)
    status = await placeholder(bot_app, chat_id)
    job = make_job(chat_id, status_id=status)
    await notifier.progress(job, Stage.QUEUED, 3)
    await fake.wait_for("editMessageText")
    for position in (2, 1):  # both arrive within the interval: only the latest is shown
        await notifier.progress(job, Stage.QUEUED, position)
    await notifier.progress(job, Stage.GENERATING, None)
    await asyncio.wait_for(notifier.drain(), 5)
    assert edits(fake, status) == [
        status_text(job, Stage.QUEUED, 3),
        status_text(job, Stage.GENERATING, None),
    ]


async def test_a_flood_limited_edit_is_retried_after_the_wait(fake: FakeTelegram) -> None:
    fake.user(5)
    async with build_application(options_for(fake, flood_retries=0)) as app:
        notifier = TelegramNotifier(private_interval=0.0, group_interval=0.0)
        notifier.link.bind(app.bot)
        status = await placeholder(app, 5)
        fake.flood("editMessageText", retry_after=1)  # escapes AIORateLimiter (no retries)
        job = make_job(5, status_id=status)
        await notifier.progress(job, Stage.GENERATING, None)
        await asyncio.wait_for(notifier.drain(), 5)
    assert edits(fake, status) == [status_text(job, Stage.GENERATING, None)]
    assert [c.status for c in fake.calls if c.method == "editMessageText"] == [429, 200]


async def test_a_job_without_status_message_gets_one_replying_to_the_user(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    ann = fake.user(5)
    asked = fake.message(ann, "/imagine a fox")
    job = make_job(5, reply_to=asked["message_id"])
    await notifier.progress(job, Stage.GENERATING, None)
    await notifier.drain()
    [sent] = fake.calls_of("sendMessage")
    assert sent.params["reply_parameters"]["message_id"] == asked["message_id"]
    assert fake.chat(5)[-1]["text"] == status_text(job, Stage.GENERATING, None)


async def test_one_result_is_a_photo_with_caption_and_buttons_then_status_goes(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    ann = fake.user(5)
    asked = fake.message(ann, "/imagine a red fox at dawn")
    status = await placeholder(bot_app, 5)
    job = make_job(5, reply_to=asked["message_id"], status_id=status)
    await notifier.progress(job, Stage.UPLOADING, None)
    await notifier.delivered(job, [image()])
    [photo] = fake.calls_of("sendPhoto")
    assert photo.files["photo"].data == PNG
    assert photo.files["photo"].filename == f"{job.id}-1.png"
    assert photo.params["reply_parameters"]["message_id"] == asked["message_id"]
    assert "a red fox at dawn" in photo.params["caption"] and "1234" in photo.params["caption"]
    buttons = [b for row in photo.params["reply_markup"]["inline_keyboard"] for b in row]
    presses = [decode(b["callback_data"]) for b in buttons]
    assert [(p.action, p.job_id, p.index) for p in presses if p] == [
        ("r", job.id, 0),
        ("v", job.id, 0),
        ("o", job.id, 0),
    ]
    await notifier.drain()  # the status message goes in the background
    assert [m.get("photo") is not None for m in fake.chat(5)] == [True]  # status deleted


async def test_a_long_prompt_caption_is_cut_to_telegrams_limit(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    job = make_job(5, prompt="fox " * 400)
    await notifier.delivered(job, [image()])
    [photo] = fake.calls_of("sendPhoto")
    assert len(photo.params["caption"]) <= 1024 and job.id in photo.params["caption"]


async def test_an_image_over_10_mb_goes_as_a_document(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    big = image(data=PNG + b"\0" * 10_000_000)
    await notifier.delivered(make_job(5), [big])
    assert fake.calls_of("sendPhoto") == []
    [document] = fake.calls_of("sendDocument")
    assert len(document.files["document"].data) == len(big.data)
    assert "inline_keyboard" in document.params["reply_markup"]


async def test_several_results_are_an_album_then_one_message_with_buttons(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    job = make_job(5, images=3)
    await notifier.delivered(job, [image(0), image(2)])  # image 1 was flagged
    [album] = fake.calls_of("sendMediaGroup")
    assert len(album.files) == 2 and all(f.data == PNG for f in album.files.values())
    assert [m.get("caption") is not None for m in album.params["media"]] == [True, False]
    [note] = fake.calls_of("sendMessage")
    keyboard = note.params["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [
        [f"r:{job.id}"],
        [f"v:{job.id}:0", f"v:{job.id}:2"],
        [f"o:{job.id}:0", f"o:{job.id}:2"],
    ]
    assert note.params["reply_parameters"]["message_id"] == fake.chat(5)[0]["message_id"]


async def test_a_timed_out_upload_is_not_sent_twice(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    fake.delay("sendPhoto", 0.8)  # applied, but answered after the 0.5 s read timeout
    job = make_job(5)
    await notifier.delivered(job, [image()])
    await asyncio.sleep(0.5)  # let the late answer arrive; nothing may follow it
    assert len([c for c in fake.calls if c.method == "sendPhoto"]) == 1
    assert ["photo" in m for m in fake.chat(5)] == [True, False]  # it did arrive, then the note
    [note] = fake.calls_of("sendMessage")
    assert "⬇" in note.params["text"] and f"o:{job.id}:0" in str(note.params["reply_markup"])


async def test_a_blocked_user_makes_delivery_fail_for_the_core(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    status = await placeholder(bot_app, 5)
    fake.block(5)
    job = make_job(5, status_id=status)
    await notifier.progress(job, Stage.GENERATING, None)
    await notifier.drain()
    with pytest.raises(DeliveryFailed):
        await notifier.delivered(job, [image()])
    await notifier.failed(job, "❌ failed")  # must not raise either


async def test_results_follow_a_group_that_became_a_supergroup(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.group(-100)
    fake.migrate(-100, -1009999)
    job = make_job(-100)
    await notifier.delivered(job, [image()])
    await notifier.delivered(make_job(-100, job_id="ff00ff00ff"), [image()])
    photos = fake.calls_of("sendPhoto")
    assert [p.chat_id for p in photos] == [-1009999, -1009999]
    migrated = [c for c in fake.calls if c.method == "sendPhoto" and c.status == 400]
    assert len(migrated) == 1  # the second delivery went straight to the new id


async def test_a_flood_limited_upload_is_retried_once_and_arrives_once(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    fake.flood("sendPhoto", retry_after=1)
    await notifier.delivered(make_job(5), [image()])
    assert len(fake.calls_of("sendPhoto")) == 1
    assert [c.status for c in fake.calls if c.method == "sendPhoto"] == [429, 200]


async def test_failure_turns_the_status_message_into_the_explanation(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    status = await placeholder(bot_app, 5)
    job = make_job(5, status_id=status)
    await notifier.progress(job, Stage.GENERATING, None)
    await notifier.failed(job, "❌ Job failed: busy. Your 2 credits were returned.")
    await notifier.progress(job, Stage.GENERATING, None)  # late: ignored
    await notifier.drain()
    assert [m["text"] for m in fake.chat(5)] == [
        "❌ Job failed: busy. Your 2 credits were returned."
    ]


async def test_failure_is_sent_anew_when_the_status_message_was_deleted(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    status = await placeholder(bot_app, 5)
    await bot_app.bot.delete_message(5, status)
    await notifier.failed(make_job(5, status_id=status), "❌ nope")
    assert [m["text"] for m in fake.chat(5)] == ["❌ nope"]


async def test_a_photo_telegram_refuses_goes_as_a_file_instead(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    fake.user(5)
    fake.fail("sendPhoto", 400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    fake.fail("sendMediaGroup", 400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    await notifier.delivered(make_job(5), [image()])
    await notifier.delivered(make_job(5, images=2, job_id="ff00ff00ff"), [image(0), image(1)])
    [document] = fake.calls_of("sendDocument")
    assert document.files["document"].data == PNG and "reply_markup" in document.params
    [album] = fake.calls_of("sendMediaGroup")
    assert [m["type"] for m in album.params["media"]] == ["document", "document"]


async def test_a_failure_notice_does_not_wait_for_ever_for_the_bot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.telegram_adapter.notifier.FAILED_WAIT", 0.05)
    notifier = TelegramNotifier(private_interval=0.0, group_interval=0.0)  # never bound
    await asyncio.wait_for(notifier.failed(make_job(5), "❌ interrupted"), 2)


async def test_a_chat_that_is_gone_makes_delivery_fail(
    fake: FakeTelegram, bot_app: TelegramApp, notifier: TelegramNotifier
) -> None:
    with pytest.raises(DeliveryFailed, match=r"(?i)chat not found"):
        await notifier.delivered(make_job(777), [image()])  # a chat Telegram does not know
