"""The whole bot (bot.app.build_app on a temp SQLite file against FakeFal, settings from
tests/harness.py) with the real discord.py client logged in against FakeDiscord;
interactions are injected as raw gateway payloads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.core.router import CommandRouter
from bot.core.runner import JobRunner
from bot.core.service import GenerationService
from bot.discord_adapter import DiscordFrontEnd, ImageBot
from bot.settings import LoraSettings, Settings
from records import Job, Platform, UserRef
from storage.jobs import JobStore
from storage.ledger import Ledger
from tests.discord.payloads import ADMIN, Person, inject
from tests.fakes.discord_server import BOT_TOKEN, FakeDiscord, Recorded, point_discord_at
from tests.fakes.fal_server import FakeFal, fast_fal_client_retries, keep_fal_client_urls
from tests.harness import bot_settings

EPHEMERAL = 64
STYLES = {"photo": "a photograph of {prompt}, 35mm", "anime": "anime art of {prompt}"}
LORAS = {
    "watercolor": {"path": "https://loras.example/watercolor.safetensors", "scale": 0.8},
    "inkwash": {"path": "https://loras.example/inkwash.safetensors", "scale": 1.0},
}


def make_settings(tmp_path: Path, fal: FakeFal, **discord_keys: Any) -> Settings:
    """Test settings: FakeFal, a temp database, admin ``ADMIN``, fast status edits."""
    discord_section = {
        "token": BOT_TOKEN,
        "admin_ids": [ADMIN.id],
        "progress_interval": 0.05,
        "command_hash_file": str(tmp_path / "commands.sha256"),
        **discord_keys,
    }
    settings = bot_settings(
        tmp_path,
        fal,
        discord=discord_section,
        prompts={"styles": STYLES},
        credits={"initial": 10},
        limits={"global_concurrency": 16},
    )
    # bot_settings' own ``fal`` parameter shadows a ``fal=`` section: add the LoRAs after
    loras = {name: LoraSettings(**lora) for name, lora in LORAS.items()}
    return settings.model_copy(update={"fal": settings.fal.model_copy(update={"loras": loras})})


def ephemeral_text(callback: Recorded) -> str:
    """The text of an interaction's first response, which must be an ephemeral message."""
    assert callback.json["type"] == 4, callback.json
    assert callback.json["data"]["flags"] == EPHEMERAL, callback.json
    return str(callback.json["data"]["content"])


def user_of(person: Person) -> UserRef:
    return UserRef(Platform.DISCORD, str(person.id))


@dataclass
class World:
    """One running bot: the core, its Discord front end, and the fakes it talks to."""

    runner: JobRunner
    router: CommandRouter
    service: GenerationService
    ledger: Ledger
    jobs: JobStore
    front: DiscordFrontEnd
    fake: FakeDiscord
    fal: FakeFal

    @property
    def bot(self) -> ImageBot:
        return self.front.bot

    def send(self, payload: dict[str, Any]) -> dict[str, Any]:
        return inject(self.bot, self.fake, payload)

    async def first_answer(self, payload: dict[str, Any], timeout: float = 5.0) -> Recorded:
        """The interaction's callback (its first response), once answered."""
        prefix = f"/interactions/{payload['id']}/"
        found = await self.fake.wait_for(lambda r: r.path.startswith(prefix), timeout=timeout)
        return found[0]

    async def webhook_calls(
        self, payload: dict[str, Any], method: str, count: int = 1, timeout: float = 5.0
    ) -> list[Recorded]:
        token = payload["token"]
        return await self.fake.wait_for(
            lambda r: r.method == method and f"/{token}" in r.path and "/callback" not in r.path,
            count=count,
            timeout=timeout,
        )

    async def job_for(self, payload: dict[str, Any]) -> Job | None:
        return await self.jobs.by_event(f"discord:{payload['id']}")

    async def idle(self) -> None:
        await self.runner.wait_idle()

    async def settled(self, payload: dict[str, Any], timeout: float = 5.0) -> Job:
        """The job this interaction started, once it has ended (delivered, failed…)."""
        async with asyncio.timeout(timeout):
            while (job := await self.job_for(payload)) is None or not job.state.terminal:
                await asyncio.sleep(0.01)
        await self.idle()
        return job

    async def nothing_charged(self, person: Person) -> bool:
        """No credit was ever held or taken from ``person`` (a welcome grant at most)."""
        entries = await self.ledger.entries(user_of(person), 100)
        return {e.kind for e in entries} <= {"grant"} and await self.balance(person) in (
            (0, 0),
            (10, 0),
        )

    async def balance(self, person: Person) -> tuple[int, int]:
        balance = await self.ledger.balance(user_of(person))
        return balance.available, balance.held


@asynccontextmanager
async def running(settings: Settings, fake: FakeDiscord, fal: FakeFal) -> AsyncIterator[World]:
    """The app from bot.app.build_app: the job runner on, the Discord bot logged in against
    the fake (no gateway connection: interactions are injected)."""
    async with build_app(settings) as app:
        front = next(f for f in app.front_ends if isinstance(f, DiscordFrontEnd))
        task = asyncio.create_task(app.runner.run())
        await front.bot.login(BOT_TOKEN)
        try:
            yield World(
                runner=app.runner,
                router=app.router,
                service=app.service,
                ledger=app.ledger,
                jobs=app.jobs,
                front=front,
                fake=fake,
                fal=fal,
            )
        finally:
            await front.bot.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        point_discord_at(server, monkeypatch)
        yield server


@pytest.fixture
async def fal(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeFal]:
    fast_fal_client_retries(monkeypatch)
    keep_fal_client_urls(monkeypatch)
    async with FakeFal(inference_seconds=0.05, queue_steps=1) as server:
        yield server


@pytest.fixture
def settings_for(tmp_path: Path, fal: FakeFal) -> Callable[..., Settings]:
    """``settings_for(**discord_keys)``: test settings with ``[discord]`` keys changed."""
    return lambda **keys: make_settings(tmp_path, fal, **keys)


@pytest.fixture
async def world(
    settings_for: Callable[..., Settings], fake: FakeDiscord, fal: FakeFal
) -> AsyncIterator[World]:
    async with running(settings_for(), fake, fal) as running_world:
        yield running_world
