"""The provider seam: the Provider protocol and the error tree.

A provider turns an ``ImageRequest`` (see records.generation) into images. The call is
split in three so that a restarted bot can resume work that fal already accepted:
``submit`` returns a ``Submission`` (endpoint + request id, persisted by the caller),
``wait`` follows that submission to a result, ``cancel`` asks the provider to drop it.

Error tree (retryable vs final is a type, never a string match)::

    ProviderError                 anything a provider raises on purpose
    ├── Retryable                 worth trying again (only before fal accepted the request)
    │   └── Unavailable           429, 5xx, transport errors, timeouts talking to fal
    └── Final                     trying again will not help
        ├── Rejected              400/422: fal refused the input; ``detail`` is fal's words
        ├── Failed                fal accepted but produced nothing usable: COMPLETED with an
        │                         error, no images, an image that will not download, expired
        ├── Flagged               every image was flagged by the safety checker (black images)
        ├── TimedOut              the job deadline passed before fal finished
        └── Cancelled             the request was cancelled (by us or by fal)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from records import GeneratedImage, ImageRequest, ImageResult, Progress, Submission

OnUpdate = Callable[[Progress], Awaitable[None]]


class Provider(Protocol):
    """What the job runner needs from an image provider."""

    def endpoints_for(self, request: ImageRequest) -> tuple[str, ...]:
        """The endpoints ``submit`` may use for this request, primary first."""
        ...

    async def submit(self, request: ImageRequest) -> Submission:
        """Validate and submit; falls back along the chain when the primary is unavailable."""
        ...

    async def wait(self, submission: Submission, on_update: OnUpdate) -> ImageResult:
        """Follow an accepted request to its validated result."""
        ...

    async def cancel(self, submission: Submission) -> None:
        """Ask fal to drop the request (best effort; never raises for 'already done')."""
        ...

    async def download(self, image: GeneratedImage) -> bytes:
        """Fetch and check one output image; ``Failed`` when it will not download."""
        ...


class ProviderError(Exception):
    """Base of every error a provider raises on purpose."""

    def __init__(self, detail: str = "", *, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


class Retryable(ProviderError):
    """Trying again later may succeed."""


class Final(ProviderError):
    """Trying again will not help."""


class Unavailable(Retryable):
    """fal could not be reached or was overloaded (429, 5xx, transport, timeouts)."""


class Rejected(Final):
    """fal refused the input (400/422); ``detail`` is fal's message in plain words."""


class Failed(Final):
    """fal accepted the request but produced nothing usable."""


class Flagged(Final):
    """The safety checker flagged every image."""


class TimedOut(Final):
    """The job deadline passed before fal finished."""


class Cancelled(Final):
    """The request was cancelled."""
