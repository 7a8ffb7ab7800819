"""What the fake fal knows and records, shared by its queue and its storage routes."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fakes.fal_server.faults import Fault, FaultScript
from tests.fakes.fal_server.jobs import FakeSubmission, Job
from tests.fakes.fal_server.wire import RecordedRequest, answer
from tests.fakes.record_registry import REGISTRY


class FalState:
    """The fake's settings, jobs, files and records, with request recording and auth."""

    def __init__(
        self,
        *,
        inference_seconds: float = 0.05,
        queue_steps: int = 1,
        queue_step_seconds: float = 0.02,
        slow_seconds: float = 30.0,
        port: int = 0,
        key: str | None = None,
    ) -> None:
        self.inference_seconds = inference_seconds
        self.queue_steps = queue_steps
        self.queue_step_seconds = queue_step_seconds
        self.slow_seconds = slow_seconds
        self.key = key
        if key is not None:
            REGISTRY.fal_key(key)
        self.url = ""
        self.requests: list[RecordedRequest] = []
        self.submissions: list[FakeSubmission] = []
        self.cancels: list[str] = []
        self.status_reads: Counter[str] = Counter()
        self.stream_reads: Counter[str] = Counter()
        self.result_reads: Counter[str] = Counter()
        self.file_reads: Counter[str] = Counter()
        self.uploads: list[tuple[bytes, str]] = []
        self._port = port
        self._jobs: dict[str, Job] = {}
        self._files: dict[str, tuple[bytes, str, frozenset[Fault]]] = {}
        self._script = FaultScript()
        self._tokens: set[str] = set()
        self._wake = asyncio.Event()  # set on heal() and close: hanging requests end
        self._runner: web.AppRunner | None = None

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        headers = dict(request.headers)
        text = body.decode("utf-8", "replace")
        self.requests.append(
            RecordedRequest(request.method, request.path, request.query_string, headers, text)
        )
        REGISTRY.request("fal", request.method, request.path, request.query_string, headers, body)
        response: web.StreamResponse = await handler(request)
        return response

    def _denied(self, request: web.Request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Key ") and (self.key is None or auth == f"Key {self.key}"):
            return None
        return answer({"detail": "Missing or invalid credentials"}, 401)

    async def _hang(self) -> web.Response:
        await self._wake.wait()
        raise web.HTTPServiceUnavailable()
