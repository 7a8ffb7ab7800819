"""The fake fal's queue API: submit, the job clock, status, SSE stream, result, cancel."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import web

from tests.fakes.fal_server.faults import Fault
from tests.fakes.fal_server.jobs import FakeSubmission, Job, dimensions, thumb
from tests.fakes.fal_server.state import FalState
from tests.fakes.fal_server.wire import SUBMIT_ANSWERS, answer, fal_id
from tests.fakes.images import black_png_bytes, png_bytes


class QueueRoutes(FalState):
    """Route handlers of ``/<endpoint>`` and ``/<app>/requests/<id>[/status[/stream]|/cancel]``."""

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
            return answer({"detail": detail}, 422, fal_id())
        prompt = str(payload.get("prompt", ""))
        fault = self._script.submit_fault(endpoint, prompt)
        if fault is Fault.SUBMIT_HANG:
            return await self._hang()
        if fault is not None:
            return SUBMIT_ANSWERS[fault](payload)
        job = self._start_job(endpoint, payload, self._script.job_faults(endpoint, prompt))
        base = f"{self.url}/{job.app}/requests/{job.request_id}"
        body = {"request_id": job.request_id, "response_url": base, "status_url": base + "/status"}
        position = job.history[0].get("queue_position", 0)
        body |= {"cancel_url": base + "/cancel", "status": "IN_QUEUE", "queue_position": position}
        return answer(body, 200, {"x-fal-request-id": job.request_id})

    def _start_job(self, endpoint: str, payload: dict[str, Any], faults: frozenset[Fault]) -> Job:
        rid = str(uuid.uuid4())
        app = "/".join(endpoint.split("/")[:2])
        job = Job(rid, endpoint, app, payload, faults)
        positions = [3, 2, 1] if Fault.QUEUE in faults else list(range(self.queue_steps))[::-1]
        job.push(self._queued(job, positions[0]) if positions else self._in_progress(job))
        job.task = asyncio.create_task(self._run(job, positions[1:], bool(positions)))
        self._jobs[rid] = job
        self.submissions.append(FakeSubmission(endpoint, payload, rid))
        return job

    async def _run(self, job: Job, positions: list[int], queued: bool) -> None:
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

    def _base(self, job: Job) -> dict[str, Any]:
        url = f"{self.url}/{job.app}/requests/{job.request_id}"
        return {"request_id": job.request_id, "response_url": url}

    def _queued(self, job: Job, position: int) -> dict[str, Any]:
        return {"status": "IN_QUEUE", "queue_position": position, **self._base(job)}

    def _in_progress(self, job: Job) -> dict[str, Any]:
        return {"status": "IN_PROGRESS", "logs": None, **self._base(job)}

    def _completed(self, job: Job) -> dict[str, Any]:
        broken = Fault.COMPLETED_WITH_ERROR in job.faults
        return {
            "status": "COMPLETED",
            "logs": None,
            "metrics": {"inference_time": self.inference_seconds},
            "error": "Runner disconnected" if broken else None,
            "error_type": "runner_disconnected" if broken else None,
            **self._base(job),
        }

    def _output(self, job: Job) -> dict[str, Any]:
        payload, nsfw = job.payload, Fault.NSFW in job.faults
        width, height = dimensions(payload.get("image_size"))
        count = 0 if Fault.NO_IMAGES in job.faults else int(payload.get("num_images", 1))
        images = []
        for index in range(count):
            name = f"{job.request_id}-{index}.png"
            small = thumb(width, height)
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

    def _job(self, request: web.Request) -> Job | None:
        job = self._jobs.get(request.match_info["rid"])
        return job if job is not None and job.app == request.match_info["app"] else None

    async def _status(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        if (job := self._job(request)) is None:
            return answer({"detail": "Request not found"}, 404)
        self.status_reads[job.request_id] += 1
        if Fault.STATUS_HANG in job.faults:
            return await self._hang()
        if Fault.STATUS_500 in job.faults and self.status_reads[job.request_id] <= 2:
            return answer({"detail": "Internal Server Error"}, 500, fal_id())
        body = dict(job.history[-1])
        if request.query.get("logs") in ("true", "1") and "logs" in body:
            body["logs"] = [{"message": "step", "level": "INFO", "source": "user"}]
        return answer(body, 200 if job.done else 202, {"x-fal-request-id": job.request_id})

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        if denied := self._denied(request):
            return denied
        if (job := self._job(request)) is None:
            return answer({"detail": "Request not found"}, 404)
        self.stream_reads[job.request_id] += 1
        if Fault.STATUS_HANG in job.faults:
            return await self._hang()
        if Fault.SSE_ERROR in job.faults:
            return answer({"detail": "stream unavailable"}, 500, fal_id())
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
            return answer({"detail": "Request not found"}, 404)
        self.result_reads[job.request_id] += 1
        if not job.done:
            return answer({"detail": "Request is still in progress"}, 400)
        if job.cancelled or Fault.FAL_CANCELLED in job.faults:
            return answer({"detail": "Request was cancelled"}, 499, fal_id())
        if Fault.RESULT_EXPIRED in job.faults:
            return answer({"detail": "Request not found"}, 404, fal_id())
        if Fault.COMPLETED_WITH_ERROR in job.faults:
            body = {"detail": "Runner disconnected", "error_type": "runner_disconnected"}
            return answer(body, 500, fal_id())
        return answer(job.result, 200, {"x-fal-request-id": job.request_id})

    async def _cancel(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        self.cancels.append(request.match_info["rid"])
        if (job := self._job(request)) is None:
            return answer({"status": "NOT_FOUND"}, 404)
        if job.done:
            return answer({"status": "ALREADY_COMPLETED"}, 400)
        job.cancelled = True
        if job.task is not None:
            job.task.cancel()
        job.push(self._completed(job))
        return answer({"status": "CANCELLATION_REQUESTED"}, 202)
