"""Download fal output images: streamed with a byte cap, one overall deadline, retried.

5xx, 429 and transport errors are retried a couple of times (tenacity) inside the
deadline; anything that still fails, times out, is too big or does not decode is
``Failed``: the image will not be delivered.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from providers.base import Failed, Unavailable
from providers.fal_errors import worth_retrying
from providers.images import check_output_image

_ATTEMPTS = 3
_WAIT = 0.2
_RETRY_STATUSES = frozenset({408, 429})


class Downloader:
    """Fetches image bytes with the injected httpx client (no fal credentials sent)."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        timeout: float,
        max_bytes: int,
        slots: asyncio.Semaphore | None = None,
    ) -> None:
        self._http = http
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._slots = slots

    async def fetch(self, url: str) -> bytes:
        """The checked image bytes, or ``Failed``."""
        if httpx.URL(url).scheme not in ("http", "https"):
            raise Failed("the image URL is not http(s)")
        retrying = AsyncRetrying(
            retry=retry_if_exception(worth_retrying),
            stop=stop_after_attempt(_ATTEMPTS),
            wait=wait_exponential(multiplier=_WAIT, max=_WAIT * 4),
            reraise=True,
        )
        try:
            async with asyncio.timeout(self._timeout):
                data: bytes = await retrying(self._get, url)
        except TimeoutError as exc:
            raise Failed(f"image download timed out after {self._timeout:g}s") from exc
        except Unavailable as exc:
            raise Failed(exc.detail, status=exc.status) from exc
        await asyncio.to_thread(check_output_image, data)
        return data

    async def _get(self, url: str) -> bytes:
        try:
            async with (
                self._slots or contextlib.nullcontext(),
                self._http.stream("GET", url, timeout=self._timeout) as response,
            ):
                _check_status(response.status_code)
                return await self._read_capped(response)
        except httpx.TransportError as exc:
            raise Unavailable(f"image download failed: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise Failed(f"image download failed: {type(exc).__name__}") from exc

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise Failed(f"image larger than {self._max_bytes} bytes")
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > self._max_bytes:
                raise Failed(f"image larger than {self._max_bytes} bytes")
        return bytes(data)


def _check_status(status: int) -> None:
    if status < 400:
        return
    detail = f"image download answered HTTP {status}"
    if status >= 500 or status in _RETRY_STATUSES:
        raise Unavailable(detail, status=status)
    raise Failed(detail, status=status)
