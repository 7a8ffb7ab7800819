"""FakeFal itself: the aiohttp app over the queue and storage routes, and fault control."""

from __future__ import annotations

import asyncio

from aiohttp import web

from tests.fakes.fal_server.faults import Fault
from tests.fakes.fal_server.queue import QueueRoutes
from tests.fakes.fal_server.storage import StorageRoutes
from tests.fakes.fal_server.wire import RecordedRequest


class FakeFal(QueueRoutes, StorageRoutes):
    """The fake fal server; see the package docstring."""

    @property
    def queue_url(self) -> str:
        """``fal_client.client.QUEUE_URL_FORMAT`` for this fake."""
        return self.url + "/"

    @property
    def rest_url(self) -> str:
        """``fal_client.client.REST_URL`` for this fake."""
        return self.url

    @property
    def cdn_url(self) -> str:
        """``fal_client.client.CDN_URL`` for this fake."""
        return self.url

    async def __aenter__(self) -> FakeFal:
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/storage/auth/token", self._cdn_token)
        app.router.add_post("/storage/upload/initiate", self._initiate_upload)
        app.router.add_put("/storage/put/{name}", self._put_upload)
        app.router.add_post("/files/upload", self._upload)
        app.router.add_get("/files/{name:.+}", self._file)
        app.router.add_get("/{app:.+}/requests/{rid}/status/stream", self._stream)
        app.router.add_get("/{app:.+}/requests/{rid}/status", self._status)
        app.router.add_put("/{app:.+}/requests/{rid}/cancel", self._cancel)
        app.router.add_get("/{app:.+}/requests/{rid}", self._result)
        app.router.add_post("/{endpoint:.+}", self._submit)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._wake.set()
        for job in self._jobs.values():
            job.closed = True
            job.poke()
            if job.task is not None:
                job.task.cancel()
        await asyncio.gather(
            *(j.task for j in self._jobs.values() if j.task), return_exceptions=True
        )
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, fault: Fault | str, count: int = 1, endpoint: str | None = None) -> None:
        """Script ``fault`` for the next ``count`` submits (or jobs) on ``endpoint`` (any)."""
        self._script.add(fault, count, endpoint)

    def heal(self) -> None:
        """End every fault: scripted ones are dropped, existing jobs and files behave, and
        hanging requests are answered 503.  Trigger words in new prompts still work."""
        self._script.clear()
        for job in self._jobs.values():
            job.faults = frozenset()
        self._files = {name: (data, ct, frozenset()) for name, (data, ct, _) in self._files.items()}
        self._wake.set()
        self._wake = asyncio.Event()

    def requests_for(self, request_id: str) -> list[RecordedRequest]:
        """Every request about one job after its submit: status, stream, result, CDN, cancel."""
        return [r for r in self.requests if request_id in r.path]
