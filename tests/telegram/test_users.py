"""End to end: users' commands through the real PTB, the real core and SQLite, fake fal."""

from __future__ import annotations

from bot.core import texts
from records import JobState
from tests.fakes.images import png_bytes
from tests.telegram.driver import Driver, redelivered

NOT_MODIFIED = "not modified"


def no_unchanged_edits(tg: Driver) -> bool:
    return not [c for c in tg.fake.calls if c.method == "editMessageText" and c.status != 200]


async def test_start_welcomes_with_the_balance(tg: Driver) -> None:
    ann = tg.fake.user(11)
    reply = await tg.answer(tg.fake.send(ann, "/start"))
    assert reply["text"].startswith("👋") and "10 credits available" in reply["text"]


async def test_help_lists_commands_options_and_costs(tg: Driver) -> None:
    ann = tg.fake.user(11)
    text = (await tg.answer(tg.fake.send(ann, "/help")))["text"]
    assert "/imagine" in text and "--ar" in text and "2 credits per image" in text
    assert "caption" in text and "Admin" not in text


async def test_imagine_posts_status_then_the_photo_with_buttons(tg: Driver) -> None:
    ann = tg.fake.user(11)
    update = tg.fake.send(ann, "/imagine a red fox at dawn --ar 16:9")
    photo = await tg.result(update["message"])
    [job] = await tg.jobs_of(11)
    assert job.state is JobState.DELIVERED
    assert job.id in photo["caption"] and "a red fox at dawn" in photo["caption"]
    keyboard = photo["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in keyboard[0]] == [
        f"r:{job.id}",
        f"v:{job.id}:0",
        f"o:{job.id}:0",
    ]
    assert await tg.balance(11) == (8, 0)
    statuses = [c.params["text"] for c in tg.fake.calls_of("editMessageText")]
    assert statuses and all(job.id in s for s in statuses)
    assert no_unchanged_edits(tg)
    assert [m.get("photo") is not None for m in tg.fake.chat(11)] == [True]  # status gone
    upload = tg.fake.calls_of("sendPhoto")[0].files["photo"].data
    assert upload.startswith(b"\x89PNG")  # the bytes were uploaded, not fal's URL


async def test_plain_text_in_a_private_chat_is_a_prompt(tg: Driver) -> None:
    ann = tg.fake.user(11)
    update = tg.fake.send(ann, "a lighthouse in a storm")
    await tg.result(update["message"])
    [job] = await tg.jobs_of(11)
    assert job.request.prompt.startswith("a lighthouse in a storm")


async def test_photo_with_caption_is_image_to_image_from_bytes(tg: Driver) -> None:
    ann = tg.fake.user(11)
    sizes = tg.fake.photo_sizes(png_bytes(64, 48, "purple"))
    update = tg.fake.send(ann, "make it a watercolour --strength 0.6", photo=sizes)
    await tg.result(update["message"])
    [job] = await tg.jobs_of(11)
    assert job.state is JobState.DELIVERED and job.request.image is not None
    [getfile] = tg.fake.calls_of("getFile")
    assert getfile.params["file_id"] == sizes[-1]["file_id"]  # the largest size
    assert tg.fake.downloads == [sizes[-1]["file_id"]]  # fetched by the bot, bytes to fal
    payload = tg.fal.submissions[-1].payload
    assert payload["strength"] == 0.6 and payload["prompt"].startswith("make it a watercolour")
    sent = str(payload)
    assert tg.fake.token not in sent and "/file/bot" not in sent and tg.fake.base_url not in sent
    assert await tg.balance(11) == (7, 0)


async def test_an_image_sent_as_a_file_with_caption_works_too(tg: Driver) -> None:
    ann = tg.fake.user(11)
    document = tg.fake.document(png_bytes(40, 40), "cat.png", "image/png")
    update = tg.fake.send(ann, "/edit@imagebot_test a cat in space", document=document)
    await tg.result(update["message"])
    assert tg.fal.submissions[-1].payload["prompt"].startswith("a cat in space")


async def test_edit_replying_to_a_photo_works_on_that_photo(tg: Driver) -> None:
    ann = tg.fake.user(11)
    photo = tg.fake.message(ann, photo=tg.fake.photo_sizes(png_bytes(30, 30, "red")))
    update = tg.fake.send(ann, "/edit make it green", reply_to=photo)
    await tg.result(update["message"])
    [job] = await tg.jobs_of(11)
    assert job.request.image is not None and "strength" in tg.fal.submissions[-1].payload


async def test_balance_history_and_cancel(tg: Driver) -> None:
    ann = tg.fake.user(11)
    await tg.result(tg.fake.send(ann, "/imagine a fox")["message"])
    balance = (await tg.answer(tg.fake.send(ann, "/balance")))["text"]
    assert "8 credits available" in balance and "fal-ai/flux-lora: 2" in balance
    [job] = await tg.jobs_of(11)
    history = (await tg.answer(tg.fake.send(ann, "/history")))["text"]
    assert job.id in history and "delivered" in history and "a fox" in history
    nothing = (await tg.answer(tg.fake.send(ann, "/cancel")))["text"]
    assert nothing == texts.NOTHING_TO_CANCEL


async def test_cancel_stops_a_slow_job_and_returns_the_credits(tg: Driver) -> None:
    ann = tg.fake.user(11)
    tg.fake.send(ann, "/imagine a slow fox fault:slow")
    await tg.fake.wait_until(lambda: tg.fal.submissions)
    [job] = await tg.jobs_of(11)
    reply = (await tg.answer(tg.fake.send(ann, f"/cancel {job.id}")))["text"]
    assert reply == texts.CANCELLED_OK.format(job_id=job.id, cost=2)
    await tg.idle()
    assert await tg.balance(11) == (10, 0)
    assert [m["text"] for m in tg.fake.chat(11)] == [reply]  # the status message went too


async def test_a_redelivered_update_is_not_handled_again(tg: Driver) -> None:
    """Telegram delivers an update again when its offset was not confirmed (a crash): the
    inbox knows it was handled, so it makes no second job and no second reply."""
    ann = tg.fake.user(11)
    update = tg.fake.send(ann, "/imagine a fox")
    await tg.result(update["message"])
    await redelivered(tg, update)
    assert len(await tg.jobs_of(11)) == 1 and len(tg.fal.submissions) == 1
    assert await tg.balance(11) == (8, 0)
    assert len(tg.fake.replies_to(update["message"])) == 1  # the photo alone
