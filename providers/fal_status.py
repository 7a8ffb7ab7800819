"""Follow one fal queue request until it is COMPLETED: SSE status stream, polling fallback.

The stream (``GET …/{owner}/{alias}/requests/{id}/status/stream``, reference §4.1) sends
the same JSON objects as the status endpoint, one ``data:`` event per change, and closes
after COMPLETED.  A stream that has worked for ``stream_idle`` seconds or more and then
goes quiet that long, or is closed (a proxy ending an idle connection), is opened again:
it starts with the current status, so a long job costs one request per quiet period, not
a poll every few seconds.  Any other stream failure (HTTP error, bad content type, a
connection dropped or closed early, unreadable event) falls back to polling fal-client's
``handle.status()`` every ``poll_interval`` seconds, slowing to 4× while nothing changes.

``on_update`` is called only when the stage or the queue position changes.  A status
read that keeps failing raises ``Unavailable`` (the request stays with fal; the caller may
``wait`` again later, never resubmit).  The follower has no deadline of its own: a fal
that never answers is bounded by fal-client's timeouts and by the caller's job deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import httpx
from fal_client.client import AsyncRequestHandle, Completed, FalClientHTTPError, Queued
from httpx_sse import aconnect_sse
from loguru import logger
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from providers.base import Cancelled, Failed, OnUpdate
from providers.fal_errors import error_from_exception, worth_retrying
from records import Progress, Stage

_STREAM_CONNECT = 10.0
_POLL_SLOWDOWN = 1.5
_POLL_MAX_FACTOR = 4.0
_STATUS_ATTEMPTS = 4
_STATUS_RETRY_SECONDS = 60.0
_STREAM_ERRORS = (httpx.HTTPError, ValueError, KeyError, TypeError)


@dataclass(frozen=True, slots=True)
class QueueState:
    """One status reading: a stage while pending, or completed with fal's error fields."""

    stage: Stage | None  # None once COMPLETED
    position: int | None = None
    error: str | None = None
    error_type: str | None = None


def place_in_line(queue_position: Any) -> int:
    """fal counts the requests ahead (0: next); users read a place in line (#1: next)."""
    return int(queue_position or 0) + 1


def parse_status(data: Mapping[str, Any]) -> QueueState:
    """A status JSON object (polling body or SSE event) as a ``QueueState``."""
    status = data["status"]
    if status == "IN_QUEUE":
        return QueueState(Stage.QUEUED, place_in_line(data.get("queue_position")))
    if status == "IN_PROGRESS":
        return QueueState(Stage.GENERATING)
    if status == "COMPLETED":
        return QueueState(None, error=data.get("error"), error_type=data.get("error_type"))
    if status == "CANCELLED":
        raise Cancelled("fal reports the request as cancelled")
    raise ValueError(f"unknown fal status {status!r}")


class _StreamBroken(Exception):
    """The status stream failed; polling takes over."""


def _from_client(status: object) -> QueueState:
    if isinstance(status, Queued):
        return QueueState(Stage.QUEUED, place_in_line(status.position))
    if isinstance(status, Completed):
        return QueueState(None, error=status.error, error_type=status.error_type)
    return QueueState(Stage.GENERATING)


class StatusFollower:
    """Follows one request to COMPLETED and reports stage changes to ``on_update``."""

    def __init__(
        self,
        *,
        handle: AsyncRequestHandle,
        http: httpx.AsyncClient,
        headers: Mapping[str, str],
        on_update: OnUpdate,
        poll_interval: float,
        use_stream: bool,
        stream_idle: float = 60.0,
    ) -> None:
        self._handle = handle
        self._http = http
        self._headers = dict(headers)
        self._on_update = on_update
        self._interval = poll_interval
        self._use_stream = use_stream
        self._idle = stream_idle
        self._last: tuple[Stage, int | None] | None = None

    async def run(self) -> QueueState:
        """The COMPLETED state, after reporting every change on the way."""
        if self._use_stream:
            done = await self._stream()
            if done is not None:
                return done
        return await self._poll()

    async def _stream(self) -> QueueState | None:
        loop = asyncio.get_running_loop()
        while True:
            opened, heard = loop.time(), False
            try:
                async with aclosing(self._stream_states()) as states:
                    async for state in states:
                        heard = True
                        if state.stage is None:
                            return state
                        await self._report(state.stage, state.position)  # errors: the caller's
                why = "ended before COMPLETED"
            except _StreamBroken as exc:
                why = f"failed ({exc})"
            if not heard or loop.time() - opened < self._idle:
                logger.debug("fal status stream {}, polling instead", why)
                return None
            logger.debug("fal status stream {} after a quiet spell; opening it again", why)

    async def _stream_states(self) -> AsyncGenerator[QueueState, None]:
        url = self._handle.status_url + "/stream"
        headers = dict(self._headers)  # aconnect_sse adds Accept to the dict it is given
        timeout = httpx.Timeout(_STREAM_CONNECT, read=self._idle)
        try:
            async with aconnect_sse(
                self._http, "GET", url, headers=headers, timeout=timeout
            ) as source:
                source.response.raise_for_status()
                async for event in source.aiter_sse():
                    if event.data:  # skip keep-alive events without a body
                        yield parse_status(event.json())
        except _STREAM_ERRORS as exc:
            raise _StreamBroken(type(exc).__name__) from exc

    async def _poll(self) -> QueueState:
        interval = self._interval
        while True:
            state = await self._read_status()
            if state.stage is None:
                return state
            changed = await self._report(state.stage, state.position)
            slower = min(interval * _POLL_SLOWDOWN, self._interval * _POLL_MAX_FACTOR)
            interval = self._interval if changed else slower
            await asyncio.sleep(interval)

    async def _read_status(self) -> QueueState:
        retrying = AsyncRetrying(
            retry=retry_if_exception(worth_retrying),
            stop=stop_after_attempt(_STATUS_ATTEMPTS) | stop_after_delay(_STATUS_RETRY_SECONDS),
            wait=wait_exponential(multiplier=self._interval, max=self._interval * 4),
            reraise=True,
        )
        return await retrying(self._read_status_once)

    async def _read_status_once(self) -> QueueState:
        try:
            status = await self._handle.status()
        except (FalClientHTTPError, httpx.HTTPError) as exc:
            raise error_from_exception(exc) from exc
        except (KeyError, ValueError) as exc:
            raise Failed(f"unreadable status from fal: {exc}") from exc
        return _from_client(status)

    async def _report(self, stage: Stage, position: int | None) -> bool:
        if (stage, position) == self._last:
            return False
        self._last = (stage, position)
        await self._on_update(Progress(stage, position))
        return True
