"""Builds the running bot from Settings: resources opened in order, closed in reverse.

Order matters: notifiers exist before the runner (it reports through them), the runner
before the service (it queues into it), the commands before the front ends (they call them).
A front end's chat library is imported only when that front end is configured: discord.py
(with aiohttp) alone takes about half a second to import, a quarter of the start budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

import fal_client
import httpx
from loguru import logger

from bot.console_adapter import ConsoleFrontEnd, ConsoleNotifier
from bot.core.admin import AdminCommands
from bot.core.commands import AdminIds, Caller, UserCommands
from bot.core.ports import FrontEnd, Notifier
from bot.core.prompts import PromptBuilder, PromptDefaults
from bot.core.router import CommandRouter
from bot.core.runner import JobRunner
from bot.core.service import GenerationService, ServiceLimits
from bot.settings import Settings
from providers.fal import FalOptions, FalProvider, point_fal_client_at
from records import LoraWeight, Platform, UserRef
from storage.db import Database, open_database
from storage.inbox import Inbox
from storage.jobs import JobStore
from storage.ledger import Ledger

READY_TIMEOUT = 30.0  # seconds the runner waits for the chat front ends before starting


class Startable(Protocol):
    """What App runs: a front end, chat or console."""

    async def run(self) -> None: ...

    async def wait_ready(self) -> None: ...


@dataclass
class App:
    """The running pieces; ``run`` lasts until the console ends or the task is cancelled."""

    runner: JobRunner
    router: CommandRouter
    service: GenerationService
    ledger: Ledger
    jobs: JobStore
    front_ends: list[Startable] = field(default_factory=list)
    ends_with_front_end: bool = False

    async def run(self) -> None:
        """Front ends first; the runner (which delivers recovered jobs) once they are ready,
        or after ``READY_TIMEOUT`` at the latest so one slow platform cannot stall all."""
        async with asyncio.TaskGroup() as group:
            started = [group.create_task(front.run()) for front in self.front_ends]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(READY_TIMEOUT):
                    await asyncio.gather(*(front.wait_ready() for front in self.front_ends))
            runner = group.create_task(self.runner.run(), name="runner")
            if self.ends_with_front_end:
                await asyncio.gather(*started)
                runner.cancel()


@asynccontextmanager
async def open_fal_client(key: str) -> AsyncIterator[fal_client.AsyncClient]:
    """fal-client's AsyncClient, whose lazily made httpx client is closed at the end."""
    client = fal_client.AsyncClient(key=key)
    try:
        yield client
    finally:
        if "_client" in vars(client):  # a cached awaitable of its httpx.AsyncClient
            await (await client._client).aclose()


# Status streams: one per job followed, as many as the runner runs; few idle ones kept,
# as httpcore checks each idle connection whenever any request on the pool starts or ends.
STREAM_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=8)


def request_limits(options: FalOptions) -> httpx.Limits:
    """Results and downloads: the provider sends at most ``parallel_requests`` at once."""
    size = options.parallel_requests
    return httpx.Limits(max_connections=size, max_keepalive_connections=size)


def prompt_builder(settings: Settings) -> PromptBuilder:
    d = settings.fal.defaults
    return PromptBuilder(
        defaults=PromptDefaults(
            image_size=d.image_size,
            steps=d.steps,
            guidance=d.guidance,
            num_images=d.num_images,
            strength=d.strength,
            output_format=d.output_format,
            enable_safety_checker=d.enable_safety_checker,
        ),
        loras={name: LoraWeight(lo.path, lo.scale) for name, lo in settings.fal.loras.items()},
        styles=settings.prompts.styles,
        max_length=settings.limits.prompt_length,
        blocklist=settings.prompts.blocklist,
    )


def fal_options(settings: Settings) -> FalOptions:
    fal = settings.fal
    return FalOptions(
        text_endpoint=fal.text_model,
        image_endpoint=fal.image_model,
        fallbacks=tuple(fal.fallbacks),
        poll_interval=fal.poll_interval,
        status_stream=fal.status_stream,
        upload_images=fal.upload_images,
    )


def admin_ids(settings: Settings, console_admin: bool, console_user: str) -> AdminIds:
    return AdminIds(
        {
            Platform.TELEGRAM: frozenset(str(i) for i in settings.telegram.admin_ids),
            Platform.DISCORD: frozenset(str(i) for i in settings.discord.admin_ids),
            Platform.CONSOLE: frozenset({console_user} if console_admin else ()),
        }
    )


def telegram_front_end(settings: Settings, db: Database) -> FrontEnd:
    """The Telegram front end, built from ``[telegram]`` (its token is set)."""
    from bot.telegram_adapter import TelegramFrontEnd, TelegramOptions

    tg = settings.telegram
    assert tg.token is not None
    inbox = Inbox(db=db, platform=Platform.TELEGRAM.value)
    return TelegramFrontEnd(
        inbox=inbox,
        options=TelegramOptions(
            token=tg.token.get_secret_value(),
            base_url=tg.base_url,
            base_file_url=tg.base_file_url,
            concurrent_updates=tg.concurrent_updates,
            media_write_timeout=tg.media_write_timeout,
            read_timeout=tg.read_timeout,
            poll_timeout=tg.poll_timeout,
            flood_retries=tg.flood_retries,
            private_interval=tg.progress_interval_private,
            group_interval=tg.progress_interval_group,
            input_image_bytes=settings.limits.input_image_bytes,
        ),
    )


def discord_front_end(settings: Settings) -> FrontEnd:
    """The Discord front end, built from ``[discord]`` (its token is set)."""
    from bot.discord_adapter import DiscordFrontEnd, DiscordOptions

    d = settings.discord
    assert d.token is not None
    options = DiscordOptions(
        guild_ids=tuple(d.guild_ids),
        command_hash_file=d.command_hash_file,
        unfiltered_nsfw_channels=d.unfiltered_nsfw_channels,
        progress_interval=d.progress_interval,
        input_image_bytes=settings.limits.input_image_bytes,
    )
    return DiscordFrontEnd(token=d.token.get_secret_value(), options=options)


def chat_front_ends(settings: Settings, db: Database) -> list[FrontEnd]:
    """Every chat front end whose token is configured."""
    front_ends = []
    if settings.telegram.token is not None:
        front_ends.append(telegram_front_end(settings, db))
    if settings.discord.token is not None:
        front_ends.append(discord_front_end(settings))
    return front_ends


@asynccontextmanager
async def build_app(
    settings: Settings, *, console: bool = False, as_admin: bool = False
) -> AsyncIterator[App]:
    """Open every resource and wire the bot; everything is closed on exit."""
    assert settings.fal.key is not None
    key = settings.fal.key.get_secret_value()
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(open_database(settings.storage.database))
        # The durability settings are per connection: say what this one runs with.
        logger.info("database {} opened with {}", settings.storage.database, await db.pragmas())
        ledger = Ledger(db=db, initial_credits=settings.credits.initial)
        jobs = JobStore(db=db, ledger=ledger)
        options = fal_options(settings)
        http = await stack.enter_async_context(
            httpx.AsyncClient(follow_redirects=False, limits=request_limits(options))
        )
        streams = await stack.enter_async_context(
            httpx.AsyncClient(follow_redirects=False, limits=STREAM_LIMITS)
        )
        point_fal_client_at(settings.fal.queue_url, settings.fal.rest_url, settings.fal.cdn_url)
        fal = await stack.enter_async_context(open_fal_client(key))
        provider = FalProvider(fal=fal, http=http, streams=streams, key=key, options=options)
        chats = [] if console else chat_front_ends(settings, db)
        notifiers: dict[Platform, Notifier] = {f.platform: f.notifier for f in chats}
        if console:
            notifiers[Platform.CONSOLE] = ConsoleNotifier(
                out=sys.stdout, output_dir=settings.console.output_dir
            )
        limits = settings.limits
        runner = JobRunner(
            jobs=jobs,
            provider=provider,
            notifiers=notifiers,
            costs=settings.credits.costs,
            concurrency=limits.global_concurrency,
            deadline=limits.job_deadline,
        )
        service = GenerationService(
            jobs=jobs,
            ledger=ledger,
            runner=runner,
            provider=provider,
            prompts=prompt_builder(settings),
            costs=settings.credits.costs,
            limits=ServiceLimits(
                per_user_in_flight=limits.per_user_in_flight,
                input_image_bytes=limits.input_image_bytes,
                input_image_pixels=limits.input_image_pixels,
                daily_spend_cap=limits.daily_spend_cap,
                requests_per_minute=limits.requests_per_minute,
            ),
        )
        router = CommandRouter(
            user=UserCommands(service=service, ledger=ledger, jobs=jobs),
            admin=AdminCommands(ledger=ledger, jobs=jobs),
        )
        app = App(runner=runner, router=router, service=service, ledger=ledger, jobs=jobs)
        admins = admin_ids(settings, as_admin, settings.console.user_id)
        for chat in chats:
            chat.attach(router=router, service=service, admins=admins)
            app.front_ends.append(chat)
        if console:
            user = UserRef(Platform.CONSOLE, settings.console.user_id)
            front = ConsoleFrontEnd(
                router=router, runner=runner, caller=Caller(user, is_admin=user in admins)
            )
            app.front_ends.append(front)
            app.ends_with_front_end = True
        yield app
