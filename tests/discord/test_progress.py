"""The deferred response shows the job's stage and queue position, edited at a bounded rate."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bot.core import texts
from bot.settings import Settings
from tests.discord.conftest import World, running
from tests.discord.payloads import slash
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.fal_server import FakeFal


def status_edits(world: World, token: str) -> list[tuple[float, str]]:
    """(time, text) of every edit of the original response that carried only text."""
    return [
        (r.at, r.json["content"])
        for r in world.fake.calls("PATCH", f"/{token}/messages/@original")
        if r.status == 200 and not r.files and "embeds" not in r.json
    ]


async def test_status_follows_the_queue_position_then_the_stage(world: World) -> None:
    world.fal.queue_step_seconds = 0.15  # well above the 0.05 s edit interval of the tests
    p = world.send(slash("imagine", prompt="a busy fox fault:queue"))
    job = await world.settled(p)
    shown = [text for _, text in status_edits(world, p["token"])]
    prompt = "a busy fox fault:queue"
    # fal's queue_position 3, 2, 1 (requests ahead) read as places #4, #3, #2
    queued = [texts.QUEUED.format(position=f" (#{n})", prompt=prompt) for n in (4, 3, 2)]
    generating, uploading = (
        texts.GENERATING.format(prompt=prompt),
        texts.UPLOADING.format(prompt=prompt),
    )
    # The runner says "generating" as it submits, then fal's queue positions come in.
    assert shown[0] in (texts.ACCEPTED.format(job_id=job.id, count=1, cost=2), generating)
    assert [text for text in shown if text in queued] == queued
    assert shown[shown.index(queued[-1]) + 1 :] == [generating, uploading]
    assert all(a != b for a, b in itertools.pairwise(shown))
    final = world.fake.calls("PATCH", f"/{p['token']}/messages/@original")[-1]
    assert final.files and final.json["embeds"][0]["title"] == f"Job {job.id}"


async def test_edits_are_spaced_by_the_interval_and_the_latest_text_wins(
    settings_for: Callable[..., Settings], fake: FakeDiscord, fal: FakeFal
) -> None:
    fal.queue_step_seconds, fal.inference_seconds = 0.1, 0.3  # lines change every 0.1 s
    async with running(settings_for(progress_interval=0.25), fake, fal) as world:
        p = world.send(slash("imagine", prompt="a hurried fox fault:queue"))
        await world.settled(p)
        edits = status_edits(world, p["token"])
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(edits)]
    print(f"\n{len(edits)} status edits, gaps {[round(g, 3) for g in gaps]} s")
    assert all(gap >= 0.24 for gap in gaps)
    assert 2 <= len(edits) < 6  # 6 distinct lines were reported in ~0.7 s; some were skipped
    shown = [text for _, text in edits]
    assert len(shown) == len(set(shown))  # a line is never sent twice
