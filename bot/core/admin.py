"""Admin commands: grant, revoke, set, credits, refund, ban, unban, stats.

Only callers the front end marked as admins (configured platform ids) get past ``_admin``.
Every change goes through the ledger with the admin as actor and the platform event id in
the idempotency key, so a re-delivered command has no second effect.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from bot.core import texts
from bot.core.commands import Caller, Reply, refusals_as_replies, short, when
from bot.core.errors import UserError
from records import Platform, UserRef
from storage.errors import InsufficientCredits, NotFound, NotRefundable
from storage.jobs import JobStore
from storage.ledger import Change, Ledger

MAX_AMOUNT = 1_000_000
LEDGER_ROWS = 5


@dataclass(frozen=True, slots=True)
class Target:
    user: UserRef
    label: str


def parse_amount(value: str, *, low: int = 1, high: int = MAX_AMOUNT) -> int:
    """A whole number of credits within bounds, or a clear refusal."""
    try:
        amount = int(value.strip().replace("_", ""))
    except ValueError:
        raise UserError(texts.BAD_AMOUNT.format(low=low, high=high, value=value)) from None
    if not low <= amount <= high:
        raise UserError(texts.BAD_AMOUNT.format(low=low, high=high, value=value))
    return amount


def _reason(given: str, action: str) -> str:
    return given or texts.DEFAULT_REASON.format(action=action)


def event_key(action: str, event: str | None) -> str:
    """Idempotency key of an admin action: the platform event id, else a fresh one."""
    return f"{action}:{event or secrets.token_hex(8)}"


class AdminCommands:
    """Credit and user management for configured admins."""

    def __init__(self, *, ledger: Ledger, jobs: JobStore) -> None:
        self._ledger = ledger
        self._jobs = jobs

    async def _target(self, caller: Caller, who: str) -> Target:
        if not caller.is_admin:
            raise UserError(texts.NOT_ADMIN)
        platform, _, user_id = who.strip().rpartition(":")
        try:
            user = UserRef(Platform(platform) if platform else caller.user.platform, user_id)
        except ValueError:
            raise UserError(texts.UNKNOWN_USER.format(user=who)) from None
        if not user_id or not await self._ledger.known(user):
            raise UserError(texts.UNKNOWN_USER.format(user=who))
        return Target(user, user.key)

    @staticmethod
    def _actor(caller: Caller) -> str:
        return caller.user.key

    @refusals_as_replies
    async def grant(
        self, caller: Caller, who: str, amount: str, reason: str = "", *, event: str | None = None
    ) -> Reply:
        target = await self._target(caller, who)
        credits = parse_amount(amount)
        change = await self._ledger.grant(
            target.user,
            credits,
            actor=self._actor(caller),
            reason=_reason(reason, "grant"),
            key=event_key("grant", event),
        )
        return _changed(change, texts.GRANTED, amount=credits, user=target.label)

    @refusals_as_replies
    async def revoke(
        self, caller: Caller, who: str, amount: str, reason: str = "", *, event: str | None = None
    ) -> Reply:
        target = await self._target(caller, who)
        credits = parse_amount(amount)
        try:
            change = await self._ledger.revoke(
                target.user,
                credits,
                actor=self._actor(caller),
                reason=_reason(reason, "revoke"),
                key=event_key("revoke", event),
            )
        except InsufficientCredits as error:
            available = error.balance.available
            message = texts.REVOKE_TOO_MUCH.format(user=target.label, available=available)
            raise UserError(message) from None
        return _changed(change, texts.REVOKED, amount=credits, user=target.label)

    @refusals_as_replies
    async def set_credits(
        self, caller: Caller, who: str, amount: str, reason: str = "", *, event: str | None = None
    ) -> Reply:
        target = await self._target(caller, who)
        credits = parse_amount(amount, low=0)
        change = await self._ledger.set_available(
            target.user,
            credits,
            actor=self._actor(caller),
            reason=_reason(reason, "set"),
            key=event_key("set", event),
        )
        return _changed(change, texts.SET_TO, user=target.label)

    @refusals_as_replies
    async def credits(self, caller: Caller, who: str) -> Reply:
        target = await self._target(caller, who)
        balance = await self._ledger.balance(target.user)
        banned = texts.CREDITS_BANNED if await self._ledger.is_banned(target.user) else ""
        lines = [
            texts.CREDITS_SHOW.format(
                user=target.label, available=balance.available, held=balance.held, banned=banned
            )
        ]
        for entry in await self._ledger.entries(target.user, LEDGER_ROWS):
            lines.append(
                texts.LEDGER_LINE.format(
                    when=when(entry.created_at),
                    kind=entry.kind,
                    delta=entry.d_available,
                    job=entry.job_id or "",
                    actor=entry.actor,
                    reason=short(entry.reason, 40),
                )
            )
        return Reply("\n".join(lines))

    @refusals_as_replies
    async def refund(
        self, caller: Caller, job_id: str, reason: str = "", *, event: str | None = None
    ) -> Reply:
        if not caller.is_admin:
            raise UserError(texts.NOT_ADMIN)
        job = await self._jobs.get(job_id.strip())
        if job is None:
            raise UserError(texts.NO_SUCH_JOB.format(job_id=job_id))
        try:
            change = await self._jobs.refund(
                job.id,
                actor=self._actor(caller),
                reason=_reason(reason, "refund"),
                key=event_key("refund-cmd", event),
            )
        except (NotRefundable, NotFound):
            raise UserError(texts.NOT_REFUNDABLE.format(job_id=job.id, state=job.state)) from None
        if not change.applied:
            return Reply(texts.ALREADY_DONE)
        amount = job.charged if job.charged is not None else job.cost
        return Reply(texts.REFUNDED.format(amount=amount, job_id=job.id, user=job.user.key))

    @refusals_as_replies
    async def ban(self, caller: Caller, who: str, *, event: str | None = None) -> Reply:
        return await self._set_banned(caller, who, True, event)

    @refusals_as_replies
    async def unban(self, caller: Caller, who: str, *, event: str | None = None) -> Reply:
        return await self._set_banned(caller, who, False, event)

    async def _set_banned(self, caller: Caller, who: str, banned: bool, event: str | None) -> Reply:
        target = await self._target(caller, who)
        await self._ledger.set_banned(
            target.user,
            banned,
            actor=self._actor(caller),
            key=event_key("ban" if banned else "unban", event),
        )
        template = texts.BANNED_OK if banned else texts.UNBANNED_OK
        return Reply(template.format(user=target.label))

    @refusals_as_replies
    async def stats(self, caller: Caller) -> Reply:
        if not caller.is_admin:
            raise UserError(texts.NOT_ADMIN)
        s = await self._jobs.stats(time.time() - 86_400)
        ended = s.delivered + s.failed
        rate = f"{100 * s.delivered / ended:.0f}%" if ended else texts.NOT_AVAILABLE
        median = texts.NOT_AVAILABLE
        if s.median_seconds is not None:
            median = f"{s.median_seconds:.1f} s"
        return Reply(
            texts.STATS.format(
                total=s.total,
                delivered=s.delivered,
                failed=s.failed,
                cancelled=s.cancelled,
                rate=rate,
                median=median,
                spent=s.credits_spent,
            )
        )


def _changed(change: Change, template: str, **values: object) -> Reply:
    if not change.applied:
        return Reply(texts.ALREADY_DONE)
    balance = change.balance
    return Reply(template.format(available=balance.available, held=balance.held, **values))
