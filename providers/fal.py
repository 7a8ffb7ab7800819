"""FalProvider: the Provider protocol over fal's queue, with an injected fal_client.AsyncClient.

Flow: ``submit`` validates the request for every endpoint of the chain (no network yet),
uploads the input image for image-to-image, then POSTs; ``wait`` follows the request
(fal_status: SSE stream, polling fallback) and reads the result; ``download`` fetches
output images with a byte cap and checks they decode.

Errors (tree in base.py; mapping in fal_errors.py)::

    submit   pydantic ValidationError ─────────────→ Rejected (before any network call)
             400/422 ──────────────────────────────→ Rejected (never falls back)
             500, 503 with x-fal-request-id ───────→ Unavailable: tenacity retries (≤
                                                     submit_attempts, no new try after
                                                     submit_retry_seconds), then the next
                                                     endpoint of the chain
             429/408/409, nginx 5xx, transport ────→ RetriedByClient(Unavailable): fal-client
                                                     already retried; next endpoint at once
             401/403/404, unreadable answer ───────→ Failed
    upload   (image-to-image input) mapped like submit; fal-client retries it and falls
             back to its second storage, so no retry of ours
    wait     COMPLETED with error/error_type ──────→ Failed
             result 404/410 → Failed("result expired"); 499 → Cancelled
             no images → Failed; every image flagged → Flagged (else per-image ``nsfw``)
             status read failing after retries ────→ Unavailable (wait again; never resubmit)
    cancel   any error ────────────────────────────→ logged and swallowed (best effort)
    download 404/4xx, timeout, too big, not an image, 5xx/transport after retries → Failed

Every failure leaving the provider is logged once with endpoint, request id, HTTP status
and fal's detail.  The fal key goes only into Authorization headers, never a log or URL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import fal_client
import fal_client.client
import httpx
from fal_client.client import FalClientHTTPError
from loguru import logger
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
    wait_random,
)

from providers.base import Failed, OnUpdate, ProviderError, Rejected, Unavailable
from providers.fal_download import Downloader
from providers.fal_errors import error_from_exception, rejected_from_validation, worth_retrying
from providers.fal_inputs import IMAGE_MODELS, TEXT_MODELS, build_input, payload_of
from providers.fal_result import ResultReader
from providers.fal_status import StatusFollower
from providers.schemas import FluxInput
from records import GeneratedImage, ImageRequest, ImageResult, JobKind, Submission


@dataclass(frozen=True, slots=True)
class FalOptions:
    """Endpoints, timing and limits of FalProvider (values from Settings)."""

    text_endpoint: str = "fal-ai/flux-lora"
    image_endpoint: str = "fal-ai/flux-general/image-to-image"
    fallbacks: tuple[str, ...] = ("fal-ai/flux/schnell",)
    poll_interval: float = 1.0
    status_stream: bool = True
    submit_attempts: int = 3
    submit_retry_seconds: float = 20.0
    submit_retry_wait: float = 1.0
    download_timeout: float = 30.0
    max_download_bytes: int = 50_000_000
    upload_images: bool = True
    parallel_requests: int = 16
    stream_idle_timeout: float = 60.0

    def __post_init__(self) -> None:
        unknown = {self.text_endpoint, *self.fallbacks} - TEXT_MODELS.keys()
        if unknown or self.image_endpoint not in IMAGE_MODELS:
            raise ValueError(f"no input schema for endpoint(s): {unknown or self.image_endpoint}")
        if self.poll_interval <= 0 or self.submit_attempts < 1 or self.download_timeout <= 0:
            raise ValueError("poll_interval and download_timeout must be > 0, attempts ≥ 1")
        if self.parallel_requests < 1 or self.stream_idle_timeout <= 0:
            raise ValueError("parallel_requests must be ≥ 1, stream_idle_timeout > 0")


def point_fal_client_at(queue_url: str, rest_url: str, cdn_url: str) -> None:
    """Point fal-client (module globals, read at call time) at a proxy or a test server."""
    fal_client.client.QUEUE_URL_FORMAT = queue_url.rstrip("/") + "/"
    fal_client.client.REST_URL = rest_url.rstrip("/")
    fal_client.client.CDN_URL = cdn_url.rstrip("/")


class FalProvider:
    """Provider over fal.ai's queue API (see the module docstring for the error map).

    ``http`` carries the short requests (results, image downloads), at most
    ``parallel_requests`` at once, submits included; ``streams`` (default: ``http``) the
    status streams, one per job being followed. Both bounds are for httpcore's sake: its
    pool scans every waiting request against every connection whenever a request starts
    or ends, so a pool crowded with long-lived streams and a queue of short requests
    costs CPU with the square of the load; kept apart and bounded, each stays cheap.
    """

    def __init__(
        self,
        *,
        fal: fal_client.AsyncClient,
        http: httpx.AsyncClient,
        key: str,
        options: FalOptions | None = None,
        streams: httpx.AsyncClient | None = None,
    ) -> None:
        if not key:
            raise ValueError("a fal key is required")
        self._fal = fal
        self._options = options or FalOptions()
        self._auth = {"Authorization": f"Key {key}"}
        self._streams = streams or http
        self._slots = asyncio.Semaphore(self._options.parallel_requests)
        self._results = ResultReader(http=http, headers=self._auth, slots=self._slots)
        self._downloader = Downloader(
            http=http,
            timeout=self._options.download_timeout,
            max_bytes=self._options.max_download_bytes,
            slots=self._slots,
        )

    def endpoints_for(self, request: ImageRequest) -> tuple[str, ...]:
        """TEXT: primary then fallbacks; IMAGE: only the image endpoint (schnell has no i2i)."""
        if request.kind is JobKind.IMAGE:
            return (self._options.image_endpoint,)
        return (self._options.text_endpoint, *self._options.fallbacks)

    async def submit(self, request: ImageRequest) -> Submission:
        """Validate, upload the input image if any, and submit along the endpoint chain."""
        chain = self.endpoints_for(request)
        try:
            plans = self._plan(request, chain)
            image_url = await self._image_url(request)
        except ProviderError as exc:
            _log_failure("submit", chain[0], None, exc)
            raise
        return await self._submit_chain(plans, image_url)

    def _plan(self, request: ImageRequest, chain: tuple[str, ...]) -> list[tuple[str, FluxInput]]:
        primary, *fallbacks = chain
        try:
            plans = [(primary, build_input(primary, request))]
        except ValidationError as exc:
            raise rejected_from_validation(exc, _model(primary)) from exc
        for endpoint in fallbacks:
            try:
                plans.append((endpoint, build_input(endpoint, request)))
            except ValidationError:
                logger.debug("fallback {} cannot take this request; skipped", endpoint)
        return plans

    async def _image_url(self, request: ImageRequest) -> str | None:
        if request.kind is not JobKind.IMAGE:
            return None
        if request.image is None:
            raise Rejected("image: an image-to-image request needs an input image")
        image = request.image
        if not self._options.upload_images:
            return fal_client.encode(image.data, image.content_type)
        try:
            return await self._fal.upload(image.data, image.content_type)
        except (FalClientHTTPError, httpx.HTTPError) as exc:
            raise error_from_exception(exc) from exc

    async def _submit_chain(
        self, plans: list[tuple[str, FluxInput]], image_url: str | None
    ) -> Submission:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._options.submit_retry_seconds
        for endpoint, model in plans[:-1]:
            try:
                return await self._submit_to(endpoint, model, image_url, deadline)
            except Unavailable:
                if loop.time() >= deadline:
                    raise
        endpoint, model = plans[-1]
        return await self._submit_to(endpoint, model, image_url, deadline)

    async def _submit_to(
        self, endpoint: str, model: FluxInput, image_url: str | None, deadline: float
    ) -> Submission:
        payload = payload_of(model, image_url=image_url)
        budget = deadline - asyncio.get_running_loop().time()
        try:
            return await self._submit_retrying(endpoint, payload, budget)
        except ProviderError as exc:
            _log_failure("submit", endpoint, None, exc)
            raise

    async def _submit_retrying(
        self, endpoint: str, payload: dict[str, Any], budget: float
    ) -> Submission:
        wait = self._options.submit_retry_wait
        retrying = AsyncRetrying(
            retry=retry_if_exception(worth_retrying),
            stop=stop_after_attempt(self._options.submit_attempts)
            | stop_before_delay(max(budget, 0.0)),
            wait=wait_exponential(multiplier=wait, max=wait * 8) + wait_random(0, wait),
            reraise=True,
        )
        return await retrying(self._submit_once, endpoint, payload)

    async def _submit_once(self, endpoint: str, payload: dict[str, Any]) -> Submission:
        try:
            async with self._slots:
                handle = await self._fal.submit(endpoint, arguments=payload)
        except (FalClientHTTPError, httpx.HTTPError) as exc:
            raise error_from_exception(exc) from exc
        except (KeyError, ValueError) as exc:
            raise Failed(f"unreadable submit answer from fal: {exc!r}") from exc
        return Submission(endpoint=endpoint, request_id=handle.request_id)

    async def wait(self, submission: Submission, on_update: OnUpdate) -> ImageResult:
        """Follow the request to COMPLETED, then read and check the result."""
        try:
            return await self._wait(submission, on_update)
        except ProviderError as exc:
            _log_failure("wait", submission.endpoint, submission.request_id, exc)
            raise

    async def _wait(self, submission: Submission, on_update: OnUpdate) -> ImageResult:
        handle = await self._fal.get_handle(submission.endpoint, submission.request_id)
        follower = StatusFollower(
            handle=handle,
            http=self._streams,
            headers=self._auth,
            on_update=on_update,
            poll_interval=self._options.poll_interval,
            use_stream=self._options.status_stream,
            stream_idle=self._options.stream_idle_timeout,
        )
        done = await follower.run()
        if done.error or done.error_type:
            raise Failed(f"{done.error_type or 'error'}: {done.error or 'no detail'}")
        return await self._results.read(submission.endpoint, handle.response_url)

    async def cancel(self, submission: Submission) -> None:
        """Ask fal to drop the request; 'already completed', 'not found' etc. are logged only."""
        handle = await self._fal.get_handle(submission.endpoint, submission.request_id)
        try:
            await handle.cancel()
        except (FalClientHTTPError, httpx.HTTPError) as exc:
            error = error_from_exception(exc)
            _log_failure("cancel (ignored)", submission.endpoint, submission.request_id, error)
            return
        logger.info(
            "fal cancel requested: endpoint={} request_id={}",
            submission.endpoint,
            submission.request_id,
        )

    async def download(self, image: GeneratedImage) -> bytes:
        """Fetch one output image (byte cap, overall timeout) and check that it decodes."""
        try:
            return await self._downloader.fetch(image.url)
        except ProviderError as exc:
            _log_failure(f"download {image.url}", None, None, exc)
            raise


def _model(endpoint: str) -> type[BaseModel]:
    return TEXT_MODELS.get(endpoint) or IMAGE_MODELS[endpoint]


def _log_failure(
    operation: str, endpoint: str | None, request_id: str | None, exc: ProviderError
) -> None:
    logger.warning(
        "fal {} failed: {} endpoint={} request_id={} status={} detail={!r}",
        operation,
        type(exc).__name__,
        endpoint,
        request_id,
        exc.status,
        exc.detail,
    )
