"""FakeDiscord itself: the aiohttp app, request dispatch, and what tests read back."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.discord_server.faults import FaultScripting
from tests.fakes.discord_server.routes import Routes
from tests.fakes.discord_server.state import Handler, Interaction
from tests.fakes.discord_server.wire import ApiError, Recorded, answer, read_body, report
from tests.fakes.record_registry import REGISTRY


class FakeDiscord(Routes, FaultScripting):
    """The fake server; see the package docstring."""

    def __init__(self) -> None:
        super().__init__()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(p + "$"), h) for m, p, h in self._table()
        ]

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(client_max_size=256 * 1024 * 1024, middlewares=[report])
        app.router.add_get("/attachments/{key}/{name}", self._attachment)
        app.router.add_route("*", "/gateway{tail:.*}", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- interactions ---------------------------------------------------------------------

    def register(self, payload: dict[str, Any]) -> None:
        """Learn an injected interaction's token, channel and, for a button, its message."""
        channel = int(payload.get("channel_id") or payload.get("channel", {}).get("id", 0))
        message = payload.get("message")
        original = int(message["id"]) if message else None
        self._interactions.setdefault(payload["token"], Interaction(channel, original=original))

    # --- reading --------------------------------------------------------------------------

    def calls(self, method: str | None = None, path: str = "") -> list[Recorded]:
        """Recorded requests with this method whose path matches the regex ``path``."""
        pattern = re.compile(path)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and pattern.search(r.path)
        ]

    def original(self, token: str) -> dict[str, Any] | None:
        """The interaction's original response message as a user would see it now."""
        state = self._interactions.get(token)
        if state is None or state.original is None:
            return None
        return self.messages.get(state.original)

    def followups(self, token: str) -> list[dict[str, Any]]:
        state = self._interactions.get(token)
        return [self.messages[i] for i in state.followups] if state else []

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == str(channel_id)]

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], *, count: int = 1, timeout: float = 5.0
    ) -> list[Recorded]:
        """Wait until ``count`` recorded requests (answered) match ``predicate``."""

        def found() -> list[Recorded]:
            return [r for r in self.requests if r.status and predicate(r)]

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(found()) >= count)
        return found()

    # --- dispatch -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await read_body(request)
        if request.content_type.startswith("multipart/"):
            parts: dict[str, object] = {"payload_json": json.dumps(body)}
            parts |= {f.field: (f.filename, f.content_type, f.data) for f in files}
            REGISTRY.form("discord", request.method, request.path, parts)
        rec = Recorded(request.method, path, dict(request.query), body, files, time.monotonic())
        self.requests.append(rec)
        try:
            response = await self._answer(rec)
        except ApiError as error:
            payload = {"code": error.code, "message": error.message, **error.extra}
            response = answer(payload, error.status, {"Via": "1.1 google"})
        rec.status = response.status
        async with self._changed:
            self._changed.notify_all()
        return response

    async def _answer(self, rec: Recorded) -> web.Response:
        self._scripted_fault(rec)
        self._upload_fault(rec)
        for method, pattern, handler in self._routes:
            if method == rec.method and (match := pattern.match(rec.path)):
                data = await handler(rec, match.groupdict())
                return web.Response(status=204) if data is None else answer(data)
        raise ApiError(404, 0, f"404: Not Found ({rec.method} {rec.path})")

    async def _gateway(self, request: web.Request) -> web.Response:
        """The websocket gateway is not faked: a connect attempt is recorded and refused."""
        rec = Recorded(request.method, "/gateway", dict(request.query), None, [], time.monotonic())
        rec.status = 503
        self.requests.append(rec)
        async with self._changed:
            self._changed.notify_all()
        return web.Response(status=503)

    async def _attachment(self, request: web.Request) -> web.Response:
        self.downloads.append(request.path)
        entry = self._attachments.get(request.match_info["key"])
        if entry is None:
            return web.Response(status=404)
        return web.Response(body=entry[0], headers={"Content-Type": entry[1]})
