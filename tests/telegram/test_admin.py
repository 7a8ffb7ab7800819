"""End to end: admin commands in a private chat, refused everywhere else and for everyone else."""

from __future__ import annotations

from bot.core import texts
from records import JobState, Platform, UserRef
from tests.telegram.driver import ADMIN, ANONYMOUS_ADMIN, Driver, redelivered


async def known_user(tg: Driver, user_id: int = 42) -> dict[str, object]:
    """A user who has talked to the bot once (so admins can manage them)."""
    user = tg.fake.user(user_id, "Bob")
    await tg.answer(tg.fake.send(user, "/balance"))
    return user


async def test_admin_grants_credits_recorded_with_admin_and_update(tg: Driver) -> None:
    await known_user(tg)
    admin = tg.fake.user(ADMIN, "Root")
    update = tg.fake.send(admin, "/grant 42 15 welcome gift")
    reply = (await tg.answer(update))["text"]
    assert reply == texts.GRANTED.format(amount=15, user="telegram:42", available=25, held=0)
    assert await tg.balance(42) == (25, 0)
    [entry] = [
        e
        for e in await tg.ledger.entries(UserRef(Platform.TELEGRAM, "42"), 5)
        if e.kind == "grant" and e.actor != "system"
    ][:1]
    assert entry.actor == f"telegram:{ADMIN}" and str(update["update_id"]) in entry.idem_key
    assert entry.reason == "welcome gift"


async def test_a_redelivered_grant_changes_nothing_twice(tg: Driver) -> None:
    await known_user(tg)
    admin = tg.fake.user(ADMIN, "Root")
    update = tg.fake.send(admin, "/grant 42 5")
    await tg.answer(update)
    await redelivered(tg, update)
    assert len(tg.fake.replies_to(update["message"])) == 1
    assert await tg.balance(42) == (15, 0)


async def test_non_admins_and_a_forged_anonymous_admin_are_refused(tg: Driver) -> None:
    await known_user(tg)
    for user_id in (43, ANONYMOUS_ADMIN):  # 1087968824 is even listed in admin_ids
        user = tg.fake.user(user_id)
        reply = (await tg.answer(tg.fake.send(user, "/grant 42 100")))["text"]
        assert reply == texts.NOT_ADMIN
    assert await tg.balance(42) == (10, 0)


async def test_admin_commands_are_refused_in_groups(tg: Driver) -> None:
    await known_user(tg)
    admin, group = tg.fake.user(ADMIN, "Root"), tg.fake.group()
    update = tg.fake.send(admin, "/grant@imagebot_test 42 100", chat=group)
    assert (await tg.answer(update))["text"] == texts.TG_ADMIN_PRIVATE_ONLY
    assert await tg.balance(42) == (10, 0)


async def test_an_anonymous_group_admin_is_asked_to_post_as_themselves(tg: Driver) -> None:
    group = tg.fake.group()
    anonymous = {
        "id": ANONYMOUS_ADMIN,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    update = tg.fake.send(anonymous, "/imagine@imagebot_test a fox", chat=group, sender_chat=group)
    assert (await tg.answer(update))["text"] == texts.TG_ANONYMOUS
    assert tg.fal.submissions == []


async def test_bad_amounts_and_unknown_users_get_one_clear_reply(tg: Driver) -> None:
    await known_user(tg)
    admin = tg.fake.user(ADMIN, "Root")
    cases = {
        "/grant 42 lots": texts.BAD_AMOUNT.format(low=1, high=1_000_000, value="lots"),
        "/grant 42 -5": texts.BAD_AMOUNT.format(low=1, high=1_000_000, value="-5"),
        "/grant 77 5": texts.UNKNOWN_USER.format(user="77"),
        "/grant 42": texts.ADMIN_USAGE.format(usage="/grant <user> <amount> [reason]"),
    }
    for line, expected in cases.items():
        assert (await tg.answer(tg.fake.send(admin, line)))["text"] == expected
    assert await tg.balance(42) == (10, 0)


async def test_a_reply_to_a_forwarded_message_stands_in_for_the_user(tg: Driver) -> None:
    bob = await known_user(tg)
    admin = tg.fake.user(ADMIN, "Root")
    origin = {"type": "user", "date": 0, "sender_user": bob}
    forwarded = tg.fake.message(admin, "please top me up", forward_origin=origin)
    reply = await tg.answer(tg.fake.send(admin, "/grant 5 asked nicely", reply_to=forwarded))
    assert reply["text"].startswith("Granted 5 credits to telegram:42")
    credits = await tg.answer(tg.fake.send(admin, "/credits", reply_to=forwarded))
    assert credits["text"].startswith("telegram:42: 15 available, 0 held")


async def test_revoke_set_ban_unban_and_stats(tg: Driver) -> None:
    bob = await known_user(tg)
    admin = tg.fake.user(ADMIN, "Root")

    async def say(line: str) -> str:
        return str((await tg.answer(tg.fake.send(admin, line)))["text"])

    assert (await say("/revoke 42 3")).startswith("Revoked 3")
    assert (await say("/setcredits 42 50")).startswith("Set telegram:42 to 50")
    assert await say("/ban 42") == texts.BANNED_OK.format(user="telegram:42")
    assert (await tg.answer(tg.fake.send(bob, "/imagine a fox")))["text"] == texts.BANNED
    assert await say("/unban 42") == texts.UNBANNED_OK.format(user="telegram:42")
    assert "Success rate" in await say("/stats")
    assert await tg.balance(42) == (50, 0) and tg.fal.submissions == []


async def test_refund_of_a_delivered_job_and_refusal_of_a_second_one(tg: Driver) -> None:
    bob = await known_user(tg)
    await tg.result(tg.fake.send(bob, "/imagine a fox")["message"])
    [job] = await tg.jobs_of(42)
    assert job.state is JobState.DELIVERED and await tg.balance(42) == (8, 0)
    admin = tg.fake.user(ADMIN, "Root")
    reply = (await tg.answer(tg.fake.send(admin, f"/refund {job.id} bad image")))["text"]
    assert reply == texts.REFUNDED.format(amount=2, job_id=job.id, user="telegram:42")
    again = (await tg.answer(tg.fake.send(admin, f"/refund {job.id}")))["text"]
    assert again.startswith(f"Job {job.id} can't be refunded")
    assert await tg.balance(42) == (10, 0)
