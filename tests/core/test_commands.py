"""The shared command layer: user and admin commands, and bad input that costs nothing."""

import asyncio
from pathlib import Path

import pytest

from bot.core import texts
from records import JobState
from tests.fakes.fal_server import FakeFal
from tests.harness import Core, core_stack


async def available(core: Core, who: str = "alice") -> int:
    return (await core.ledger.balance(core.caller(who).user)).available


# Empty, 10k-character, control-character and zero-width prompts, out-of-range options,
# every kind of broken image and the basic admin refusals are rows of the cross-platform
# catalogue in tests/reliability/test_bad_input_catalogue.py; these are the rest.
BAD_PROMPTS = [
    ("/imagine    ", texts.EMPTY_PROMPT),
    ("/imagine fox --wat", "Unknown option --wat"),
    ("/imagine fox --seed x", "takes a whole number"),
    ("/imagine fox --n 0", "between 1 and 4"),
    ("/imagine fox --ar 99:1", "Aspect ratio"),
    ("/imagine fox --size giant", "Unknown size"),
    ("/imagine fox --lora ghost", "Unknown LoRA 'ghost'"),
    ("/imagine fox --strength 0.5", texts.STRENGTH_NEEDS_IMAGE),
    ("/edit fox", texts.EDIT_NEEDS_IMAGE),
    ("/frobnicate", "Unknown command /frobnicate"),
]


@pytest.mark.parametrize(("line", "message"), BAD_PROMPTS)
async def test_bad_prompts_get_one_clear_message_and_cost_nothing(
    tmp_path: Path, fal: FakeFal, line: str, message: str
) -> None:
    async with core_stack(tmp_path, fal) as core:
        await core.say("/balance")
        reply = await core.say(line)
        assert not reply.ok and message in reply.text
        assert await available(core) == 10 and fal.submissions == []


async def test_an_oversized_non_image_is_refused_by_size_before_any_charge(
    tmp_path: Path, fal: FakeFal
) -> None:
    async with core_stack(tmp_path, fal) as core:
        await core.say("/balance")
        reply = await core.say("/edit a fox", image=b"\xff" * 3_000_000)
        assert not reply.ok and "That image is 3.0 MB" in reply.text, reply.text
        assert await available(core) == 10 and fal.requests == []


async def test_not_enough_credits_banned_and_in_flight_cap(tmp_path: Path, fal: FakeFal) -> None:
    fal.slow_seconds = 30
    async with core_stack(tmp_path, fal, initial=5, per_user=1) as core:
        busy = await core.say("/imagine one fault:slow")
        assert busy.ok
        refused = await core.say("/imagine two")
        assert refused.text == texts.TOO_MANY_JOBS.format(limit=1)
        await core.say(f"/cancel {busy.job.id}")
        big = await core.say("/imagine three --n 3")
        assert big.text == texts.NOT_ENOUGH_CREDITS.format(needed=6, available=5)
        await core.say("/balance", who="root")
        assert (await core.say("/ban console:alice", who="root", admin=True)).ok
        assert (await core.say("/imagine four")).text == texts.BANNED
        assert (await core.say("/unban alice", who="root", admin=True)).ok
        assert (await core.say("/imagine five")).ok
        await core.idle()
        assert await available(core) == 3


async def test_balance_history_and_help(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal) as core:
        assert (await core.say("/history")).text == texts.HISTORY_EMPTY
        job = (await core.say("a lighthouse at night")).job
        await core.idle()
        balance = (await core.say("/balance")).text
        assert balance.startswith(texts.BALANCE.format(available=8, held=""))
        assert "fal-ai/flux-lora: 2" in balance
        history = (await core.say("/history")).text
        assert f"{job.id} · delivered" in history and "a lighthouse at night" in history
        help_text = (await core.say("/help")).text
        assert "--ar 16:9" in help_text and "anime" in help_text and "Admin" not in help_text
        assert "Admin" in (await core.say("/help", admin=True)).text


async def test_reroll_and_variation_of_a_result(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal, per_user=3) as core:
        first = (await core.say("/imagine a fox --seed 5 --lora anime")).job
        await core.idle()
        reroll = await core.router.user.reroll(core.caller(), first.id, core.chat)
        vary = await core.router.user.vary(core.caller(), first.id, 0, core.chat)
        assert reroll.ok and vary.ok, (reroll.text, vary.text)
        await core.idle()
        again, variation = fal.submissions[1].payload, fal.submissions[2].payload
        assert again["prompt"] == "a fox" and again.get("seed") != 5
        assert again["loras"] == fal.submissions[0].payload["loras"]
        assert fal.submissions[2].endpoint == "fal-ai/flux-general/image-to-image"
        assert "image_url" in variation and "strength" in variation
        other = await core.router.user.reroll(core.caller("mallory"), first.id, core.chat)
        assert not other.ok and other.text == texts.NOT_YOUR_JOB
        bad = await core.router.user.vary(core.caller(), first.id, 7, core.chat)
        assert bad.text == texts.NO_SUCH_IMAGE.format(job_id=first.id, index=8)


async def test_replayed_event_makes_no_second_job(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal) as core:
        first = await core.say("/imagine a fox", event="console:1")
        again = await core.say("/imagine a fox", event="console:1")
        assert first.new and not again.new and again.job.id == first.job.id
        await core.idle()
        assert len(fal.submissions) == 1 and await available(core) == 8


async def test_a_double_tap_on_a_result_button_makes_one_job(tmp_path: Path, fal: FakeFal) -> None:
    """Two presses of one button (two events, moments apart) start and charge one job;
    the second press is told that job is on its way. Different buttons still count."""
    async with core_stack(tmp_path, fal, per_user=4) as core:
        first = (await core.say("/imagine a fox")).job
        await core.idle()
        user, alice = core.router.user, core.caller()
        taps = await asyncio.gather(
            user.reroll(alice, first.id, core.chat, event_key="tap:1"),
            user.reroll(alice, first.id, core.chat, event_key="tap:2"),
            user.vary(alice, first.id, 0, core.chat, event_key="tap:3"),
            user.vary(alice, first.id, 0, core.chat, event_key="tap:4"),
        )
        assert [t.new for t in taps] == [True, False, True, False]
        assert taps[1].job.id == taps[0].job.id and taps[3].job.id == taps[2].job.id
        assert taps[1].text == texts.DUPLICATE_EVENT.format(job_id=taps[0].job.id)
        await core.idle()
        assert len(fal.submissions) == 3
        assert await available(core) == 10 - first.cost - taps[0].job.cost - taps[2].job.cost


async def test_a_refused_press_leaves_the_button_free(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal) as core:
        first = (await core.say("/imagine a fox --n 4")).job
        await core.idle()
        alice = core.caller()
        refused = await core.router.user.reroll(alice, first.id, core.chat, event_key="t:1")
        assert refused.text == texts.NOT_ENOUGH_CREDITS.format(needed=8, available=2)
        await core.say(f"/grant {alice.user.key} 20", admin=True)
        again = await core.router.user.reroll(alice, first.id, core.chat, event_key="t:2")
        assert again.ok and again.new, again.text


ADMIN_REFUSALS = [
    ("/grant alice 0", "The amount must be a whole number from 1", True),
    ("/grant alice ten", "The amount must be a whole number from 1", True),
    ("/grant alice", "Usage: /grant", True),
    ("/revoke alice 500", "console:alice has only 10 credits available", True),
    ("/setcredits alice -1", "The amount must be a whole number from 0", True),
    ("/refund nojob", texts.NO_SUCH_JOB.format(job_id="nojob"), True),
    ("/ban", "Usage: /ban", True),
    ("/stats", texts.NOT_ADMIN, False),
]


@pytest.mark.parametrize(("line", "message", "admin"), ADMIN_REFUSALS)
async def test_admin_refusals(
    tmp_path: Path, fal: FakeFal, line: str, message: str, admin: bool
) -> None:
    async with core_stack(tmp_path, fal) as core:
        await core.say("/balance")
        reply = await core.say(line, who="root", admin=admin)
        assert not reply.ok and message in reply.text, reply.text
        assert await available(core) == 10


async def test_admin_changes_are_in_the_ledger_once(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal) as core:
        await core.say("/balance")
        grant = await core.say("/grant alice 15 birthday", who="root", admin=True, event="e1")
        assert grant.text == texts.GRANTED.format(
            amount=15, user="console:alice", available=25, held=0
        )
        replay = await core.say("/grant alice 15 birthday", who="root", admin=True, event="e1")
        assert replay.text == texts.ALREADY_DONE
        await core.say("/revoke alice 5", who="root", admin=True)
        await core.say("/setcredits alice 40 reset", who="root", admin=True)
        assert await available(core) == 40
        shown = (await core.say("/credits alice", who="root", admin=True)).text
        assert shown.startswith("console:alice: 40 available, 0 held")
        assert "grant +15" in shown and "by console:root birthday" in shown
        entries = await core.ledger.entries(core.caller().user, 10)
        assert {e.actor for e in entries if e.kind != "grant" or e.reason != "welcome credits"} == {
            "console:root"
        }


async def test_refund_of_a_delivered_job_once(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal) as core:
        job = (await core.say("/imagine a fox")).job
        await core.idle()
        assert await available(core) == 8
        refund = await core.say(f"/refund {job.id} bad hands", who="root", admin=True)
        assert refund.text == texts.REFUNDED.format(amount=2, job_id=job.id, user="console:alice")
        again = await core.say(f"/refund {job.id}", who="root", admin=True)
        assert not again.ok and await available(core) == 10
        stats = (await core.say("/stats", who="root", admin=True)).text
        assert "1 jobs, 1 delivered, 0 failed" in stats and "100%" in stats
        assert (await core.jobs.get(job.id)).state is JobState.DELIVERED  # type: ignore[union-attr]


async def test_rate_limit_and_daily_spend_cap_refuse_without_charging(
    tmp_path: Path, fal: FakeFal
) -> None:
    async with core_stack(tmp_path, fal, per_minute=3, daily_cap=4, per_user=5) as core:
        await core.say("/balance")
        first, second = await core.say("/imagine one"), await core.say("/imagine two")
        assert first.ok and second.ok
        capped = await core.say("/imagine three")
        assert capped.text == texts.SPEND_CAP.format(cap=4, spent=4)
        assert (await core.say("/imagine four")).text == texts.RATE_LIMITED
        await core.idle()
        assert await available(core) == 10 - 4
        assert (await core.say("/imagine five", who="bob")).ok  # others are not affected
