"""Test harness: the real core (SQLite file, FalProvider over fal-client) against FakeFal.

Two ways in:

- ``core_stack(tmp_path, fal)``: the core pieces wired by hand with a ``RecordingNotifier``
  at the Notifier seam; the runner runs in the background.
- ``bot_settings(tmp_path, fal, telegram={...})`` + ``running_app(settings)``: the real
  composition root (``bot.app.build_app``), as ``python -m bot run`` builds it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import App, build_app, prompt_builder
from bot.core.admin import AdminCommands
from bot.core.commands import AdminIds, Caller, UserCommands
from bot.core.ports import DeliveredImage, DeliveryFailed
from bot.core.router import CommandRouter
from bot.core.runner import JobRunner
from bot.core.service import GenerationService, ServiceLimits
from bot.settings import Settings
from records import ChatRef, Job, Platform, Stage, UserRef
from storage.db import Database, open_database
from storage.jobs import JobStore
from storage.ledger import Ledger
from tests.fakes.fal_server import TEST_FAL_KEY, FakeFal, make_fal_provider

COSTS = {"fal-ai/flux-lora": 2, "fal-ai/flux-general/image-to-image": 3, "fal-ai/flux/schnell": 1}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` laid over ``base``, nested dicts merged."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and key in out else value
    return out


def bot_settings(tmp_path: Path, fal: FakeFal, **sections: dict[str, Any]) -> Settings:
    """Settings for a bot that talks to ``fal`` and keeps its data under ``tmp_path``."""
    base: dict[str, Any] = {
        "fal": {
            "key": TEST_FAL_KEY,
            "queue_url": fal.queue_url,
            "rest_url": fal.rest_url,
            "cdn_url": fal.cdn_url,
            "poll_interval": 0.2,
        },
        "storage": {"database": str(tmp_path / "bot.db")},
        "console": {"output_dir": str(tmp_path / "out")},
        "limits": {"job_deadline": 10.0},
    }
    return Settings(**merge(base, sections))


@asynccontextmanager
async def running_app(settings: Settings, **options: Any) -> AsyncIterator[App]:
    """The real app from ``build_app``, running in the background until the block ends."""
    async with build_app(settings, **options) as app:
        task = asyncio.create_task(app.run())
        try:
            yield app
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass
class RecordingNotifier:
    """A Notifier that records what users would have seen; can refuse delivery."""

    events: list[tuple[str, str, Any]] = field(default_factory=list)
    refuse: bool = False
    explode: bool = False

    async def progress(self, job: Job, stage: Stage, position: int | None) -> None:
        self.events.append(("progress", job.id, (stage, position)))

    async def delivered(self, job: Job, images: Sequence[DeliveredImage]) -> None:
        if self.refuse:
            raise DeliveryFailed("Forbidden: bot was blocked by the user")
        if self.explode:
            raise RuntimeError("chat platform exploded")
        self.events.append(("delivered", job.id, list(images)))

    async def failed(self, job: Job, message: str) -> None:
        self.events.append(("failed", job.id, message))

    def of(self, job_id: str, kind: str | None = None) -> list[Any]:
        return [e[2] for e in self.events if e[1] == job_id and kind in (None, e[0])]


@dataclass
class Core:
    """The wired core; ``user(n)`` and ``chat`` help tests speak as users."""

    db: Database
    ledger: Ledger
    jobs: JobStore
    runner: JobRunner
    service: GenerationService
    router: CommandRouter
    notifier: RecordingNotifier
    chat: ChatRef = field(default_factory=lambda: ChatRef(chat_id="c1"))

    @staticmethod
    def caller(name: str = "alice", *, admin: bool = False) -> Caller:
        return Caller(UserRef(Platform.CONSOLE, name), is_admin=admin)

    async def say(self, line: str, *, who: str = "alice", admin: bool = False, **kw: Any) -> Any:
        return await self.router.handle(self.caller(who, admin=admin), line, self.chat, **kw)

    async def idle(self, timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            await self.runner.wait_idle()


@asynccontextmanager
async def core_stack(
    tmp_path: Path,
    fal: FakeFal,
    *,
    notifier: RecordingNotifier | None = None,
    concurrency: int = 4,
    deadline: float = 10.0,
    per_user: int = 2,
    initial: int = 10,
    start: bool = True,
    per_minute: int | None = None,
    daily_cap: int | None = None,
    **fal_options: Any,
) -> AsyncIterator[Core]:
    """Build the core on ``tmp_path/bot.db`` against ``fal``; the runner runs unless ``start``
    is False. Reopening with the same ``tmp_path`` is a restart."""
    notifier = notifier or RecordingNotifier()
    fal_options.setdefault("poll_interval", 0.2)
    async with (
        open_database(tmp_path / "bot.db") as db,
        make_fal_provider(fal, **fal_options) as provider,
    ):
        ledger = Ledger(db=db, initial_credits=initial)
        jobs = JobStore(db=db, ledger=ledger)
        runner = JobRunner(
            jobs=jobs,
            provider=provider,
            notifiers={Platform.CONSOLE: notifier},
            costs=COSTS,
            concurrency=concurrency,
            deadline=deadline,
        )
        settings = Settings(
            prompts={"styles": {"photo": "a photo of {prompt}"}},
            fal={"loras": {"anime": {"path": "https://x.test/anime.safetensors"}}},
        )
        service = GenerationService(
            jobs=jobs,
            ledger=ledger,
            runner=runner,
            provider=provider,
            prompts=prompt_builder(settings),
            costs=COSTS,
            limits=ServiceLimits(
                per_user_in_flight=per_user,
                input_image_bytes=2_000_000,
                input_image_pixels=4_000_000,
                requests_per_minute=per_minute,
                daily_spend_cap=daily_cap,
            ),
        )
        router = CommandRouter(
            user=UserCommands(service=service, ledger=ledger, jobs=jobs),
            admin=AdminCommands(ledger=ledger, jobs=jobs),
        )
        core = Core(db, ledger, jobs, runner, service, router, notifier)
        task = asyncio.create_task(runner.run()) if start else None
        try:
            yield core
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


ADMINS = AdminIds({Platform.CONSOLE: frozenset({"root"})})
