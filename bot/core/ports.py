"""Seams the core owns: what it needs from the front ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from records import Job, Platform, Stage

if TYPE_CHECKING:
    from bot.core.commands import AdminIds
    from bot.core.router import CommandRouter
    from bot.core.service import GenerationService


@dataclass(frozen=True, slots=True)
class DeliveredImage:
    """One finished image, fetched from fal, ready to post."""

    index: int
    data: bytes
    width: int
    height: int
    content_type: str


class DeliveryFailed(Exception):
    """A front end could not deliver and will not retry: the user blocked the bot or the
    chat is gone (nobody to tell), or the platform kept refusing (``tell_user``: the chat
    is there, so the failure notice is sent)."""

    def __init__(self, reason: str, *, tell_user: bool = False) -> None:
        super().__init__(reason)
        self.tell_user = tell_user


class Notifier(Protocol):
    """Implemented by each front end; the runner calls it as a job moves along.

    ``progress`` may be called often; front ends throttle their own edits. ``delivered``
    must post the images (raising ``DeliveryFailed`` when that is impossible); ``failed``
    tells the user what happened. Any other exception counts as a failed delivery.
    """

    async def progress(self, job: Job, stage: Stage, position: int | None) -> None: ...

    async def delivered(self, job: Job, images: Sequence[DeliveredImage]) -> None: ...

    async def failed(self, job: Job, message: str) -> None: ...


class FrontEnd(Protocol):
    """A chat front end as the composition root sees it.

    Built in two steps because of a cycle: the runner needs the notifier before the command
    layer exists, and the front end needs the command layer. ``notifier`` is usable right
    after construction; ``attach`` hands over the commands; ``run`` lasts until cancelled
    and shuts down cleanly; ``wait_ready`` returns once it can deliver, so that jobs
    recovered at start are not delivered into a front end that is not connected yet.
    """

    @property
    def platform(self) -> Platform: ...

    @property
    def notifier(self) -> Notifier: ...

    def attach(
        self, *, router: CommandRouter, service: GenerationService, admins: AdminIds
    ) -> None: ...

    async def run(self) -> None: ...

    async def wait_ready(self) -> None:
        """Return once the front end can deliver (logged in, polling)."""
        ...
