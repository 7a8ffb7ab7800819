"""How jobs read in chat: status lines and result captions, shared by every front end."""

from __future__ import annotations

from bot.core import texts
from records import Job, Stage

STAGE_TEXT = {
    Stage.QUEUED: texts.QUEUED,
    Stage.GENERATING: texts.GENERATING,
    Stage.UPLOADING: texts.UPLOADING,
}


def cut(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def progress_text(job: Job, stage: Stage, position: int | None) -> str:
    """The status line for a job: stage, queue position, prompt."""
    where = texts.QUEUE_POSITION.format(position=position) if position else ""
    return STAGE_TEXT[stage].format(position=where, prompt=cut(job.request.prompt, 60))


def result_caption(job: Job, limit: int = 1024) -> str:
    """Caption under a result: prompt, seed, model and cost, within ``limit`` characters."""
    seed = job.result.seed if job.result else "?"
    model = job.result.endpoint if job.result else "?"
    tail = texts.DELIVERED.format(job_id=job.id, prompt="", seed=seed, model=model, cost=job.cost)
    room = max(0, limit - len(tail))
    return texts.DELIVERED.format(
        job_id=job.id, prompt=cut(job.request.prompt, room), seed=seed, model=model, cost=job.cost
    )
