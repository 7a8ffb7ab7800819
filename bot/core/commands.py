"""One command layer for every front end: each method answers one chat command.

Front ends translate a chat event into one call here and send back ``Reply.text``.
Refusals come back as replies too (``ok=False``), never as exceptions.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from bot.core import texts
from bot.core.errors import UserError
from bot.core.present import cut
from bot.core.prompts import SIZES
from bot.core.service import GenerationService
from records import ChatRef, Job, JobKind, Platform, UserRef
from storage.jobs import JobStore
from storage.ledger import Ledger

P = ParamSpec("P")
S = TypeVar("S")


# Telegram's GroupAnonymousBot and its service account speak for anyone: never admins.
NEVER_ADMINS = {Platform.TELEGRAM: frozenset({"1087968824", "777000"})}


@dataclass(frozen=True, slots=True)
class AdminIds:
    """Configured admin user ids per platform."""

    ids: Mapping[Platform, frozenset[str]]

    def __contains__(self, user: object) -> bool:
        if not isinstance(user, UserRef):
            return False
        if user.user_id in NEVER_ADMINS.get(user.platform, frozenset()):
            return False
        return user.user_id in self.ids.get(user.platform, frozenset())


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a command, and whether the front end vouched for them as an admin."""

    user: UserRef
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send back: text, and the job the command started or touched, if any."""

    text: str
    job: Job | None = None
    ok: bool = True
    new: bool = False


def refusals_as_replies(
    method: Callable[Concatenate[S, P], Awaitable[Reply]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, Reply]]:
    """Turn a ``UserError`` into a failed ``Reply`` carrying its message."""

    @wraps(method)
    async def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> Reply:
        try:
            return await method(self, *args, **kwargs)
        except UserError as error:
            return Reply(error.message, ok=False)

    return cast(Callable[Concatenate[S, P], Coroutine[Any, Any, Reply]], wrapper)


def when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(timestamp))


def short(text: str, limit: int = 60) -> str:
    return cut(text, limit)


class UserCommands:
    """imagine, edit, reroll, vary, balance, history, cancel, help."""

    def __init__(self, *, service: GenerationService, ledger: Ledger, jobs: JobStore) -> None:
        self._service = service
        self._ledger = ledger
        self._jobs = jobs

    @refusals_as_replies
    async def imagine(
        self,
        caller: Caller,
        text: str,
        chat: ChatRef,
        *,
        image: bytes | None = None,
        event_key: str | None = None,
        safety: bool | None = None,
    ) -> Reply:
        job, new = await self._service.imagine(
            caller.user, chat, text, image=image, event_key=event_key, safety=safety
        )
        return _accepted(job, new)

    @refusals_as_replies
    async def edit(
        self,
        caller: Caller,
        text: str,
        chat: ChatRef,
        *,
        image: bytes | None,
        event_key: str | None = None,
        safety: bool | None = None,
    ) -> Reply:
        if image is None:
            raise UserError(texts.EDIT_NEEDS_IMAGE)
        return await self.imagine(
            caller, text, chat, image=image, event_key=event_key, safety=safety
        )

    @refusals_as_replies
    async def reroll(
        self,
        caller: Caller,
        job_id: str,
        chat: ChatRef,
        *,
        event_key: str | None = None,
        safety: bool | None = None,
    ) -> Reply:
        job, new = await self._service.reroll(
            caller.user, job_id, chat, event_key=event_key, safety=safety, admin=caller.is_admin
        )
        return _accepted(job, new)

    @refusals_as_replies
    async def vary(
        self,
        caller: Caller,
        job_id: str,
        index: int,
        chat: ChatRef,
        *,
        event_key: str | None = None,
        safety: bool | None = None,
    ) -> Reply:
        job, new = await self._service.vary(
            caller.user,
            job_id,
            index,
            chat,
            event_key=event_key,
            safety=safety,
            admin=caller.is_admin,
        )
        return _accepted(job, new)

    @refusals_as_replies
    async def balance(self, caller: Caller) -> Reply:
        await self._ledger.ensure_user(caller.user)
        balance = await self._ledger.balance(caller.user)
        held = texts.BALANCE_HELD.format(held=balance.held) if balance.held else ""
        lines = [texts.BALANCE.format(available=balance.available, held=held), texts.COSTS_HEADER]
        lines += [texts.COST_LINE.format(model=m, cost=c) for m, c in self._service.costs.items()]
        return Reply("\n".join(lines))

    @refusals_as_replies
    async def history(self, caller: Caller, limit: int = 10) -> Reply:
        jobs = await self._jobs.recent(caller.user, limit)
        if not jobs:
            return Reply(texts.HISTORY_EMPTY)
        lines = [texts.HISTORY_HEADER.format(count=len(jobs))]
        lines += [
            texts.HISTORY_LINE.format(
                job_id=j.id, state=j.state, when=when(j.created_at), prompt=short(j.request.prompt)
            )
            for j in jobs
        ]
        return Reply("\n".join(lines))

    @refusals_as_replies
    async def cancel(self, caller: Caller, job_id: str | None = None) -> Reply:
        job = await self._service.cancel(caller.user, job_id or None, admin=caller.is_admin)
        return Reply(texts.CANCELLED_OK.format(job_id=job.id, cost=job.cost), job=job)

    async def help(self, caller: Caller) -> Reply:
        prompts = self._service.prompts
        text = texts.HELP.format(
            cost=self._service.price(JobKind.TEXT),
            sizes=", ".join(SIZES),
            steps=prompts.defaults.steps,
            loras=", ".join(prompts.lora_names) or texts.NONE_CONFIGURED,
            styles=", ".join(prompts.style_names) or texts.NONE_CONFIGURED,
            strength=prompts.defaults.strength,
        )
        if caller.is_admin:
            text += "\n\n" + texts.ADMIN_HELP
        return Reply(text)


def _accepted(job: Job, new: bool) -> Reply:
    if not new:
        return Reply(texts.DUPLICATE_EVENT.format(job_id=job.id), job=job)
    count = job.request.num_images
    return Reply(
        texts.ACCEPTED.format(job_id=job.id, count=count, cost=job.cost), job=job, new=True
    )
