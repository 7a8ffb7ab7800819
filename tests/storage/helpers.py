"""Shared test values (users, chat, request, result) and helpers that make jobs."""

from __future__ import annotations

from records import (
    ChatRef,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    Job,
    Platform,
    Submission,
    UserRef,
)
from storage.jobs import JobStore

INITIAL = 10
ALICE = UserRef(Platform.TELEGRAM, "1001")
BOB = UserRef(Platform.DISCORD, "2002")
CHAT = ChatRef(chat_id="c1", message_id="m1", extra='{"thread": 5}')
REQUEST = ImageRequest(prompt="a red fox at dawn", image_size=(1024, 768))
RESULT = ImageResult(
    endpoint="fal-ai/flux/dev",
    images=(
        GeneratedImage("https://fal.media/a.jpg", 1024, 768, "image/jpeg"),
        GeneratedImage("https://fal.media/b.jpg", 1024, 768, None, nsfw=True),
    ),
    seed=42,
)


async def new_job(
    jobs: JobStore,
    job_id: str,
    *,
    user: UserRef = ALICE,
    cost: int = 4,
    max_in_flight: int = 5,
    event_key: str | None = None,
    request: ImageRequest = REQUEST,
) -> Job:
    job, created = await jobs.create(
        job_id=job_id,
        user=user,
        chat=CHAT,
        request=request,
        cost=cost,
        max_in_flight=max_in_flight,
        event_key=event_key,
    )
    assert created
    return job


async def completed_job(jobs: JobStore, job_id: str, *, cost: int = 4) -> Job:
    await new_job(jobs, job_id, cost=cost)
    assert await jobs.mark_submitting(job_id)
    assert await jobs.mark_submitted(job_id, Submission("fal-ai/flux/dev", f"req-{job_id}"))
    job = await jobs.mark_completed(job_id, RESULT)
    assert job is not None
    return job
