"""Start ``bench.fakehost`` in a child process and talk to its control API."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class FakeHost:
    """The URLs of the fakes and a client for their control API."""

    urls: dict[str, str]
    http: httpx.AsyncClient

    @property
    def fal_url(self) -> str:
        return self.urls["fal"]

    async def configure_fal(self, **values: float) -> None:
        (await self.http.post("/fal/config", json=values)).raise_for_status()

    async def fal_stats(self) -> dict[str, Any]:
        response = await self.http.get("/fal/stats")
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    async def reset(self) -> None:
        (await self.http.post("/reset")).raise_for_status()

    async def discord(self, kind: str, count: int, within: float) -> list[dict[str, Any]]:
        """Interaction ``callbacks`` or result posts (``results``), once ``count`` arrived."""
        return await self._events("/discord/events", kind, count, within)

    async def telegram(self, kind: str, count: int, within: float) -> list[Any]:
        """``photos`` sent or ``polls`` (getUpdates arrival times), once ``count`` arrived."""
        return await self._events("/telegram/events", kind, count, within)

    async def telegram_send(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Push user messages as updates: ``[{"user_id": 1, "text": "/imagine …"}]``."""
        response = await self.http.post("/telegram/send", json=messages)
        response.raise_for_status()
        sent: list[dict[str, Any]] = response.json()
        return sent

    async def _events(self, path: str, kind: str, count: int, within: float) -> list[Any]:
        params = {"kind": kind, "count": str(count), "timeout": str(within)}
        response = await self.http.get(path, params=params, timeout=within + 10)
        response.raise_for_status()
        items: list[Any] = response.json()
        return items


def split_cores(fakes: int) -> None:
    """The fakes on the last core, the bench (bot and baseline) on the others, so neither
    side's CPU time slows the other, as with a real service. One core: shared."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) >= 2:
        os.sched_setaffinity(fakes, {cores[-1]})
        os.sched_setaffinity(0, set(cores[:-1]))


def clean_environment() -> dict[str, str]:
    """The environment without operator config, and with loopback kept off any proxy."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BOT_") and k not in ("FAL_KEY", "DISCORD_TOKEN", "TELEGRAM_TOKEN")
    }
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env["PYTHONPATH"] = str(ROOT)
    return env


@asynccontextmanager
async def fake_host(
    log: Path | None = None, inference: float = 2.0, queue_steps: int = 1
) -> AsyncIterator[FakeHost]:
    """The fakes in a child process for the duration of the block (stderr into ``log``)."""
    errors = log.open("ab") if log is not None else None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.fakehost",
        "--inference",
        str(inference),
        "--queue-steps",
        str(queue_steps),
        stdout=asyncio.subprocess.PIPE,
        stderr=errors,
        cwd=ROOT,
        env=clean_environment(),
    )
    if errors is not None:
        errors.close()
    split_cores(process.pid)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        urls = json.loads(line)
        limits = httpx.Limits(max_connections=4)
        async with httpx.AsyncClient(base_url=urls["control"], limits=limits) as http:
            yield FakeHost(urls, http)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
