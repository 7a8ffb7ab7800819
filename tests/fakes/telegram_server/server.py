"""FakeTelegram itself: the aiohttp app, request dispatch, and what tests read back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from tests.fakes.record_registry import REGISTRY
from tests.fakes.telegram_server.faults import FaultScripting
from tests.fakes.telegram_server.methods import BotMethods
from tests.fakes.telegram_server.updates import UpdateBuilder
from tests.fakes.telegram_server.wire import ApiError, Call, answer, decode, report

T = TypeVar("T")


class FakeTelegram(BotMethods, UpdateBuilder, FaultScripting):
    """One bot's view of Telegram. Use ``async with FakeTelegram() as fake``."""

    # -- server life ---------------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[report])
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- what tests read ------------------------------------------------------------------

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and c.status == 200 and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> list[Call]:
        """The successful calls of ``method`` once there are ``count`` of them (matching)."""
        async with asyncio.timeout(timeout):
            while True:
                found = [c for c in self.calls_of(method) if where is None or where(c)]
                if len(found) >= count:
                    return found
                self._called.clear()
                await self._called.wait()

    async def wait_until(self, check: Callable[[], T | None], *, timeout: float = 5.0) -> T:
        """``check()``'s first truthy value, re-checked after every call the fake answers."""
        async with asyncio.timeout(timeout):
            while not (found := check()):
                self._called.clear()
                await self._called.wait()
            return found

    def replies_to(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's visible messages that reply to ``message``."""
        key = message["message_id"]
        return [
            m
            for m in self.chat(message["chat"]["id"])
            if m.get("reply_to_message", {}).get("message_id") == key
        ]

    def chat(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages still visible in a chat, oldest first."""
        return [
            m
            for (c, i), m in sorted(self.messages.items())
            if c == chat_id and m["from"]["id"] == self.bot["id"] and (c, i) not in self.deleted
        ]

    def transcript(self) -> str:
        """Every request parameter as text, for secret scans."""
        return json.dumps([[c.method, c.params] for c in self.calls], default=str)

    # -- HTTP -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.match_info["method"]
        params, files = await decode(request)
        if request.content_type.startswith("multipart/"):
            parts = {n: (u.filename, u.content_type, u.data) for n, u in files.items()}
            REGISTRY.form("telegram", request.method, request.path, {**params, **parts})
        call = Call(method, params, files)
        self.calls.append(call)
        self._called.set()
        try:
            fault = self._fault_for(call)
            result = await self._handle(call)
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
        except ApiError as error:
            call.status = error.status
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            return answer(error.status, body)
        finally:
            self._called.set()
        return answer(200, {"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        if file_id in self.expired:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        self.downloads.append(file_id)
        return web.Response(body=self.files[file_id][0])

    async def _handle(self, call: Call) -> Any:
        handler = getattr(self, "_m_" + call.method, None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(call.params, call.files)
