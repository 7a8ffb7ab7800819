"""GenerationService: what front ends call to start, repeat or cancel a generation.

Order of work for every request: parse and validate (free), then place the hold and persist
the job in one transaction, then enqueue. A refusal raises ``UserError`` with a message
from texts.py; nothing has been charged when it does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from bot.core import texts
from bot.core.errors import UserError
from bot.core.limits import RateLimiter, TapGuard
from bot.core.prompts import PromptBuilder
from bot.core.runner import JobRunner
from providers.base import Provider
from providers.images import ImageProblem, ImageRejected, prepare_input_image
from records import (
    ChatRef,
    GeneratedImage,
    ImageRequest,
    InputImage,
    Job,
    JobKind,
    JobState,
    UserRef,
)
from storage.errors import InsufficientCredits, SpendCapReached, TooManyJobs, UserBanned
from storage.jobs import JobStore
from storage.ledger import Ledger


@dataclass(frozen=True, slots=True)
class ServiceLimits:
    """Per-user and per-image limits the service enforces."""

    per_user_in_flight: int
    input_image_bytes: int
    input_image_pixels: int
    daily_spend_cap: int | None = None
    requests_per_minute: int | None = None


def new_job_id() -> str:
    """Short, unguessable, safe in callback data and file names."""
    return secrets.token_hex(5)


class GenerationService:
    """Turns validated user requests into held, persisted, queued jobs."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        ledger: Ledger,
        runner: JobRunner,
        provider: Provider,
        prompts: PromptBuilder,
        costs: Mapping[str, int],
        limits: ServiceLimits,
        new_id: Callable[[], str] = new_job_id,
    ) -> None:
        self._jobs = jobs
        self._ledger = ledger
        self._runner = runner
        self._provider = provider
        self.prompts = prompts
        self.costs = costs
        self._limits = limits
        self._new_id = new_id
        per_minute = limits.requests_per_minute
        self._rate = RateLimiter(per_minute=per_minute) if per_minute else None
        self._taps = TapGuard()

    def cost_of(self, request: ImageRequest) -> int:
        """Credits held for a request: the primary model's price per image."""
        endpoint = self._provider.endpoints_for(request)[0]
        return self.costs.get(endpoint, 1) * request.num_images

    def price(self, kind: JobKind) -> int:
        """Credits per image for a kind of job (used in help and balance)."""
        return self.cost_of(ImageRequest(prompt="-", kind=kind))

    async def imagine(
        self,
        user: UserRef,
        chat: ChatRef,
        text: str,
        *,
        image: bytes | None = None,
        event_key: str | None = None,
        safety: bool | None = None,
    ) -> tuple[Job, bool]:
        """Start a generation; image-to-image when ``image`` is given.

        Returns the job and whether it is new (False: this event was seen before).
        ``safety`` is the front end's say on fal's safety checker (None: the default).
        """
        if seen := await self._seen(user, event_key):
            return seen, False
        kind = JobKind.IMAGE if image is not None else JobKind.TEXT
        request = with_safety(self.prompts.build(text, kind=kind), safety)
        if image is not None:
            request = replace(request, image=self.check_image(image))
        return await self._create(user, chat, request, event_key=event_key)

    async def reroll(
        self,
        user: UserRef,
        job_id: str,
        chat: ChatRef,
        *,
        event_key: str | None = None,
        safety: bool | None = None,
        admin: bool = False,
    ) -> tuple[Job, bool]:
        """The same request again with a new seed (an admin may re-roll anyone's job)."""
        if seen := await self._seen(user, event_key):
            return seen, False

        async def start() -> tuple[Job, bool]:
            parent = await self.owned_job(user, job_id, admin=admin)
            request = with_safety(replace(parent.request, seed=None), safety)
            return await self._create(user, chat, request, event_key=event_key, parent=parent.id)

        return await self._taps.once((user.key, "reroll", job_id), start)

    async def vary(
        self,
        user: UserRef,
        job_id: str,
        index: int,
        chat: ChatRef,
        *,
        event_key: str | None = None,
        safety: bool | None = None,
        admin: bool = False,
    ) -> tuple[Job, bool]:
        """Image-to-image of one result image of a delivered job."""
        if seen := await self._seen(user, event_key):
            return seen, False

        async def start() -> tuple[Job, bool]:
            parent, image = await self._result_image(user, job_id, index, admin=admin)
            data = await self._provider.download(image)
            request = replace(
                parent.request,
                kind=JobKind.IMAGE,
                seed=None,
                num_images=1,
                image=self.check_image(data),
            )
            request = with_safety(request, safety)
            return await self._create(user, chat, request, event_key=event_key, parent=parent.id)

        return await self._taps.once((user.key, "vary", job_id, index), start)

    async def original(
        self, user: UserRef, job_id: str, index: int, *, admin: bool = False
    ) -> bytes:
        """The full-quality file of one result image of a delivered job (a "⬇" button)."""
        _, image = await self._result_image(user, job_id, index, admin=admin)
        return await self._provider.download(image)

    async def _result_image(
        self, user: UserRef, job_id: str, index: int, *, admin: bool
    ) -> tuple[Job, GeneratedImage]:
        """Result image ``index`` of the user's delivered job, or a refusal."""
        job = await self.owned_job(user, job_id, admin=admin)
        if job.result is None or job.state is not JobState.DELIVERED:
            raise UserError(texts.NOT_FINISHED.format(job_id=job_id))
        if not 0 <= index < len(job.result.images):
            raise UserError(texts.NO_SUCH_IMAGE.format(job_id=job_id, index=index + 1))
        return job, job.result.images[index]

    async def cancel(self, user: UserRef, job_id: str | None, *, admin: bool = False) -> Job:
        """Cancel the given job, or the user's latest unfinished one."""
        job = await self._job_to_cancel(user, job_id, admin=admin)
        ended = await self._runner.cancel(job)
        if ended is None or ended.state is not JobState.CANCELLED:
            state = (ended or job).state
            raise UserError(texts.CANNOT_CANCEL.format(job_id=job.id, state=state))
        return ended

    async def owned_job(self, user: UserRef, job_id: str, *, admin: bool = False) -> Job:
        """A job by id that belongs to ``user`` (or any job, for an admin)."""
        job = await self._jobs.get(job_id)
        if job is None:
            raise UserError(texts.NO_SUCH_JOB.format(job_id=job_id))
        if job.user != user and not admin:
            raise UserError(texts.NOT_YOUR_JOB)
        return job

    def check_image(self, data: bytes) -> InputImage:
        """Validate and re-encode a user's image, or refuse it in plain words."""
        try:
            return prepare_input_image(
                data,
                max_bytes=self._limits.input_image_bytes,
                max_pixels=self._limits.input_image_pixels,
            )
        except ImageRejected as error:
            raise UserError(image_problem_text(error, self._limits)) from None

    async def _seen(self, user: UserRef, event_key: str | None) -> Job | None:
        """The job this platform event already made (a re-delivery), else None once the
        cheap refusals that need no parsing (the per-user request rate) have passed."""
        if event_key and (seen := await self._jobs.by_event(event_key)):
            return seen
        if self._rate is not None:
            await self._rate.check(user)
        return None

    async def _job_to_cancel(self, user: UserRef, job_id: str | None, *, admin: bool) -> Job:
        if job_id:
            return await self.owned_job(user, job_id, admin=admin)
        active = await self._jobs.active(user)
        if not active:
            raise UserError(texts.NOTHING_TO_CANCEL)
        return active[0]

    async def _create(
        self,
        user: UserRef,
        chat: ChatRef,
        request: ImageRequest,
        *,
        event_key: str | None,
        parent: str | None = None,
    ) -> tuple[Job, bool]:
        await self._ledger.ensure_user(user)
        cost = self.cost_of(request)
        try:
            job, created = await self._jobs.create(
                job_id=self._new_id(),
                user=user,
                chat=chat,
                request=request,
                cost=cost,
                max_in_flight=self._limits.per_user_in_flight,
                event_key=event_key,
                parent_id=parent,
                daily_cap=self._limits.daily_spend_cap,
            )
        except InsufficientCredits as error:
            available = error.balance.available
            message = texts.NOT_ENOUGH_CREDITS.format(needed=cost, available=available)
            raise UserError(message) from None
        except UserBanned:
            raise UserError(texts.BANNED) from None
        except TooManyJobs as error:
            raise UserError(texts.TOO_MANY_JOBS.format(limit=error.limit)) from None
        except SpendCapReached as error:
            raise UserError(texts.SPEND_CAP.format(cap=error.cap, spent=error.spent)) from None
        if created:
            self._runner.enqueue(job)
        return job, created


def with_safety(request: ImageRequest, safety: bool | None) -> ImageRequest:
    """``request`` with the safety checker on or off as asked (None: unchanged)."""
    return request if safety is None else replace(request, enable_safety_checker=safety)


def image_problem_text(error: ImageRejected, limits: ServiceLimits) -> str:
    """The user's words for a refused input image."""
    problem = error.reason
    if problem is ImageProblem.TOO_LARGE:
        limit = _megabytes(limits.input_image_bytes)
        return texts.IMAGE_TOO_LARGE.format(size=_megabytes(error.actual or 0), limit=limit)
    if problem is ImageProblem.TOO_MANY_PIXELS:
        return texts.IMAGE_TOO_MANY_PIXELS.format(limit=f"{limits.input_image_pixels:,}")
    return {
        ImageProblem.NOT_AN_IMAGE: texts.IMAGE_NOT_AN_IMAGE,
        ImageProblem.UNSUPPORTED_FORMAT: texts.IMAGE_UNSUPPORTED,
        ImageProblem.ANIMATED: texts.IMAGE_ANIMATED,
        ImageProblem.TRUNCATED: texts.IMAGE_TRUNCATED,
    }.get(problem, texts.IMAGE_NOT_AN_IMAGE)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
