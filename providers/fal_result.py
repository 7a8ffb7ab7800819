"""Read a COMPLETED request's result from fal's ``response_url`` and validate it.

One GET straight to the response URL (fal-client's ``handle.get()`` would poll the status
once more first).  Transient failures (429, 5xx, transport) are retried by tenacity, the
GET being idempotent; 404/410 mean fal no longer keeps the result, 499 a cancelled request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from providers.base import Cancelled, Failed, Flagged, Unavailable
from providers.fal_errors import error_from_response, worth_retrying
from providers.schemas import FluxOutput
from records import GeneratedImage, ImageResult

_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_ATTEMPTS = 3
_WAIT = 0.5


class ResultReader:
    """GETs and checks results with fal's ``Authorization: Key`` header."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        headers: Mapping[str, str],
        slots: asyncio.Semaphore | None = None,
    ) -> None:
        self._http = http
        self._headers = dict(headers)
        self._slots = slots

    async def read(self, endpoint: str, response_url: str) -> ImageResult:
        """The validated result; Failed, Flagged, Cancelled or Unavailable otherwise."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(worth_retrying),
            stop=stop_after_attempt(_ATTEMPTS),
            wait=wait_exponential(multiplier=_WAIT, max=_WAIT * 4),
            reraise=True,
        )
        body: Any = await retrying(self._get, response_url)
        return to_result(endpoint, body)

    async def _get(self, url: str) -> Any:
        try:
            async with self._slots or contextlib.nullcontext():
                response = await self._http.get(url, headers=self._headers, timeout=_TIMEOUT)
        except httpx.TransportError as exc:
            raise Unavailable(f"cannot read the result: {type(exc).__name__}") from exc
        status = response.status_code
        if status in (404, 410):
            raise Failed("result expired", status=status)
        if status == 499:
            raise Cancelled("fal cancelled the request", status=status)
        if status == 400:
            raise Failed(f"result not readable: {response.text[:200]}", status=status)
        if status >= 400:
            raise error_from_response(response)
        try:
            return response.json()
        except ValueError as exc:
            raise Failed("the result is not JSON", status=status) from exc


def to_result(endpoint: str, body: Any) -> ImageResult:
    """Validate fal's output; per-image NSFW flags kept, all-flagged raises ``Flagged``."""
    try:
        output = FluxOutput.model_validate(body)
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
        raise Failed(f"unexpected output from fal (fields: {', '.join(fields)})") from exc
    if not output.images:
        raise Failed("fal returned no images")
    flags = output.has_nsfw_concepts
    images = tuple(
        GeneratedImage(
            url=image.url,
            width=image.width,
            height=image.height,
            content_type=image.content_type,
            nsfw=index < len(flags) and flags[index],
        )
        for index, image in enumerate(output.images)
    )
    if all(image.nsfw for image in images):
        raise Flagged(f"the safety checker flagged all {len(images)} image(s)")
    return ImageResult(endpoint=endpoint, images=images, seed=output.seed)
