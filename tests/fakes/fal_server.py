"""FakeFal: fal.ai's queue, SSE status stream, storage upload and CDN on 127.0.0.1.

It speaks the protocol of reference/fal.md §4 and §6 as fal-client 1.0.3 parses it. One
base URL serves the queue (``QUEUE_URL_FORMAT = url + "/"``), the REST API (``REST_URL``)
and the CDN (``CDN_URL``)::

    async with FakeFal(inference_seconds=0.05, queue_steps=1) as fal:
        point_fal_client_at(fal.queue_url, fal.rest_url, fal.cdn_url)

Jobs run on a clock: ``queue_steps`` IN_QUEUE positions (``queue_step_seconds`` each),
IN_PROGRESS for ``inference_seconds``, then COMPLETED.  Faults (``Fault``) are scripted
with ``fal.fail_next(fault, count=1, endpoint=None)`` or by a trigger word in the prompt,
``fault:<name>[*N]`` (``fault:nsfw``, ``fault:submit_503*3``; ``fault:422`` / ``429`` /
``500`` / ``502`` / ``503`` are short for the submit faults).  A submit fault hits the
first N submissions carrying that prompt (N=1 by default); a job fault hits every job.

Recorded for assertions: ``requests`` (every HTTP request: method, path, query, headers,
body text; each also scanned for secrets by tests/fakes/record_registry.py),
``submissions`` (endpoint, payload, request id), ``cancels``, ``uploads``, and per
request id ``status_reads``, ``stream_reads``, ``result_reads`` (``file_reads`` per
CDN file).  Queue and storage calls need ``Authorization: Key …`` (the exact key when
``key=`` is given); CDN uploads need the Bearer token from ``/storage/auth/token``.

Separate process (prints its URL, serves until SIGTERM/SIGINT); point fal-client at it
with ``point_fal_client_at(url, url, url)``::

    python -m tests.fakes.fal_server --port 8765 [--inference-seconds 0.5] [--queue-steps 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import fal_client.client
import httpx
import pytest
from aiohttp import web

from providers.fal import FalOptions, FalProvider, point_fal_client_at
from tests.fakes.images import black_png_bytes, png_bytes
from tests.fakes.record_registry import REGISTRY

TEST_FAL_KEY = "test-fal-key-SECRET"
REGISTRY.fal_key(TEST_FAL_KEY)


class Fault(StrEnum):
    """Scriptable misbehaviour of the fake."""

    SUBMIT_500 = "submit_500"  # fal's own 500 (x-fal-request-id): fal-client does not retry
    SUBMIT_502_PROXY = "submit_502_proxy"  # nginx page, no request id: fal-client retries
    SUBMIT_503 = "submit_503"  # runner_scheduling_failure with x-fal-request-id
    SUBMIT_429 = "submit_429"  # fal-client retries it up to MAX_ATTEMPTS
    SUBMIT_422 = "submit_422"  # detail list [{loc, msg, type}]
    SUBMIT_HANG = "submit_hang"  # the submit POST never answers (outcome unknown)
    COMPLETED_WITH_ERROR = "completed_with_error"  # runner_disconnected; result GET → 500
    NO_IMAGES = "no_images"
    NSFW = "nsfw"  # black images, has_nsfw_concepts all true
    IMAGE_404 = "image_404"
    IMAGE_HANG = "image_hang"  # the CDN never answers
    STATUS_HANG = "status_hang"  # status and SSE never answer
    RESULT_EXPIRED = "result_expired"  # result GET → 404 after COMPLETED
    FAL_CANCELLED = "fal_cancelled"  # result GET → 499
    SLOW = "slow"  # inference takes slow_seconds
    QUEUE = "queue"  # queue positions 3, 2, 1 before IN_PROGRESS
    SSE_ERROR = "sse_error"  # the status stream answers 500
    SSE_DROP = "sse_drop"  # the status stream closes after its first event
    STATUS_500 = "status_500"  # the first two status reads answer 500 (then normal)
    IMAGE_FLAKY = "image_flaky"  # the CDN answers 503 to the first GET of each image


SUBMIT_FAULTS = frozenset(f for f in Fault if f.startswith("submit_"))
_ALIASES = {code: Fault(f"submit_{code}") for code in ("422", "429", "500", "503")}
_ALIASES["502"] = Fault.SUBMIT_502_PROXY
_TRIGGER = re.compile(r"fault:([a-z0-9_]+)(?:\*(\d+))?")
_PRESETS = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
_NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad \
Gateway</h1></center><hr><center>nginx</center></body></html>"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the fake saw it (scan these for leaked secrets)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class FakeSubmission:
    """A submission the fake accepted."""

    endpoint: str
    payload: dict[str, Any]
    request_id: str


@dataclass
class _Scripted:
    fault: Fault
    count: int
    endpoint: str | None


@dataclass(eq=False)
class _Job:
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


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def _fal_id() -> dict[str, str]:
    return {"x-fal-request-id": str(uuid.uuid4())}


_SUBMIT_ANSWERS: dict[Fault, Callable[[dict[str, Any]], web.Response]] = {
    Fault.SUBMIT_500: lambda p: _json({"detail": "Internal Server Error"}, 500, _fal_id()),
    Fault.SUBMIT_502_PROXY: lambda p: web.Response(
        status=502, text=_NGINX_502, content_type="text/html"
    ),
    Fault.SUBMIT_503: lambda p: _json(
        {"detail": "No runner available", "error_type": "runner_scheduling_failure"},
        503,
        {**_fal_id(), "x-fal-error-type": "runner_scheduling_failure"},
    ),
    Fault.SUBMIT_429: lambda p: _json({"detail": "Too many requests"}, 429),
    Fault.SUBMIT_422: lambda p: _json(
        {
            "detail": [
                {
                    "loc": ["body", "num_images"],
                    "msg": "Input should be less than or equal to 4",
                    "type": "less_than_equal",
                    "ctx": {"le": 4},
                    "input": p.get("num_images"),
                }
            ]
        },
        422,
        _fal_id(),
    ),
}


class FakeFal:
    """The fake fal server; see the module docstring."""

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
        self._jobs: dict[str, _Job] = {}
        self._files: dict[str, tuple[bytes, str, frozenset[Fault]]] = {}
        self._script: list[_Scripted] = []
        self._trigger_uses: Counter[tuple[str, Fault]] = Counter()
        self._tokens: set[str] = set()
        self._wake = asyncio.Event()  # set on heal() and close: hanging requests end
        self._runner: web.AppRunner | None = None

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
        self._script.append(_Scripted(Fault(fault), count, endpoint))

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

    # --- recording, auth ------------------------------------------------------------------

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
        return _json({"detail": "Missing or invalid credentials"}, 401)

    async def _hang(self) -> web.Response:
        await self._wake.wait()
        raise web.HTTPServiceUnavailable()

    # --- faults ---------------------------------------------------------------------------

    def _take(self, kinds: frozenset[Fault], endpoint: str, *, first: bool) -> list[Fault]:
        taken: list[Fault] = []
        for entry in list(self._script):
            if entry.fault in kinds and entry.endpoint in (None, endpoint):
                entry.count -= 1
                if entry.count <= 0:
                    self._script.remove(entry)
                taken.append(entry.fault)
                if first:
                    break
        return taken

    @staticmethod
    def _triggers(prompt: str) -> list[tuple[Fault, int]]:
        found = []
        for name, count in _TRIGGER.findall(prompt):
            fault = _ALIASES.get(name) or Fault._value2member_map_.get(name)
            if isinstance(fault, Fault):  # other "fault:…" words are ordinary prompt text
                found.append((fault, int(count or 1)))
        return found

    def _submit_fault(self, endpoint: str, prompt: str) -> Fault | None:
        scripted = self._take(SUBMIT_FAULTS, endpoint, first=True)
        if scripted:
            return scripted[0]
        for fault, count in self._triggers(prompt):
            if fault in SUBMIT_FAULTS:
                self._trigger_uses[(prompt, fault)] += 1
                if self._trigger_uses[(prompt, fault)] <= count:
                    return fault
        return None

    def _job_faults(self, endpoint: str, prompt: str) -> frozenset[Fault]:
        job_kinds = frozenset(Fault) - SUBMIT_FAULTS
        scripted = self._take(job_kinds, endpoint, first=False)
        triggered = [fault for fault, _ in self._triggers(prompt) if fault in job_kinds]
        return frozenset([*scripted, *triggered])

    # --- queue ----------------------------------------------------------------------------

    async def _submit(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        endpoint = request.match_info["endpoint"]
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            detail = [{"loc": ["body"], "msg": "Input should be a JSON object", "type": "x"}]
            return _json({"detail": detail}, 422, _fal_id())
        prompt = str(payload.get("prompt", ""))
        fault = self._submit_fault(endpoint, prompt)
        if fault is Fault.SUBMIT_HANG:
            return await self._hang()
        if fault is not None:
            return _SUBMIT_ANSWERS[fault](payload)
        job = self._start_job(endpoint, payload, self._job_faults(endpoint, prompt))
        base = f"{self.url}/{job.app}/requests/{job.request_id}"
        body = {"request_id": job.request_id, "response_url": base, "status_url": base + "/status"}
        position = job.history[0].get("queue_position", 0)
        body |= {"cancel_url": base + "/cancel", "status": "IN_QUEUE", "queue_position": position}
        return _json(body, 200, {"x-fal-request-id": job.request_id})

    def _start_job(self, endpoint: str, payload: dict[str, Any], faults: frozenset[Fault]) -> _Job:
        rid = str(uuid.uuid4())
        app = "/".join(endpoint.split("/")[:2])
        job = _Job(rid, endpoint, app, payload, faults)
        positions = [3, 2, 1] if Fault.QUEUE in faults else list(range(self.queue_steps))[::-1]
        job.push(self._queued(job, positions[0]) if positions else self._in_progress(job))
        job.task = asyncio.create_task(self._run(job, positions[1:], bool(positions)))
        self._jobs[rid] = job
        self.submissions.append(FakeSubmission(endpoint, payload, rid))
        return job

    async def _run(self, job: _Job, positions: list[int], queued: bool) -> None:
        for position in positions:
            await asyncio.sleep(self.queue_step_seconds)
            job.push(self._queued(job, position))
        if queued:
            await asyncio.sleep(self.queue_step_seconds)
            job.push(self._in_progress(job))
        slow = Fault.SLOW in job.faults
        await asyncio.sleep(self.slow_seconds if slow else self.inference_seconds)
        job.result = self._output(job)
        job.push(self._completed(job))

    def _base(self, job: _Job) -> dict[str, Any]:
        url = f"{self.url}/{job.app}/requests/{job.request_id}"
        return {"request_id": job.request_id, "response_url": url}

    def _queued(self, job: _Job, position: int) -> dict[str, Any]:
        return {"status": "IN_QUEUE", "queue_position": position, **self._base(job)}

    def _in_progress(self, job: _Job) -> dict[str, Any]:
        return {"status": "IN_PROGRESS", "logs": None, **self._base(job)}

    def _completed(self, job: _Job) -> dict[str, Any]:
        broken = Fault.COMPLETED_WITH_ERROR in job.faults
        return {
            "status": "COMPLETED",
            "logs": None,
            "metrics": {"inference_time": self.inference_seconds},
            "error": "Runner disconnected" if broken else None,
            "error_type": "runner_disconnected" if broken else None,
            **self._base(job),
        }

    def _output(self, job: _Job) -> dict[str, Any]:
        payload, nsfw = job.payload, Fault.NSFW in job.faults
        width, height = _dimensions(payload.get("image_size"))
        count = 0 if Fault.NO_IMAGES in job.faults else int(payload.get("num_images", 1))
        images = []
        for index in range(count):
            name = f"{job.request_id}-{index}.png"
            small = _thumb(width, height)
            data = black_png_bytes(*small) if nsfw else png_bytes(*small)
            self._files[name] = (data, "image/png", job.faults)
            url = f"{self.url}/files/{name}"
            images.append({"url": url, "width": width, "height": height})
            images[-1] |= {"content_type": "image/png", "file_name": None, "file_size": None}
        seed = payload.get("seed")
        return {
            "images": images,
            "timings": {"inference": self.inference_seconds},
            "seed": seed if isinstance(seed, int) else 424242,
            "has_nsfw_concepts": [nsfw] * count,
            "prompt": payload.get("prompt", ""),
        }

    def _job(self, request: web.Request) -> _Job | None:
        job = self._jobs.get(request.match_info["rid"])
        return job if job is not None and job.app == request.match_info["app"] else None

    async def _status(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        if (job := self._job(request)) is None:
            return _json({"detail": "Request not found"}, 404)
        self.status_reads[job.request_id] += 1
        if Fault.STATUS_HANG in job.faults:
            return await self._hang()
        if Fault.STATUS_500 in job.faults and self.status_reads[job.request_id] <= 2:
            return _json({"detail": "Internal Server Error"}, 500, _fal_id())
        body = dict(job.history[-1])
        if request.query.get("logs") in ("true", "1") and "logs" in body:
            body["logs"] = [{"message": "step", "level": "INFO", "source": "user"}]
        return _json(body, 200 if job.done else 202, {"x-fal-request-id": job.request_id})

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        if denied := self._denied(request):
            return denied
        if (job := self._job(request)) is None:
            return _json({"detail": "Request not found"}, 404)
        self.stream_reads[job.request_id] += 1
        if Fault.STATUS_HANG in job.faults:
            return await self._hang()
        if Fault.SSE_ERROR in job.faults:
            return _json({"detail": "stream unavailable"}, 500, _fal_id())
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.headers["Cache-Control"] = "no-cache"
        await response.prepare(request)
        index = len(job.history) - 1
        while not job.closed:
            status = job.history[index]
            await response.write(f"data: {json.dumps(status)}\n\n".encode())
            if status["status"] == "COMPLETED" or Fault.SSE_DROP in job.faults:
                break
            await job.wait_beyond(index)
            index += 1
        await response.write_eof()
        return response

    async def _result(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        if (job := self._job(request)) is None:
            return _json({"detail": "Request not found"}, 404)
        self.result_reads[job.request_id] += 1
        if not job.done:
            return _json({"detail": "Request is still in progress"}, 400)
        if job.cancelled or Fault.FAL_CANCELLED in job.faults:
            return _json({"detail": "Request was cancelled"}, 499, _fal_id())
        if Fault.RESULT_EXPIRED in job.faults:
            return _json({"detail": "Request not found"}, 404, _fal_id())
        if Fault.COMPLETED_WITH_ERROR in job.faults:
            body = {"detail": "Runner disconnected", "error_type": "runner_disconnected"}
            return _json(body, 500, _fal_id())
        return _json(job.result, 200, {"x-fal-request-id": job.request_id})

    async def _cancel(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        self.cancels.append(request.match_info["rid"])
        if (job := self._job(request)) is None:
            return _json({"status": "NOT_FOUND"}, 404)
        if job.done:
            return _json({"status": "ALREADY_COMPLETED"}, 400)
        job.cancelled = True
        if job.task is not None:
            job.task.cancel()
        job.push(self._completed(job))
        return _json({"status": "CANCELLATION_REQUESTED"}, 202)

    # --- storage and CDN ------------------------------------------------------------------

    async def _cdn_token(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        token = uuid.uuid4().hex
        self._tokens.add(token)
        expires = "2099-01-01T00:00:00+00:00"
        body = {"token": token, "token_type": "Bearer", "base_url": self.url}
        return _json(body | {"expires_at": expires})

    def add_file(self, data: bytes, content_type: str, *faults: Fault) -> str:
        """Serve ``data`` from the fake CDN; returns its URL."""
        name = f"uploads/{uuid.uuid4().hex}"
        self._files[name] = (data, content_type, frozenset(faults))
        return f"{self.url}/files/{name}"

    def _store(self, data: bytes, content_type: str) -> str:
        self.uploads.append((data, content_type))
        return self.add_file(data, content_type)

    async def _upload(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self._tokens:
            return _json({"detail": "Invalid CDN token"}, 401)
        url = self._store(await request.read(), request.content_type)
        return _json({"access_url": url})

    async def _initiate_upload(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        name = uuid.uuid4().hex
        upload_url = f"{self.url}/storage/put/{name}"
        return _json({"upload_url": upload_url, "file_url": f"{self.url}/files/put-{name}"})

    async def _put_upload(self, request: web.Request) -> web.Response:
        self._store(await request.read(), request.content_type)
        return web.Response(status=200)

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        entry = self._files.get(name)
        self.file_reads[name] += 1
        if entry is None or Fault.IMAGE_404 in entry[2]:
            return _json({"detail": "Not found"}, 404)
        if Fault.IMAGE_HANG in entry[2]:
            return await self._hang()
        if Fault.IMAGE_FLAKY in entry[2] and self.file_reads[name] == 1:
            return _json({"detail": "Service Unavailable"}, 503)
        return web.Response(body=entry[0], content_type=entry[1])


def _dimensions(size: object) -> tuple[int, int]:
    if isinstance(size, dict):
        return int(size.get("width", 512)), int(size.get("height", 512))
    return _PRESETS.get(str(size), (1024, 768))


def _thumb(width: int, height: int, side: int = 32) -> tuple[int, int]:
    scale = side / max(width, height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale))


# --- pytest helpers ------------------------------------------------------------------------


def fast_fal_client_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make fal-client's own retry back-off ~1 ms (its async delays are hard-coded)."""
    monkeypatch.setattr(fal_client.client, "_get_retry_delay", lambda *args, **kwargs: 0.001)


@asynccontextmanager
async def make_fal_provider(fal: FakeFal, **options: Any) -> AsyncIterator[FalProvider]:
    """A FalProvider with a real fal_client.AsyncClient pointed at ``fal`` (restored after)."""
    module = fal_client.client
    saved = (module.QUEUE_URL_FORMAT, module.REST_URL, module.CDN_URL)
    point_fal_client_at(fal.queue_url, fal.rest_url, fal.cdn_url)
    client = fal_client.AsyncClient(key=TEST_FAL_KEY)
    try:
        async with httpx.AsyncClient() as http:
            provider = FalProvider(
                fal=client, http=http, key=TEST_FAL_KEY, options=FalOptions(**options)
            )
            yield provider
    finally:
        point_fal_client_at(*saved)
        if "_client" in vars(client):  # fal-client caches its httpx client; close it
            await (await client._client).aclose()


# --- separate process ----------------------------------------------------------------------


async def _serve(port: int, inference_seconds: float, queue_steps: int) -> None:
    fake = FakeFal(port=port, inference_seconds=inference_seconds, queue_steps=queue_steps)
    async with fake:
        print(fake.url, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m tests.fakes.fal_server``."""
    parser = argparse.ArgumentParser(description="Fake fal.ai server for tests")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--inference-seconds", type=float, default=0.5)
    parser.add_argument("--queue-steps", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, args.inference_seconds, args.queue_steps))


if __name__ == "__main__":
    main()
