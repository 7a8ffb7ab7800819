"""End to end: groups, several images, and Telegram or fal failing along the way."""

from __future__ import annotations

import asyncio
import time

from bot.core import texts
from records import JobState
from tests.fakes.images import png_bytes
from tests.telegram.driver import Driver


async def test_in_groups_results_reply_to_the_users_message(tg: Driver) -> None:
    ann, group = tg.fake.user(11), tg.fake.group()
    update = tg.fake.send(ann, "/imagine@imagebot_test a fox in a group", chat=group)
    photo = await tg.result(update["message"])
    assert photo["chat"]["id"] == group["id"]
    assert photo["reply_to_message"]["message_id"] == update["message"]["message_id"]
    follow_up = tg.fake.send(ann, "now a wolf", chat=group, reply_to=photo)
    await tg.result(follow_up["message"])
    latest = (await tg.jobs_of(11))[0]
    assert latest.request.prompt.startswith("now a wolf")


async def test_several_images_come_as_an_album_and_one_button_message(tg: Driver) -> None:
    ann = tg.fake.user(11)
    update = tg.fake.send(ann, "/imagine two foxes --n 2")
    await tg.result(update["message"])
    [album] = tg.fake.calls_of("sendMediaGroup")
    assert len(album.files) == 2
    [job] = await tg.jobs_of(11)
    buttons = tg.fake.chat(11)[-1]
    assert buttons["text"] == texts.TG_RESULT_BUTTONS.format(job_id=job.id)
    assert len(buttons["reply_markup"]["inline_keyboard"]) == 3
    assert await tg.balance(11) == (6, 0)


async def test_the_job_is_captured_without_waiting_for_the_status_clean_up(
    tg: Driver,
) -> None:
    """A crash between posting a result and capturing its credits leaves the job 'may have
    arrived' (released); deleting the status message happens after, in the background."""
    ann = tg.fake.user(11)
    tg.fake.delay("deleteMessage", 2.0)  # Telegram answers the clean-up late
    update = tg.fake.send(ann, "/imagine a fox")
    await tg.fake.wait_until(lambda: tg.fake.calls_of("deleteMessage"), timeout=8)
    posted = time.monotonic()  # the photo is posted and the status clean-up under way
    while (job := (await tg.jobs_of(11))[0]).state is not JobState.DELIVERED:
        assert time.monotonic() - posted < 1.0, job.state
        await asyncio.sleep(0.02)
    await tg.result(update["message"])
    assert [("photo" in m) for m in tg.fake.chat(11)] == [True]  # and the status is gone
    assert await tg.balance(11) == (8, 0)


# A blocked user and flood control on the upload: rows of the chat-fault table in
# tests/reliability/test_faults_chat.py (delivered once, or failed with credits back).


async def test_a_fal_failure_turns_the_status_into_a_plain_explanation(tg: Driver) -> None:
    ann = tg.fake.user(11)
    tg.fake.send(ann, "/imagine a fox fault:422")
    failed = await tg.fake.wait_until(
        lambda: [m for m in tg.fake.chat(11) if m.get("text", "").startswith("❌")]
    )
    await tg.idle()
    assert "credits were returned" in failed[0]["text"]
    assert len(tg.fake.chat(11)) == 1 and await tg.balance(11) == (10, 0)


async def test_no_secret_crosses_over(tg: Driver) -> None:
    ann = tg.fake.user(11)
    sizes = tg.fake.photo_sizes(png_bytes(32, 32))
    await tg.result(tg.fake.send(ann, "a fox", photo=sizes)["message"])
    fal_traffic = " ".join(r.path + r.query + r.body for r in tg.fal.requests)
    assert tg.fake.token not in fal_traffic and "file/bot" not in fal_traffic
    key = tg.settings.fal.key
    assert key is not None and key.get_secret_value() not in tg.fake.transcript()


async def test_an_unexpected_error_gets_a_short_generic_reply(tg: Driver) -> None:
    ann = tg.fake.user(11)
    tg.fake.fail("getFile", 500, "Internal Server Error")
    tg.fake.send(ann, "a fox", photo=tg.fake.photo_sizes(png_bytes()))
    reply = await tg.fake.wait_until(lambda: tg.fake.chat(11))
    await tg.idle()
    assert [m["text"] for m in reply] == [texts.TG_ERROR]
    assert "Traceback" not in tg.fake.transcript() and await tg.jobs_of(11) == []


async def test_a_stale_callback_answer_does_not_stop_the_press(tg: Driver) -> None:
    ann = tg.fake.user(11)
    photo = await tg.result(tg.fake.send(ann, "/imagine a fox")["message"])
    [job] = await tg.jobs_of(11)
    tg.fake.fail(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    tg.fake.press(ann, photo, f"r:{job.id}")
    await tg.result(photo)
    assert len(await tg.jobs_of(11)) == 2
