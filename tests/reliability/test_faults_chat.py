"""Chat faults (issue 5, item 4): Telegram and Discord failing while a result is posted,
through the whole bot (bot.app.build_app), the real python-telegram-bot / discord.py
clients, and the fake platform servers.

Every row ends one of two ways, and nothing in between:

- delivered exactly once: one post carries the image(s), counted at the fake server, and
  the job's price is captured;
- failed clearly: the job is ``failed``, its credits are released, nothing was posted, and
  the user was told when there is still a way to reach them.

In both, the ledger's consistency check passes and the fake saw no second post of the
result, whatever the platform answered.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord.http
import discord.webhook.async_
import pytest

from bot.core import texts
from records import JobState
from tests.discord.conftest import World
from tests.discord.payloads import ALICE, BOB, CHANNEL, slash
from tests.fakes.discord_server import FakeDiscord, Recorded
from tests.fakes.fal_server import FakeFal
from tests.fakes.telegram_server import BLOCKED, FakeTelegram
from tests.reliability.conftest import LogCapture
from tests.telegram.driver import Driver, telegram_bot

USER = 11
READ_TIMEOUT = 1.0  # python-telegram-bot's read timeout in this module (driver: 2 s)
PRICE = 2  # credits of one flux-lora image (tests/harness.py settings)
INITIAL = 10

# --- Telegram ----------------------------------------------------------------------------

Script = Callable[[FakeTelegram], Any]


def results_posted(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    """Messages carrying an image the bot posted in the chat (applied calls only)."""
    return [m for m in fake.chat(chat_id) if "photo" in m or "document" in m]


def upload_attempts(fake: FakeTelegram) -> list[int]:
    """The statuses Telegram answered to every attempt at posting the image."""
    kinds = ("sendPhoto", "sendDocument", "sendMediaGroup")
    return [c.status for c in fake.calls if c.method in kinds]


def statuses(fake: FakeTelegram, method: str) -> list[int]:
    return [c.status for c in fake.calls if c.method == method]


@dataclass(frozen=True)
class TgCase:
    script: Script  # set up before the user asks
    delivered: bool
    attempts: list[int]  # statuses of the upload attempts, in order
    told: str | None = None  # the failure text the user sees, when they can see one
    blocks_while_running: bool = False  # the user blocks the bot once the job is accepted
    extra: Callable[[FakeTelegram], None] | None = None


def edits_were_flood_limited(fake: FakeTelegram) -> None:
    """The status edits met flood control, yet the chat ends tidy: the photo alone (the
    status message deleted), not a stale status line."""
    assert 429 in statuses(fake, "editMessageText")
    assert [("photo" in m) for m in fake.chat(USER)] == [True]


def buttons_follow_in_a_note(fake: FakeTelegram) -> None:
    """The photo (posted once, though unconfirmed), then a note carrying the buttons."""
    photo, note = fake.chat(USER)
    assert "photo" in photo and "reply_markup" in note
    job_id = note["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[1]
    assert note["text"] == texts.TG_UPLOAD_UNSURE.format(job_id=job_id)


def nothing_reached_the_chat(fake: FakeTelegram) -> None:
    """Once blocked, every call into the chat was refused: nothing half-posted."""
    into_chat = [c.status for c in fake.calls if c.chat_id == USER]
    blocked = into_chat.index(403)
    assert set(into_chat[blocked:]) == {403}


TG_CASES = {
    # Flood control on the upload: AIORateLimiter waits retry_after and sends again.
    "429-on-sendPhoto": TgCase(
        lambda fake: fake.flood("sendPhoto", retry_after=1), True, [429, 200]
    ),
    # A flood longer than the limiter's retries: nothing was posted, so the job fails and
    # says so, instead of posting later (or twice).
    "429-storm-on-sendPhoto": TgCase(
        lambda fake: fake.flood("sendPhoto", retry_after=1, times=None),
        False,
        [429, 429, 429],
        texts.FAILED_PREFIX.format(job_id="{job}", reason=texts.FAIL_DELIVERY, cost=PRICE),
    ),
    # Flood control on the status edits: the edits wait; the result is not held up.
    "429-on-edits": TgCase(
        lambda fake: fake.flood("editMessageText", retry_after=1, times=3),
        True,
        [200],
        extra=edits_were_flood_limited,
    ),
    # The upload reached Telegram but the answer came after the read timeout (PTB raises
    # TimedOut): the photo is not sent again; its buttons follow in a short note.
    "upload-timed-out-but-delivered": TgCase(
        lambda fake: fake.delay("sendPhoto", READ_TIMEOUT + 0.4),
        True,
        [200],
        extra=buttons_follow_in_a_note,
    ),
    # The user blocks the bot while the job runs: every call into the chat is 403 from
    # then on. The credits come back; there is nobody left to tell.
    "blocked-user": TgCase(
        lambda fake: None,
        False,
        [403],
        blocks_while_running=True,
        extra=nothing_reached_the_chat,
    ),
    # Refused only at the upload (blocked between the status edit and the photo).
    "blocked-at-upload": TgCase(
        lambda fake: fake.fail("sendPhoto", 403, BLOCKED, chat_id=USER, times=None), False, [403]
    ),
}


@pytest.fixture
async def tg(
    tmp_path: Path, telegram_fake: FakeTelegram, fal: FakeFal, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Driver]:
    """The whole bot on Telegram, with a shorter read timeout (a late answer comes sooner)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    section = {"read_timeout": READ_TIMEOUT}
    async with telegram_bot(tmp_path, telegram_fake, fal, monkeypatch, telegram=section) as bot:
        yield bot


@pytest.mark.parametrize("case", TG_CASES.values(), ids=TG_CASES.keys())
async def test_telegram_fault_delivers_once_or_fails_clearly(
    tg: Driver, logs: LogCapture, case: TgCase
) -> None:
    ann = tg.fake.user(USER)
    case.script(tg.fake)
    if case.blocks_while_running:
        tg.fal.inference_seconds = 0.3
    update = tg.fake.send(ann, "/imagine a fox")
    if case.blocks_while_running:
        await tg.fake.wait_until(lambda: statuses(tg.fake, "editMessageText"))
        tg.fake.block(USER)
    await tg.fake.wait_until(lambda: upload_attempts(tg.fake), timeout=8)
    await tg.idle()
    [job] = await tg.jobs_of(USER)
    posted = results_posted(tg.fake, USER)
    assert upload_attempts(tg.fake) == case.attempts
    if case.delivered:
        assert job.state is JobState.DELIVERED
        assert len(posted) == 1 and await tg.balance(USER) == (INITIAL - PRICE, 0)
        assert posted[0]["reply_to_message"]["message_id"] == update["message"]["message_id"]
    else:
        assert job.state is JobState.FAILED and posted == []
        assert await tg.balance(USER) == (INITIAL, 0)
    if case.told is not None:
        told = [m["text"] for m in tg.fake.chat(USER) if "text" in m]
        assert case.told.format(job=job.id) in told
    if case.extra is not None:
        case.extra(tg.fake)
    assert await tg.ledger.check() == []
    # Each fault is expected: the bot logs a warning, never a traceback (PTB's rate
    # limiter logs its own when it gives up on a flood; that one is not ours).
    ours = [p for p in logs.problems() if not p.startswith("telegram.ext.AIORateLimiter")]
    assert ours == []
    await still_serving_on_telegram(tg)


async def still_serving_on_telegram(tg: Driver) -> None:
    """After the fault has passed, another user's job goes through."""
    tg.fake.faults.clear()
    bob = tg.fake.user(USER + 1, "Bob")
    await tg.result(tg.fake.send(bob, "/imagine a calm lake")["message"])
    [job] = await tg.jobs_of(USER + 1)
    assert job.state is JobState.DELIVERED and len(results_posted(tg.fake, USER + 1)) == 1


# --- Discord -----------------------------------------------------------------------------

ORIGINAL = "/messages/@original"
Arrange = Callable[[FakeDiscord, dict[str, Any]], None]


class _QuickBackoff:
    """``asyncio`` as discord.py's HTTP modules see it, with their 5xx back-off (1, 3, 5,
    7, 9 s) cut to 10 ms so a row with a 5xx storm stays fast; everything else is asyncio."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(min(delay, 0.01), result)


@pytest.fixture
def quick_discord_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    backoff = _QuickBackoff()
    monkeypatch.setattr(discord.http, "asyncio", backoff)
    monkeypatch.setattr(discord.webhook.async_, "asyncio", backoff)


def result_posts(fake: FakeDiscord, job_id: str) -> list[Recorded]:
    """Requests Discord accepted that carried the job's result (its embed)."""
    title = texts.DISCORD_RESULT_TITLE.format(job_id=job_id)
    return [
        r
        for r in fake.requests
        if 200 <= r.status < 300
        and isinstance(r.json, dict)
        and any(e.get("title") == title for e in r.json.get("embeds") or [])
    ]


def visible_results(fake: FakeDiscord, job_id: str) -> list[dict[str, Any]]:
    title = texts.DISCORD_RESULT_TITLE.format(job_id=job_id)
    return [m for m in fake.messages.values() if any(e.get("title") == title for e in m["embeds"])]


@dataclass(frozen=True)
class DcCase:
    arrange: Arrange
    outcome: str  # "delivered", "failed" or "never started"
    route: str = ""  # regex of the path the result went by, when delivered
    extra: Callable[[FakeDiscord, dict[str, Any]], None] | None = None


def webhook_refused(fake: FakeDiscord, payload: dict[str, Any]) -> None:
    """Every use of the interaction webhook was refused (it was tried, then left alone)."""
    used = [r.status for r in fake.calls(None, payload["token"] + "/") if "/callback" not in r.path]
    assert used == [401]
    [message] = [m for m in fake.channel_messages(CHANNEL) if "webhook_id" not in m]
    assert message["content"] == f"<@{ALICE.id}>" and len(message["attachments"]) == 1


def retried_once(fake: FakeDiscord, payload: dict[str, Any]) -> None:
    uploads = [r.status for r in fake.calls("PATCH", payload["token"]) if r.files]
    assert uploads == [500, 200]


def five_tries_then_the_channel(fake: FakeDiscord, payload: dict[str, Any]) -> None:
    """discord.py tried the webhook upload 5 times (each a 502), then it was given up."""
    uploads = [r.status for r in fake.calls("PATCH", payload["token"] + ORIGINAL) if r.files]
    assert uploads == [502] * 5


def shrunk_after_413(fake: FakeDiscord, payload: dict[str, Any]) -> None:
    uploads = [r for r in fake.requests if r.files]
    assert [r.status for r in uploads if r.status == 413], "no 413 was seen"
    assert all(r.status == 413 for r in uploads)  # nothing oversized got through


DC_CASES = {
    # The interaction's token is unknown by the time the result is ready (404 10015):
    # the result goes to the channel instead, once.
    "404-webhook-token-gone": DcCase(
        lambda fake, p: fake.forget_token(p["token"]),
        "delivered",
        rf"/channels/{CHANNEL}/",
    ),
    # Too late to acknowledge at all (404 10062 Unknown interaction): nothing is started,
    # held or posted (Discord shows "This interaction failed").
    "404-late-interaction": DcCase(lambda fake, p: fake.late(int(p["id"])), "never started"),
    # 401 Invalid Webhook Token: to the channel, once.
    "401-expired-token": DcCase(
        lambda fake, p: fake.expire_token(p["token"]),
        "delivered",
        rf"/channels/{CHANNEL}/",
        extra=webhook_refused,
    ),
    # 413 on every upload: smaller files are tried, then links only; posted once.
    "413-upload-too-large": DcCase(
        lambda fake, p: setattr(fake, "upload_limit", 10),
        "delivered",
        ORIGINAL,
        extra=shrunk_after_413,
    ),
    # One 5xx on the upload: discord.py retries it; the retry is the only post.
    "5xx-once-on-result": DcCase(
        lambda fake, p: fake.fail(
            "PATCH", ORIGINAL, 500, 0, "Internal Server Error", with_files=True
        ),
        "delivered",
        ORIGINAL,
        extra=retried_once,
    ),
    # The interaction webhook answers 5xx to every upload (past discord.py's 5 tries):
    # the result goes to the channel, once.
    "5xx-storm-on-result-webhook": DcCase(
        lambda fake, p: fake.fail(
            "PATCH", ORIGINAL, 502, 0, "Bad Gateway", times=None, with_files=True
        ),
        "delivered",
        rf"/channels/{CHANNEL}/",
        extra=five_tries_then_the_channel,
    ),
    # Every upload by every route answers 5xx: the job fails, credits come back, and the
    # user is told where the result would have been (a text edit still goes through).
    "5xx-everywhere": DcCase(
        lambda fake, p: fake.fail(
            "*", r"/(messages|webhooks)", 503, 0, "Service Unavailable", times=None, with_files=True
        ),
        "failed",
    ),
}


@pytest.mark.usefixtures("quick_discord_backoff")
@pytest.mark.parametrize("case", DC_CASES.values(), ids=DC_CASES.keys())
async def test_discord_fault_delivers_once_or_fails_clearly(
    world: World, logs: LogCapture, case: DcCase
) -> None:
    payload = slash("imagine", prompt="a fox")
    case.arrange(world.fake, payload)
    world.send(payload)
    if case.outcome == "never started":
        await world.first_answer(payload)
        await world.idle()
        assert await world.job_for(payload) is None and world.fal.submissions == []
        assert await world.nothing_charged(ALICE)
        assert [r.status for r in world.fake.requests if payload["token"] in r.path] == [404]
    else:
        job = await world.settled(payload, timeout=10)
        posts = result_posts(world.fake, job.id)
        if case.outcome == "delivered":
            assert job.state is JobState.DELIVERED
            assert len(posts) == 1 and re.search(case.route, posts[0].path), posts
            assert len(visible_results(world.fake, job.id)) == 1
            assert await world.balance(ALICE) == (INITIAL - PRICE, 0)
        else:
            assert job.state is JobState.FAILED and posts == []
            assert await world.balance(ALICE) == (INITIAL, 0)
            told = texts.FAILED_PREFIX.format(job_id=job.id, reason=texts.FAIL_DELIVERY, cost=PRICE)
            assert told in [
                m["content"].removeprefix(f"<@{ALICE.id}> ") for m in world.fake.messages.values()
            ]
        if case.extra is not None:
            case.extra(world.fake, payload)
    assert await world.ledger.check() == []
    assert not [line for line in logs.texts() if "unexpectedly" in line]
    await still_serving_on_discord(world)


async def still_serving_on_discord(world: World) -> None:
    """Once the fault has passed, the next job is delivered."""
    world.fake.heal()
    again = world.send(slash("imagine", prompt="a calm lake", who=BOB))
    job = await world.settled(again)
    assert job.state is JobState.DELIVERED and len(result_posts(world.fake, job.id)) == 1


@pytest.mark.usefixtures("quick_discord_backoff")
async def test_a_5xx_on_the_followup_is_retried_and_the_refusal_arrives_once(
    world: World,
) -> None:
    """Refusals after the defer go out as an ephemeral followup (a webhook POST): a 5xx
    there is retried by discord.py, and the caller sees the refusal once, charged nothing."""
    attachment = world.fake.add_attachment(b"not an image at all", "cat.png", "image/png")
    payload = slash("edit", attachment=attachment, prompt="make it blue")
    world.fake.fail("POST", rf"/webhooks/\d+/{payload['token']}$", 502, 0, "Bad Gateway")
    world.send(payload)
    followups = await world.webhook_calls(payload, "POST", count=2)
    assert [r.status for r in followups] == [502, 200]
    [shown] = world.fake.followups(payload["token"])
    assert (shown["content"], shown["flags"]) == (texts.IMAGE_NOT_AN_IMAGE, 64)
    assert world.fake.original(payload["token"]) is None  # the public "thinking…" is gone
    assert await world.job_for(payload) is None and await world.nothing_charged(ALICE)
    await still_serving_on_discord(world)
