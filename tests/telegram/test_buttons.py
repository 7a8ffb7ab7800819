"""End to end: 🔁 / 🎨 / ⬇ under results, owner-only, and still working after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core import texts
from records import JobKind, JobState
from tests.fakes.fal_server import FakeFal
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram.driver import ADMIN, Driver, telegram_bot


async def first_result(tg: Driver, user: dict[str, Any]) -> tuple[dict[str, Any], str]:
    photo = await tg.result(tg.fake.send(user, "/imagine a red fox")["message"])
    [job] = await tg.jobs_of(user["id"])
    return photo, job.id


def answers(tg: Driver) -> list[dict[str, Any]]:
    return [c.params for c in tg.fake.calls_of("answerCallbackQuery")]


async def test_reroll_answers_first_then_makes_a_new_seeded_job(tg: Driver) -> None:
    ann = tg.fake.user(11)
    photo, job_id = await first_result(tg, ann)
    update = tg.fake.press(ann, photo, f"r:{job_id}")
    again = await tg.result(photo)
    jobs = await tg.jobs_of(11)
    assert len(jobs) == 2 and jobs[0].parent_id == job_id and jobs[0].id in again["caption"]
    methods = [
        c.method for c in tg.fake.calls if c.method in ("answerCallbackQuery", "sendMessage")
    ]
    assert methods[-2:] == ["answerCallbackQuery", "sendMessage"]  # answered before work
    assert answers(tg)[0]["callback_query_id"] == update["callback_query"]["id"]
    assert "text" not in answers(tg)[0]
    assert await tg.balance(11) == (6, 0)


async def test_a_double_tap_on_reroll_makes_one_job(tg: Driver) -> None:
    ann = tg.fake.user(11)
    photo, job_id = await first_result(tg, ann)
    tg.fake.press(ann, photo, f"r:{job_id}")
    tg.fake.press(ann, photo, f"r:{job_id}")
    await tg.result(photo)
    await tg.fake.wait_for("answerCallbackQuery", count=2)
    await tg.idle()
    jobs = await tg.jobs_of(11)
    assert len(jobs) == 2 and len(tg.fal.submissions) == 2
    told = [m.get("text") for m in tg.fake.chat(11)]
    assert texts.DUPLICATE_EVENT.format(job_id=jobs[0].id) in told
    assert await tg.balance(11) == (6, 0)


async def test_variations_is_image_to_image_of_that_result(tg: Driver) -> None:
    ann = tg.fake.user(11)
    photo, job_id = await first_result(tg, ann)
    tg.fake.press(ann, photo, f"v:{job_id}:0")
    await tg.result(photo)
    child = (await tg.jobs_of(11))[0]
    assert child.parent_id == job_id and child.request.kind is JobKind.IMAGE
    assert child.state is JobState.DELIVERED and "strength" in tg.fal.submissions[-1].payload
    assert await tg.balance(11) == (5, 0)


async def test_original_sends_the_full_file_as_a_document(tg: Driver) -> None:
    ann = tg.fake.user(11)
    photo, job_id = await first_result(tg, ann)
    tg.fake.press(ann, photo, f"o:{job_id}:0")
    [document] = await tg.fake.wait_for("sendDocument")
    sent = tg.fake.calls_of("sendPhoto")[0].files["photo"].data
    assert document.files["document"].data == sent
    assert document.files["document"].filename == f"{job_id}-1.png"
    assert await tg.balance(11) == (8, 0) and len(await tg.jobs_of(11)) == 1


async def test_another_users_button_is_refused_with_a_notice(tg: Driver) -> None:
    ann, bob = tg.fake.user(11), tg.fake.user(12, "Bob")
    photo, job_id = await first_result(tg, ann)
    for data in (f"r:{job_id}", f"v:{job_id}:0", f"o:{job_id}:0"):
        tg.fake.press(bob, photo, data)
    await tg.fake.wait_for("answerCallbackQuery", count=3)
    await tg.idle()
    assert [(a["text"], a["show_alert"]) for a in answers(tg)] == [(texts.NOT_YOUR_JOB, "true")] * 3
    assert len(await tg.jobs_of(11)) == 1 and await tg.jobs_of(12) == []
    assert tg.fake.calls_of("sendDocument") == [] and len(tg.fal.submissions) == 1
    assert await tg.balance(11) == (8, 0) and await tg.balance(12) == (0, 0)  # Bob: unseen


async def test_an_admin_may_press_anyones_buttons(tg: Driver) -> None:
    ann, admin = tg.fake.user(11), tg.fake.user(ADMIN, "Root")
    photo, job_id = await first_result(tg, ann)
    tg.fake.press(admin, photo, f"r:{job_id}")
    await tg.result(photo)
    [job] = await tg.jobs_of(ADMIN)  # the admin's own job, paid by the admin
    assert job.parent_id == job_id and await tg.balance(ADMIN) == (8, 0)


async def test_a_button_of_an_unknown_job_says_so(tg: Driver) -> None:
    ann = tg.fake.user(11)
    photo, _ = await first_result(tg, ann)
    tg.fake.press(ann, photo, "r:0000000000")
    await tg.fake.wait_for("answerCallbackQuery")
    assert answers(tg)[0]["text"] == texts.NO_SUCH_JOB.format(job_id="0000000000")


async def test_buttons_still_work_after_a_restart(
    tmp_path: Path, fake: FakeTelegram, fal: FakeFal, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = fake.user(11)
    async with telegram_bot(tmp_path, fake, fal, monkeypatch) as tg:
        photo, job_id = await first_result(tg, ann)
    async with telegram_bot(tmp_path, fake, fal, monkeypatch) as tg:
        tg.fake.press(ann, photo, f"r:{job_id}")
        again = await tg.result(photo)
        tg.fake.press(ann, photo, f"o:{job_id}:0")
        await tg.fake.wait_for("sendDocument")
        jobs = await tg.jobs_of(11)
        assert [j.parent_id for j in jobs] == [job_id, None] and jobs[0].id in again["caption"]
        assert await tg.balance(11) == (6, 0)
