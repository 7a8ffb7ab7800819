"""A job in the fake fal's queue: its status history, result and faults; image sizes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.fal_server.faults import Fault

_PRESETS = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}


@dataclass(frozen=True)
class FakeSubmission:
    """A submission the fake accepted."""

    endpoint: str
    payload: dict[str, Any]
    request_id: str


@dataclass(eq=False)
class Job:
    """One accepted request; ``history`` holds every status body it went through."""

    request_id: str
    endpoint: str
    app: str
    payload: dict[str, Any]
    faults: frozenset[Fault]
    history: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    cancelled: bool = False
    closed: bool = False
    task: asyncio.Task[None] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def done(self) -> bool:
        return bool(self.history[-1]["status"] == "COMPLETED")

    def push(self, status: dict[str, Any]) -> None:
        self.history.append(status)
        self.poke()

    def poke(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def wait_beyond(self, index: int) -> None:
        while len(self.history) <= index + 1 and not self.closed:
            await self.changed.wait()


def dimensions(size: object) -> tuple[int, int]:
    """Width and height of fal's ``image_size`` (a preset name or ``{width, height}``)."""
    if isinstance(size, dict):
        return int(size.get("width", 512)), int(size.get("height", 512))
    return _PRESETS.get(str(size), (1024, 768))


def thumb(width: int, height: int, side: int = 32) -> tuple[int, int]:
    """The small size the fake really draws, in the same proportions."""
    scale = side / max(width, height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale))
