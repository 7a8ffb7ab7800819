"""TelegramFrontEnd: the python-telegram-bot Application, built, wired and run in our loop.

The bot shares its asyncio loop with the runner and the other front ends, so it is started
by hand (initialize → start → long polling) and stopped in reverse on cancellation; never
``run_polling``, which owns the loop and installs signal handlers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from loguru import logger
from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.core import texts
from bot.core.commands import NEVER_ADMINS, AdminIds
from bot.core.router import CommandRouter
from bot.core.service import GenerationService
from bot.telegram_adapter.handlers import Handlers
from bot.telegram_adapter.notifier import TelegramNotifier
from bot.telegram_adapter.options import TelegramOptions
from bot.telegram_adapter.polling import Inbox, Poller
from bot.telegram_adapter.refs import BUTTON_PATTERN
from records import Platform

USER_MENU = ("imagine", "edit", "balance", "history", "cancel", "help", "start")
GROUP_MENU = ("imagine", "edit", "balance", "history", "cancel", "help")
ADMIN_MENU = ("grant", "revoke", "setcredits", "credits", "refund", "ban", "unban", "stats")
INFO_COMMANDS = ("start", "help", "balance", "history", "cancel")
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
STOP_GRACE = 3.0  # seconds the updates being handled get to finish at a stop

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


def build_application(options: TelegramOptions) -> TelegramApp:
    """The PTB Application: rate limiter, concurrent updates, long media timeouts."""
    builder = (
        ApplicationBuilder()
        .token(options.token)
        .rate_limiter(AIORateLimiter(max_retries=options.flood_retries))
        .concurrent_updates(options.concurrent_updates)
        .media_write_timeout(options.media_write_timeout)
        .read_timeout(options.read_timeout)
        .get_updates_read_timeout(options.read_timeout)  # PTB adds the poll's timeout
        .updater(None)  # polling.Poller fetches the updates
    )
    if options.base_url:
        builder = builder.base_url(options.base_url)
    if options.file_url:
        builder = builder.base_file_url(options.file_url)
    return builder.build()


def register(app: TelegramApp, handlers: Handlers) -> None:
    """Handlers in order: the first that matches an update takes it."""
    app.add_handlers(
        [
            MessageHandler(
                filters.SenderChat.ALL & (filters.COMMAND | filters.CaptionRegex("^/")),
                handlers.anonymous,
            ),
            CommandHandler(["imagine", "edit"], handlers.generate),
            CommandHandler(list(INFO_COMMANDS), handlers.command),
            CommandHandler(list(ADMIN_MENU), handlers.admin),
            MessageHandler(filters.COMMAND, handlers.command),
            MessageHandler(filters.PHOTO | filters.Document.IMAGE, handlers.image),
            MessageHandler(filters.Document.ALL, handlers.not_image),
            MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.text),
            MessageHandler(filters.ATTACHMENT, handlers.unsupported),
            CallbackQueryHandler(handlers.button, pattern=BUTTON_PATTERN),
        ]
    )
    app.add_error_handler(handlers.on_error)


def menu(names: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(name, getattr(texts, f"TG_MENU_{name.upper()}")) for name in names]


async def set_menus(bot: Bot, admins: frozenset[str]) -> None:
    """Command menus: private chats, groups, and each admin's private chat."""
    scopes: list[tuple[BotCommandScope, tuple[str, ...]]] = [
        (BotCommandScopeAllPrivateChats(), USER_MENU),
        (BotCommandScopeAllGroupChats(), GROUP_MENU),
    ]
    scopes += [(BotCommandScopeChat(int(a)), USER_MENU + ADMIN_MENU) for a in sorted(admins)]
    for scope, names in scopes:
        try:
            await bot.set_my_commands(menu(names), scope=scope)
        except TelegramError as error:  # a convenience, never fatal (an admin who never
            logger.info("command menu for {} not set: {}", scope.type, error)  # wrote to us)


class TelegramFrontEnd:
    """Implements ``bot.core.ports.FrontEnd`` for Telegram."""

    def __init__(self, *, options: TelegramOptions, inbox: Inbox) -> None:
        self._options = options
        self._inbox = inbox
        self._notifier = TelegramNotifier(
            private_interval=options.private_interval, group_interval=options.group_interval
        )
        self.application = build_application(options)
        self._admins: frozenset[str] = frozenset()
        self._ready = asyncio.Event()

    async def wait_ready(self) -> None:
        await self._ready.wait()

    @property
    def platform(self) -> Platform:
        return Platform.TELEGRAM

    @property
    def notifier(self) -> TelegramNotifier:
        return self._notifier

    def attach(
        self, *, router: CommandRouter, service: GenerationService, admins: AdminIds
    ) -> None:
        handlers = Handlers(
            router=router,
            service=service,
            admins=admins,
            notifier=self._notifier,
            image_limit=self._options.download_limit,
        )
        register(self.application, handlers)
        never = NEVER_ADMINS.get(Platform.TELEGRAM, frozenset())
        self._admins = admins.ids.get(Platform.TELEGRAM, frozenset()) - never

    async def run(self) -> None:
        """Poll until cancelled, then let handlers finish, confirm the offset, shut down."""
        app = self.application
        await self._initialize()
        poller = Poller(
            app=app,
            inbox=self._inbox,
            timeout=self._options.poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
        )
        try:
            self._notifier.link.bind(app.bot)
            await set_menus(app.bot, self._admins)
            await app.start()
            logger.info("telegram bot @{} is polling", app.bot.username)
            await poller.run(ready=self._ready.set)
        finally:
            await poller.stop(grace=STOP_GRACE)
            self._notifier.link.unbind()
            if app.running:
                await app.stop()
            await app.shutdown()

    async def _initialize(self) -> None:
        """getMe, retried while Telegram is unreachable (the other front ends keep running);
        a rejected token stops the bot with a message that does not contain it."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._options.start_attempts),
            wait=wait_exponential(min=1, max=60),
            retry=retry_if_exception_type(NetworkError) & retry_if_not_exception_type(BadRequest),
            before_sleep=_unreachable,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self.application.initialize()
        except InvalidToken:
            raise TelegramStartFailed(texts.TG_BAD_TOKEN) from None


def _unreachable(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    logger.warning("Telegram unreachable at start ({}); trying again", error)


class TelegramStartFailed(Exception):
    """The bot cannot start (its message is safe to print: no token in it)."""
