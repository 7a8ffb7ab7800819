"""Bad input catalogue (issue 5, item 5): one table of hostile or broken input on every
front end — the console (the core's command router, as ``python -m bot console`` uses it),
Telegram and Discord (the whole bot against the fake platform servers).

Every refusal row checks:

- exactly one reply, with the exact text from bot/core/texts.py, that only the sender sees
  (Discord: ephemeral; Telegram: a reply to their message);
- nothing charged: no hold or capture in the ledger for the sender (nor for the user an
  admin command named), no job, and not a single request to fal;
- the bot keeps serving: a good request from the same sender right after is delivered.

RTL and emoji-only prompts are *valid* (people write in Hebrew and Arabic, and 🦊🌅 is a
fine prompt): they are rows too, expected to be accepted and charged the normal price, so
the catalogue also proves the refusals are not over-eager.

The hypothesis test at the end feeds the prompt/flag parser thousands of generated inputs
mixed from the flags, values and characters users actually send; tests/core/test_prompts.py
already throws arbitrary text at it (``test_parser_raises_only_its_own_error``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import texts
from bot.core.admin import MAX_AMOUNT
from bot.core.errors import UserError
from bot.core.prompts import MAX_SEED, PromptBuilder, PromptDefaults
from records import JobKind, JobState, LoraWeight, Platform, UserRef
from storage.ledger import Ledger
from tests.discord.conftest import World, make_settings, running
from tests.discord.payloads import ADMIN, ALICE, BOB, IMPOSTOR, Person, slash
from tests.fakes.discord_server import FakeDiscord, point_discord_at
from tests.fakes.fal_server import FakeFal, fast_fal_client_retries, keep_fal_client_urls
from tests.fakes.images import (
    animated_gif_bytes,
    decompression_bomb_png,
    exif_only_bytes,
    huge_png_bytes,
    not_an_image_bytes,
    png_bytes,
    truncated_png_bytes,
)
from tests.fakes.telegram_server import FakeTelegram
from tests.harness import Core, core_stack
from tests.telegram.driver import ADMIN as TG_ADMIN
from tests.telegram.driver import ANONYMOUS_ADMIN, Driver, telegram_bot

SERVICE_ACCOUNT = 777000  # Telegram's channel autoforwards
TG_USER, TG_VICTIM = 11, 42
INITIAL = 10
LIMIT = 1000  # characters of a prompt (Settings default)
THIRTY_MB = 30_000_000
FLAG_RANGE = texts.FLAG_OUT_OF_RANGE
CHAT_IMAGE_LIMIT = "10.0 MB"  # Settings default for Telegram and Discord


@pytest.fixture
async def fal(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeFal]:
    """A FakeFal that generates at once: each row ends with a good request."""
    fast_fal_client_retries(monkeypatch)
    keep_fal_client_urls(monkeypatch)
    async with FakeFal(inference_seconds=0.002, queue_steps=0) as server:
        yield server


@functools.cache
def image(kind: str) -> bytes:
    """The catalogue's images, made once (the 20k×20k PNG takes a moment)."""
    makers: dict[str, Callable[[], bytes]] = {
        "not-an-image": not_an_image_bytes,
        "truncated": truncated_png_bytes,
        "30mb": lambda: b"\x89PNG\r\n\x1a\n" + bytes(THIRTY_MB - 8),
        "20k-by-20k": huge_png_bytes,
        "decompression-bomb": decompression_bomb_png,
        "animated": animated_gif_bytes,
        "exif-only": exif_only_bytes,
        "good": png_bytes,
    }
    return makers[kind]()


# --- rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Console:
    """A line typed at the console, with an image file when ``image`` names one."""

    line: str
    image: str | None = None
    admin: bool = False


@dataclass(frozen=True)
class Tg:
    """A Telegram message: ``media`` sends an image as a photo or as a document."""

    text: str | None
    media: tuple[str, str] | None = None  # ("photo" | "document", image kind)
    sender: int = TG_USER
    group: bool = False


@dataclass(frozen=True)
class Dc:
    """A Discord slash command; ``attachment`` is (image kind, content type)."""

    command: str
    options: dict[str, Any] = field(default_factory=dict)
    attachment: tuple[str, str | None] | None = None
    who: Person = ALICE
    sub: str | None = None


Say = Console | Tg | Dc


def image_of(say: Say) -> str | None:
    """The kind of image a row sends, if any."""
    if isinstance(say, Console):
        return say.image
    if isinstance(say, Tg):
        return say.media[1] if say.media else None
    return say.attachment[0] if say.attachment else None


@dataclass(frozen=True)
class Accepted:
    """The reply column of a valid row: generated from this prompt, charged as usual."""

    prompt: str


def too_large(size: str, limit: str) -> str:
    return texts.IMAGE_TOO_LARGE.format(size=size, limit=limit)


PIXELS_CONSOLE = texts.IMAGE_TOO_MANY_PIXELS.format(limit=f"{4_000_000:,}")  # core_stack
PIXELS_CHAT = texts.IMAGE_TOO_MANY_PIXELS.format(limit=f"{40_000_000:,}")  # Settings default
TOO_LONG = texts.PROMPT_TOO_LONG.format(length=10_000, limit=LIMIT)
GRANT_USAGE = texts.ADMIN_USAGE.format(usage="/grant <user> <amount> [reason]")


def amount(value: object, low: int = 1) -> str:
    return texts.BAD_AMOUNT.format(low=low, high=MAX_AMOUNT, value=value)


CASES: dict[str, tuple[Say, str | Accepted]] = {
    # --- console: the core's router, as the terminal front end calls it ---
    "console-empty": (Console("/imagine"), texts.EMPTY_PROMPT),
    "console-10k-chars": (Console("/imagine " + "x" * 10_000), TOO_LONG),
    "console-control-chars": (Console("/imagine a fox\x1b[31m\x07"), texts.PROMPT_CONTROL_CHARS),
    "console-zero-width-only": (Console("/imagine \u200b\u200c\u200d\u2060"), texts.EMPTY_PROMPT),
    "console-flag-twice": (
        Console("/imagine a fox --seed 1 --seed 2"),
        texts.FLAG_REPEATED.format(flag="--seed"),
    ),
    "console-lora-path": (
        Console("/imagine a fox --lora ../../etc/passwd"),
        texts.UNKNOWN_LORA.format(name="../../etc/passwd", known="anime"),
    ),
    "console-not-an-image": (Console("/edit a fox", "not-an-image"), texts.IMAGE_NOT_AN_IMAGE),
    "console-truncated": (Console("/edit a fox", "truncated"), texts.IMAGE_TRUNCATED),
    "console-30mb": (Console("/edit a fox", "30mb"), too_large("30.0 MB", "2.0 MB")),
    "console-20k-by-20k": (Console("/edit a fox", "20k-by-20k"), PIXELS_CONSOLE),
    "console-decompression-bomb": (Console("/edit a fox", "decompression-bomb"), PIXELS_CONSOLE),
    "console-animated": (Console("/edit a fox", "animated"), texts.IMAGE_ANIMATED),
    "console-exif-only": (Console("/edit a fox", "exif-only"), texts.IMAGE_NOT_AN_IMAGE),
    "console-steps-out-of-range": (
        Console("/imagine a fox --steps 51"),
        FLAG_RANGE.format(flag="--steps", low=1, high=50, value="51"),
    ),
    "console-strength-out-of-range": (
        Console("/edit a fox --strength 1.5", "good"),
        FLAG_RANGE.format(flag="--strength", low=0.01, high=1.0, value="1.5"),
    ),
    "console-grant-negative": (Console("/grant alice -5", admin=True), amount("-5")),
    "console-grant-huge": (Console("/grant alice 99999999999", admin=True), amount("99999999999")),
    "console-grant-unknown-user": (
        Console("/grant nobody 5", admin=True),
        texts.UNKNOWN_USER.format(user="nobody"),
    ),
    "console-grant-not-admin": (Console("/grant alice 10"), texts.NOT_ADMIN),
    "console-rtl-accepted": (Console("/imagine שועל אדום בשחר \u200f"), Accepted("שועל אדום בשחר")),
    "console-emoji-only-accepted": (Console("/imagine 🦊🌅"), Accepted("🦊🌅")),
    # --- Telegram: the whole bot polling the fake Bot API ---
    "telegram-empty": (Tg("/imagine"), texts.EMPTY_PROMPT),
    "telegram-10k-chars": (Tg("/imagine " + "x" * 10_000), TOO_LONG),
    "telegram-control-chars": (Tg("/imagine a fox\x00\x1b"), texts.PROMPT_CONTROL_CHARS),
    "telegram-zero-width-only": (Tg("\u200b\u200b\u2060"), texts.EMPTY_PROMPT),
    "telegram-flag-twice": (
        Tg("/imagine a fox --seed 1 --seed 2"),
        texts.FLAG_REPEATED.format(flag="--seed"),
    ),
    "telegram-lora-path": (
        Tg("/imagine a fox --lora ../../etc"),
        texts.UNKNOWN_LORA.format(name="../../etc", known=texts.NONE_CONFIGURED),
    ),
    "telegram-not-an-image": (
        Tg("make it blue", ("document", "not-an-image")),
        texts.IMAGE_NOT_AN_IMAGE,
    ),
    "telegram-truncated": (Tg("make it blue", ("document", "truncated")), texts.IMAGE_TRUNCATED),
    "telegram-30mb": (
        Tg("make it blue", ("photo", "30mb")),
        too_large("30.0 MB", CHAT_IMAGE_LIMIT),
    ),
    "telegram-20k-by-20k": (Tg("make it blue", ("document", "20k-by-20k")), PIXELS_CHAT),
    "telegram-decompression-bomb": (
        Tg("make it blue", ("photo", "decompression-bomb")),
        PIXELS_CHAT,
    ),
    "telegram-animated": (Tg("make it blue", ("document", "animated")), texts.IMAGE_ANIMATED),
    "telegram-exif-only": (Tg("make it blue", ("document", "exif-only")), texts.IMAGE_NOT_AN_IMAGE),
    "telegram-count-out-of-range": (
        Tg("/imagine a fox --n 9"),
        FLAG_RANGE.format(flag="--n", low=1, high=4, value="9"),
    ),
    "telegram-ratio-out-of-range": (
        Tg("/imagine a fox --ar 99:1"),
        texts.BAD_ASPECT.format(value="99:1"),
    ),
    "telegram-grant-bad-amount": (Tg("/grant 42 lots", sender=TG_ADMIN), amount("lots")),
    "telegram-grant-unknown-user": (
        Tg("/grant 77 5", sender=TG_ADMIN),
        texts.UNKNOWN_USER.format(user="77"),
    ),
    "telegram-grant-missing-amount": (Tg("/grant 42", sender=TG_ADMIN), GRANT_USAGE),
    "telegram-forged-anonymous-admin": (
        Tg("/grant 42 100", sender=ANONYMOUS_ADMIN),
        texts.NOT_ADMIN,
    ),
    "telegram-forged-service-account": (
        Tg("/grant 42 100", sender=SERVICE_ACCOUNT),
        texts.NOT_ADMIN,
    ),
    "telegram-admin-in-group": (
        Tg("/grant@imagebot_test 42 100", sender=TG_ADMIN, group=True),
        texts.TG_ADMIN_PRIVATE_ONLY,
    ),
    "telegram-rtl-accepted": (Tg("ثعلب أحمر عند الفجر"), Accepted("ثعلب أحمر عند الفجر")),
    "telegram-emoji-only-accepted": (Tg("/imagine 🦊🌅"), Accepted("🦊🌅")),
    # --- Discord: the whole bot logged in at the fake REST API ---
    "discord-empty": (Dc("imagine", {"prompt": "   "}), texts.EMPTY_PROMPT),
    "discord-10k-chars": (Dc("imagine", {"prompt": "x" * 10_000}), TOO_LONG),
    "discord-control-chars": (
        Dc("imagine", {"prompt": "a fox\x1b[2J"}),
        texts.PROMPT_CONTROL_CHARS,
    ),
    "discord-zero-width-only": (Dc("imagine", {"prompt": "\u200b\ufeff"}), texts.EMPTY_PROMPT),
    "discord-flag-twice": (
        Dc("imagine", {"prompt": "a fox --seed 1", "seed": 2}),
        texts.FLAG_REPEATED.format(flag="--seed"),
    ),
    "discord-lora-path": (
        Dc("imagine", {"prompt": "a fox --lora ../../etc"}),
        texts.UNKNOWN_LORA.format(name="../../etc", known="inkwash, watercolor"),
    ),
    "discord-not-an-image": (
        Dc("edit", {"prompt": "make it blue"}, ("not-an-image", "image/png")),
        texts.IMAGE_NOT_AN_IMAGE,
    ),
    "discord-truncated": (
        Dc("edit", {"prompt": "make it blue"}, ("truncated", "image/png")),
        texts.IMAGE_TRUNCATED,
    ),
    "discord-30mb": (
        Dc("edit", {"prompt": "make it blue"}, ("30mb", "image/png")),
        too_large("30.0 MB", CHAT_IMAGE_LIMIT),
    ),
    "discord-20k-by-20k": (
        Dc("edit", {"prompt": "make it blue"}, ("20k-by-20k", "image/png")),
        PIXELS_CHAT,
    ),
    "discord-decompression-bomb": (
        Dc("edit", {"prompt": "make it blue"}, ("decompression-bomb", "image/png")),
        PIXELS_CHAT,
    ),
    "discord-animated": (
        Dc("edit", {"prompt": "make it blue"}, ("animated", "image/gif")),
        texts.IMAGE_ANIMATED,
    ),
    "discord-exif-only": (
        Dc("edit", {"prompt": "make it blue"}, ("exif-only", "image/jpeg")),
        texts.IMAGE_NOT_AN_IMAGE,
    ),
    "discord-seed-out-of-range": (
        Dc("imagine", {"prompt": "a fox", "seed": MAX_SEED + 1}),
        FLAG_RANGE.format(flag="--seed", low=0, high=MAX_SEED, value=MAX_SEED + 1),
    ),
    "discord-steps-out-of-range": (
        Dc("imagine", {"prompt": "a fox", "steps": 0}),
        FLAG_RANGE.format(flag="--steps", low=1, high=50, value=0),
    ),
    "discord-grant-negative": (
        Dc("credits", {"user": BOB, "amount": -5}, who=ADMIN, sub="grant"),
        amount(-5),
    ),
    "discord-set-huge": (
        Dc("credits", {"user": BOB, "amount": 10**12}, who=ADMIN, sub="set"),
        amount(10**12, 0),
    ),
    "discord-grant-unknown-user": (
        Dc("credits", {"user": Person(799, "ghost"), "amount": 5}, who=ADMIN, sub="grant"),
        texts.UNKNOWN_USER.format(user="799"),
    ),
    "discord-server-admin-not-configured": (
        Dc("credits", {"user": BOB, "amount": 100}, who=IMPOSTOR, sub="grant"),
        texts.NOT_ADMIN,
    ),
    "discord-rtl-accepted": (Dc("imagine", {"prompt": "שועל אדום"}), Accepted("שועל אדום")),
    "discord-emoji-only-accepted": (Dc("imagine", {"prompt": "🦊🌅"}), Accepted("🦊🌅")),
}


# --- one harness per front end -----------------------------------------------------------


@dataclass
class Seen:
    """What the sender saw, and whose credits must be untouched: the sender first, then
    the user an admin command may name (each once)."""

    replies: list[str]
    users: list[UserRef]


class Front(Protocol):
    ledger: Ledger

    async def send(self, say: Any) -> Seen: ...

    def downloads(self) -> list[str]: ...

    async def serve_good(self, say: Any) -> None: ...

    async def one_reply(self, seen: Seen) -> list[str]: ...


class ConsoleFront:
    """The core's router behind the console (core_stack: 2 MB and 4 Mpx image limits)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.ledger = core.ledger

    async def send(self, say: Console) -> Seen:
        await self.core.say("/balance")  # alice has used the bot (admin rows name her)
        who = "root" if say.admin else "alice"
        data = image(say.image) if say.image else None
        reply = await self.core.say(say.line, who=who, admin=say.admin, image=data)
        if reply.job is None:
            assert not reply.ok
        sender, alice = self.core.caller(who).user, self.core.caller("alice").user
        return Seen([reply.text], list(dict.fromkeys([sender, alice])))

    async def one_reply(self, seen: Seen) -> list[str]:
        return seen.replies  # the router answers each line exactly once, by construction

    def downloads(self) -> list[str]:
        return []  # the console is handed the bytes

    async def serve_good(self, say: Console) -> None:
        await self.core.idle()
        who = "root" if say.admin else "alice"
        reply = await self.core.say("/imagine a calm lake", who=who, admin=say.admin)
        await self.core.idle()
        job = await self.core.jobs.get(reply.job.id) if reply.job else None
        assert job is not None and job.state is JobState.DELIVERED, reply.text


class TelegramFront:
    def __init__(self, tg: Driver) -> None:
        self.tg = tg
        self.ledger = tg.ledger
        self._message: dict[str, Any] = {}

    async def send(self, say: Tg) -> Seen:
        fake = self.tg.fake
        victim = fake.user(TG_VICTIM, "Bob")
        await self.tg.answer(fake.send(victim, "/balance"))  # a known user for admin rows
        sender = fake.user(say.sender)
        content: dict[str, Any] = {}
        if say.media is not None:
            how, kind = say.media
            data = image(kind)
            content = (
                {"photo": fake.photo_sizes(data)}
                if how == "photo"
                else {"document": fake.document(data, f"{kind}.png", "image/png")}
            )
        chat = fake.group() if say.group else None
        update = fake.send(sender, say.text, chat=chat, **content)
        self._message = update["message"]
        reply = await self.tg.answer(update)
        users = [UserRef(Platform.TELEGRAM, str(i)) for i in dict.fromkeys([say.sender, TG_VICTIM])]
        return Seen([str(reply["text"])], users)

    async def one_reply(self, seen: Seen) -> list[str]:
        return [str(m.get("text")) for m in self.tg.fake.replies_to(self._message)]

    def downloads(self) -> list[str]:
        return list(self.tg.fake.downloads)

    async def serve_good(self, say: Tg) -> None:
        fake = self.tg.fake
        sender = fake.user(say.sender)
        good = fake.send(sender, "/imagine a calm lake")
        await self.tg.result(good["message"])
        [job] = [j for j in await self.tg.jobs_of(say.sender) if "calm lake" in j.request.prompt]
        assert job.state is JobState.DELIVERED


EPHEMERAL, LOADING = 64, 128


def visible(fake: FakeDiscord, token: str) -> list[dict[str, Any]]:
    """The interaction's messages as Discord shows them now (original, then followups)."""
    original = fake.original(token)
    return ([original] if original is not None else []) + fake.followups(token)


async def settled_text(fake: FakeDiscord, token: str, timeout: float = 5.0) -> str:
    """The first answer that is neither "thinking…" nor empty."""
    async with asyncio.timeout(timeout):
        while True:
            done = [m for m in visible(fake, token) if m["content"] and not m["flags"] & LOADING]
            if done:
                return str(done[0]["content"])
            await asyncio.sleep(0.01)


class DiscordFront:
    def __init__(self, world: World) -> None:
        self.world = world
        self.ledger = world.ledger
        self._token = ""

    async def send(self, say: Dc) -> Seen:
        world = self.world
        known = world.send(slash("balance", who=BOB))  # a user admin rows can name
        await world.webhook_calls(known, "PATCH")  # answered: BOB is in the ledger now
        attachment = None
        if say.attachment is not None:
            kind, content_type = say.attachment
            data = image(kind)
            attachment = world.fake.add_attachment(data, f"{kind}.png", content_type)
        payload = slash(say.command, who=say.who, sub=say.sub, attachment=attachment, **say.options)
        self._token = payload["token"]
        world.send(payload)
        found = await settled_text(world.fake, self._token)
        users = [UserRef(Platform.DISCORD, str(p.id)) for p in dict.fromkeys([say.who, BOB])]
        return Seen([found], users)

    async def one_reply(self, seen: Seen) -> list[str]:
        """What the interaction shows now; a refusal is seen by the sender only."""
        shown = visible(self.world.fake, self._token)
        assert all(m["flags"] & EPHEMERAL for m in shown), shown
        return [str(m["content"]) for m in shown]

    def downloads(self) -> list[str]:
        return list(self.world.fake.downloads)

    async def serve_good(self, say: Dc) -> None:
        good = self.world.send(slash("imagine", who=say.who, prompt="a calm lake"))
        job = await self.world.settled(good)
        assert job.state is JobState.DELIVERED


@asynccontextmanager
async def front_end(
    say: Say, tmp_path: Path, fal: FakeFal, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Front]:
    if isinstance(say, Console):
        async with core_stack(tmp_path, fal) as core:
            yield ConsoleFront(core)
    elif isinstance(say, Tg):
        monkeypatch.setenv("PTB_TIMEDELTA", "1")
        admins = {"admin_ids": [TG_ADMIN, ANONYMOUS_ADMIN, SERVICE_ACCOUNT]}  # forged ids
        async with (
            FakeTelegram() as telegram,
            telegram_bot(tmp_path, telegram, fal, monkeypatch, telegram=admins) as tg,
        ):
            yield TelegramFront(tg)
    else:
        async with FakeDiscord() as fake:
            point_discord_at(fake, monkeypatch)
            async with running(make_settings(tmp_path, fal), fake, fal) as world:
                yield DiscordFront(world)


async def untouched(ledger: Ledger, user: UserRef) -> bool:
    """Nothing but the welcome grant ever happened to this user's credits."""
    entries = await ledger.entries(user, 100)
    balance = await ledger.balance(user)
    return {e.kind for e in entries} <= {"grant"} and (balance.available, balance.held) in (
        (0, 0),
        (INITIAL, 0),
    )


@pytest.mark.parametrize(("say", "reply"), CASES.values(), ids=CASES.keys())
async def test_bad_input_gets_one_clear_reply_and_costs_nothing(
    tmp_path: Path,
    fal: FakeFal,
    monkeypatch: pytest.MonkeyPatch,
    say: Say,
    reply: str | Accepted,
) -> None:
    async with front_end(say, tmp_path, fal, monkeypatch) as front:
        seen = await front.send(say)
        if isinstance(reply, Accepted):
            await accepted_and_charged(front, fal, seen, reply.prompt)
            return
        assert seen.replies == [reply]
        assert fal.requests == [], "a refused request reached fal"
        if image_of(say) == "30mb":  # refused on the size the platform reports: not fetched
            assert front.downloads() == []
        for user in seen.users:
            assert await untouched(front.ledger, user), user
        await front.serve_good(say)  # also a barrier: a late second reply would show now
        assert await front.one_reply(seen) == [reply]
        for user in seen.users[1:]:
            assert await untouched(front.ledger, user), user
        assert await front.ledger.check() == []


async def accepted_and_charged(front: Front, fal: FakeFal, seen: Seen, prompt: str) -> None:
    """A valid row: generated from the prompt as typed (bidi marks dropped), charged the
    normal price of one image, once."""
    user = seen.users[0]
    async with asyncio.timeout(10):
        while (await front.ledger.balance(user)).held or not fal.submissions:
            await asyncio.sleep(0.02)
    balance = await front.ledger.balance(user)
    assert (balance.available, balance.held) == (INITIAL - 2, 0)
    assert [s.payload["prompt"] for s in fal.submissions] == [prompt]
    assert await front.ledger.check() == []


# --- the parser, fuzzed ----------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "fox",
        "🦊",
        "שועל",
        "ثعلب",
        "--ar",
        "—ar",
        "–seed",
        "--seed",
        "--steps",
        "--n",
        "--no",
        "--lora",
        "--style",
        "--size",
        "--strength",
        "--wat",
        "--",
        "-",
        "=",
        ":",
        "16:9",
        "0:0",
        "99:1",
        "1e9",
        "-1",
        "0",
        "4294967296",
        "nan",
        "inf",
        "0.5",
        "anime:1.5",
        "anime:",
        ":9",
        "../../etc",
        "photo",
        "\u200b",
        "\u202e",
        "\x00",
        "\x1b[2J",
        "\t",
        "\n",
        "　",
    ]
)
FLAG_LINES = st.lists(WORDS | st.text(max_size=8), max_size=14).map(" ".join)
PARSER = PromptBuilder(
    defaults=PromptDefaults(),
    loras={"anime": LoraWeight("https://example.test/anime.safetensors", 0.8)},
    styles={"photo": "a photo of {prompt}"},
    max_length=200,
    blocklist=["forbidden thing"],
)


@settings(
    max_examples=2000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(FLAG_LINES, st.sampled_from([JobKind.TEXT, JobKind.IMAGE]))
def test_the_parser_raises_nothing_but_its_own_user_error(line: str, kind: JobKind) -> None:
    """Over thousands of flag-heavy lines, text and image jobs alike: a request within the
    limits, or a UserError with a message for the user — never anything else."""
    try:
        request = PARSER.build(line, kind=kind)
    except UserError as error:
        assert error.message and "Traceback" not in error.message
    else:
        assert request.prompt and len(request.prompt) <= 300
        assert 1 <= request.num_images <= 4 and len(request.loras) <= 3
