"""What is asked of an image provider and what it returns: platform-neutral values.

``ImageRequest`` is JSON-friendly except its input image; ``Submission`` is what a restart
needs to resume a request the provider accepted; ``ImageResult`` is a validated output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    """Where a job stands, as shown to the user."""

    QUEUED = "queued"
    GENERATING = "generating"
    UPLOADING = "uploading"


class JobKind(StrEnum):
    """Text-to-image or image-to-image."""

    TEXT = "text"
    IMAGE = "image"


@dataclass(frozen=True, slots=True)
class LoraWeight:
    """A LoRA as fal takes it: weights path or URL, and a scale (0..4)."""

    path: str
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class InputImage:
    """A validated, re-encoded user image (never a chat platform URL)."""

    data: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """Everything needed to generate; platform-neutral and JSON-friendly except ``image``.

    ``image_size`` is a fal preset name (``landscape_4_3``), a ``(width, height)`` pair, or
    None (image-to-image only: keep the input image's shape).
    ``strength`` and ``image`` are used only for ``JobKind.IMAGE``.
    """

    prompt: str
    kind: JobKind = JobKind.TEXT
    negative_prompt: str = ""
    image_size: str | tuple[int, int] | None = "landscape_4_3"
    steps: int = 28
    guidance: float = 3.5
    seed: int | None = None
    num_images: int = 1
    loras: tuple[LoraWeight, ...] = ()
    strength: float = 0.85
    enable_safety_checker: bool = True
    output_format: str = "jpeg"
    image: InputImage | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Submission:
    """A request fal accepted: which endpoint took it and fal's request id."""

    endpoint: str
    request_id: str


@dataclass(frozen=True, slots=True)
class Progress:
    """A status change reported while waiting: stage and, when queued, the place in line
    (1: next; fal's own ``queue_position`` counts the requests ahead, so it is one less)."""

    stage: Stage
    queue_position: int | None = None


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    """One output image as fal describes it (the bytes are fetched with ``download``)."""

    url: str
    width: int
    height: int
    content_type: str | None = None
    nsfw: bool = False


@dataclass(frozen=True, slots=True)
class ImageResult:
    """A validated fal output."""

    endpoint: str
    images: tuple[GeneratedImage, ...]
    seed: int
