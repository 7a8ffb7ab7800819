"""The loopback fakes (fal, Discord, Telegram) in a process of their own, with timestamps.

The bench runs the bot (and the fal-client baseline) in its own process; the fake servers
run here, so their CPU is not charged to what is measured, as with the real services.
Arrival times are ``time.monotonic()``, which on Linux is one system-wide clock
(CLOCK_MONOTONIC), so the bench can compare them with its own.

    python -m bench.fakehost [--inference 2.0] [--queue-steps 1]

prints one JSON line (the URLs), then serves until SIGTERM. A control API on its own port
lets the bench configure fal, push Telegram updates and read what arrived (``hostclient``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import time
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fakes.discord_server import ApiError, FakeDiscord
from tests.fakes.fal_server import FakeFal
from tests.fakes.telegram_server import FakeTelegram, Upload

RID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Changes:
    """One condition every fake pokes when something the bench waits for arrives."""

    def __init__(self) -> None:
        self.condition = asyncio.Condition()

    async def poke(self) -> None:
        async with self.condition:
            self.condition.notify_all()

    async def until(self, check: Any, seconds: float) -> None:
        async with asyncio.timeout(seconds), self.condition:
            await self.condition.wait_for(check)


class TimedFal(FakeFal):
    """FakeFal that notes when each request completed and when its image was first read."""

    def __init__(self, changes: Changes, **options: Any) -> None:
        super().__init__(**options)
        self.changes = changes
        self.completed_at: dict[str, float] = {}
        self.file_at: dict[str, float] = {}

    def _completed(self, job: Any) -> dict[str, Any]:
        self.completed_at.setdefault(job.request_id, time.monotonic())
        return super()._completed(job)

    async def _file(self, request: web.Request) -> web.Response:
        rid = request.match_info["name"].rsplit("-", 1)[0]
        self.file_at.setdefault(rid, time.monotonic())
        return await super()._file(request)

    def stats(self) -> dict[str, Any]:
        per_job: Counter[str] = Counter()
        for recorded in self.requests:
            if found := RID.search(recorded.path):
                per_job[found.group()] += 1
        return {
            "submissions": [
                {"rid": s.request_id, "endpoint": s.endpoint, "payload": s.payload}
                for s in self.submissions
            ],
            "per_job": {s.request_id: 1 + per_job[s.request_id] for s in self.submissions},
            "completed_at": self.completed_at,
            "file_at": self.file_at,
            "requests": len(self.requests),
        }

    def reset(self) -> None:
        self.requests.clear()
        self.submissions.clear()
        for counter in (self.status_reads, self.stream_reads, self.result_reads, self.file_reads):
            counter.clear()
        self.completed_at.clear()
        self.file_at.clear()
        done = [rid for rid, job in self._jobs.items() if job.done]
        for rid in done:
            del self._jobs[rid]
        self._files = {n: f for n, f in self._files.items() if n.rsplit("-", 1)[0] not in done}


class TimedDiscord(FakeDiscord):
    """FakeDiscord that lists interaction callbacks and result posts as they arrive."""

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes
        self.callbacks: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []

    async def _answer(self, rec: Any) -> web.Response:
        self.requests.clear()  # the bench reads the lists below; keep memory flat
        try:
            response = await super()._answer(rec)
        except ApiError as error:
            await self._note(rec, error.status)
            raise
        await self._note(rec, response.status)
        return response

    async def _note(self, rec: Any, status: int) -> None:
        if rec.path.endswith("/callback"):
            self.callbacks.append({"id": rec.path.split("/")[2], "at": rec.at, "status": status})
        elif rec.method == "PATCH" and rec.files:
            token = rec.path.split("/")[3]
            self.results.append({"token": token, "at": rec.at, "status": status})
        else:
            return
        await self.changes.poke()

    def _store(self, channel: int, body: dict[str, Any], files: list[Any], by_webhook: bool) -> Any:
        return super()._store(channel, body, [], by_webhook)  # no attachment copies kept

    def reset(self) -> None:
        self.callbacks.clear()
        self.results.clear()
        self._interactions.clear()
        self.messages.clear()


class TimedTelegram(FakeTelegram):
    """FakeTelegram that notes polls, pushed updates and photos with their times."""

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes
        self.polls: list[float] = []
        self.photos: list[dict[str, Any]] = []

    async def _m_getUpdates(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        self.polls.append(time.monotonic())
        await self.changes.poke()
        return await super()._m_getUpdates(p, f)

    async def _m_sendPhoto(self, p: dict[str, Any], f: dict[str, Upload]) -> Any:
        sent = await super()._m_sendPhoto(p, f)
        reply = (p.get("reply_parameters") or {}).get("message_id")
        self.photos.append({"chat_id": p["chat_id"], "reply_to": reply, "at": time.monotonic()})
        await self.changes.poke()
        return sent

    def send_messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        sent = []
        for item in messages:
            user = self.user(int(item["user_id"]))
            update = self.send(user, item["text"])
            message = update["message"]
            sent.append(
                {
                    "message_id": message["message_id"],
                    "chat_id": message["chat"]["id"],
                    "at": time.monotonic(),
                }
            )
        return sent

    def reset(self) -> None:
        self.calls.clear()
        self.messages.clear()
        self.files.clear()
        self.photos.clear()


class Control:
    """The bench's handle on the fakes, over HTTP."""

    def __init__(self, fal: TimedFal, discord: TimedDiscord, telegram: TimedTelegram) -> None:
        self.fal, self.discord, self.telegram = fal, discord, telegram
        self.changes = fal.changes

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/fal/config", self.fal_config)
        app.router.add_get("/fal/stats", self.fal_stats)
        app.router.add_post("/reset", self.reset)
        app.router.add_get("/discord/events", self.discord_events)
        app.router.add_post("/telegram/send", self.telegram_send)
        app.router.add_get("/telegram/events", self.telegram_events)
        return app

    async def fal_config(self, request: web.Request) -> web.Response:
        for name, value in (await request.json()).items():
            setattr(self.fal, name, value)
        return web.json_response({})

    async def fal_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.fal.stats())

    async def reset(self, request: web.Request) -> web.Response:
        for fake in (self.fal, self.discord, self.telegram):
            fake.reset()
        return web.json_response({})

    async def discord_events(self, request: web.Request) -> web.Response:
        kind = request.query["kind"]
        items = self.discord.callbacks if kind == "callbacks" else self.discord.results
        await self._wait(request, items)
        return web.json_response(items)

    async def telegram_send(self, request: web.Request) -> web.Response:
        return web.json_response(self.telegram.send_messages(await request.json()))

    async def telegram_events(self, request: web.Request) -> web.Response:
        kind = request.query["kind"]
        items = self.telegram.photos if kind == "photos" else self.telegram.polls
        await self._wait(request, items)
        return web.json_response(items)

    async def _wait(self, request: web.Request, items: list[Any]) -> None:
        count = int(request.query.get("count", "0"))
        seconds = float(request.query.get("timeout", "30"))
        with contextlib.suppress(TimeoutError):  # the caller sees how many there are
            await self.changes.until(lambda: len(items) >= count, seconds)


async def serve(inference: float, queue_steps: int) -> None:
    changes = Changes()
    fal = TimedFal(changes, inference_seconds=inference, queue_steps=queue_steps)
    discord, telegram = TimedDiscord(changes), TimedTelegram(changes)
    async with fal, discord, telegram:
        runner = web.AppRunner(Control(fal, discord, telegram).app(), shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        urls = {
            "control": f"http://127.0.0.1:{port}",
            "fal": fal.url,
            "discord_api": discord.api_url,
            "discord_gateway": discord.gateway_url,
            "telegram": telegram.base_url,
            "telegram_token": telegram.token,
        }
        print(json.dumps(urls), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inference", type=float, default=2.0)
    parser.add_argument("--queue-steps", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(serve(args.inference, args.queue_steps))


if __name__ == "__main__":
    main()
