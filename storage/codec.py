"""(De)serialisation of jobs: requests, results and chats to JSON text, rows back to ``Job``.

``ImageRequest`` is stored as JSON *without* its image: the image bytes go to the
``input_image`` BLOB column (with ``input_content_type``) and come back as ``InputImage``.
Tuples (``image_size``, ``loras``, ``images``) come back as tuples, so a loaded value
compares equal to the one that was saved.

A job is read back after every step it takes, and its request, chat and result texts do
not change: the values made from each text are kept (frozen dataclasses, so sharing them
is safe) for the last ``DECODED`` texts, instead of parsing the same JSON again and again.
That covers the jobs in flight; a bigger cache would only hold finished jobs' values
(about half a kilobyte each, three per job) for nothing.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from functools import lru_cache
from typing import Any

from records import (
    ChatRef,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    InputImage,
    Job,
    JobKind,
    JobState,
    LoraWeight,
    Platform,
    UserRef,
)

DECODED = 512


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def request_to_json(request: ImageRequest) -> str:
    """The request as JSON text, without the input image."""
    size = request.image_size
    return _dumps(
        {
            "prompt": request.prompt,
            "kind": str(request.kind),
            "negative_prompt": request.negative_prompt,
            "image_size": size if size is None or isinstance(size, str) else list(size),
            "steps": request.steps,
            "guidance": request.guidance,
            "seed": request.seed,
            "num_images": request.num_images,
            "loras": [{"path": lora.path, "scale": lora.scale} for lora in request.loras],
            "strength": request.strength,
            "enable_safety_checker": request.enable_safety_checker,
            "output_format": request.output_format,
        }
    )


def request_from_json(
    text: str, image: bytes | None = None, content_type: str | None = None
) -> ImageRequest:
    """The request saved by ``request_to_json``, with the input image re-attached."""
    request = _request(text)
    if image is None:
        return request
    return replace(request, image=InputImage(bytes(image), str(content_type or "")))


@lru_cache(maxsize=DECODED)
def _request(text: str) -> ImageRequest:
    data = json.loads(text)
    size = data["image_size"]
    return ImageRequest(
        prompt=str(data["prompt"]),
        kind=JobKind(data["kind"]),
        negative_prompt=str(data["negative_prompt"]),
        image_size=size if size is None or isinstance(size, str) else (int(size[0]), int(size[1])),
        steps=int(data["steps"]),
        guidance=float(data["guidance"]),
        seed=None if data["seed"] is None else int(data["seed"]),
        num_images=int(data["num_images"]),
        loras=tuple(LoraWeight(str(x["path"]), float(x["scale"])) for x in data["loras"]),
        strength=float(data["strength"]),
        enable_safety_checker=bool(data["enable_safety_checker"]),
        output_format=str(data["output_format"]),
    )


def result_to_json(result: ImageResult) -> str:
    """The provider result as JSON text."""
    images = [
        {
            "url": image.url,
            "width": image.width,
            "height": image.height,
            "content_type": image.content_type,
            "nsfw": image.nsfw,
        }
        for image in result.images
    ]
    return _dumps({"endpoint": result.endpoint, "images": images, "seed": result.seed})


@lru_cache(maxsize=DECODED)
def result_from_json(text: str) -> ImageResult:
    """The result saved by ``result_to_json``."""
    data = json.loads(text)
    images = tuple(
        GeneratedImage(
            url=str(x["url"]),
            width=int(x["width"]),
            height=int(x["height"]),
            content_type=None if x["content_type"] is None else str(x["content_type"]),
            nsfw=bool(x["nsfw"]),
        )
        for x in data["images"]
    )
    return ImageResult(endpoint=str(data["endpoint"]), images=images, seed=int(data["seed"]))


def chat_to_json(chat: ChatRef) -> str:
    """Where to answer, as JSON text."""
    return _dumps({"chat_id": chat.chat_id, "message_id": chat.message_id, "extra": chat.extra})


@lru_cache(maxsize=DECODED)
def chat_from_json(text: str) -> ChatRef:
    """The chat saved by ``chat_to_json``."""
    data = json.loads(text)
    message_id = data["message_id"]
    return ChatRef(
        chat_id=str(data["chat_id"]),
        message_id=None if message_id is None else str(message_id),
        extra=str(data["extra"]),
    )


# Every job query selects these columns, so ``job_from_row`` can read any of them.
JOB_SELECT = """
SELECT j.*, u.platform AS user_platform, u.platform_user_id AS user_platform_id
FROM jobs j JOIN users u ON u.id = j.user_id"""


def job_from_row(row: sqlite3.Row) -> Job:
    """A ``Job`` from a row of ``JOB_SELECT``."""
    result_json = row["result_json"]
    return Job(
        id=row["id"],
        user=UserRef(Platform(row["user_platform"]), row["user_platform_id"]),
        chat=chat_from_json(row["chat_json"]),
        request=request_from_json(
            row["request_json"], row["input_image"], row["input_content_type"]
        ),
        cost=int(row["cost"]),
        state=JobState(row["state"]),
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
        endpoint=row["endpoint"],
        request_id=row["request_id"],
        result=None if result_json is None else result_from_json(result_json),
        error=row["error"],
        parent_id=row["parent_id"],
        event_key=row["event_key"],
        charged=row["charged"],
        delivery_started_at=row["delivery_started_at"],
    )
