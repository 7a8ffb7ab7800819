"""Every command is acknowledged (deferred) before any database or network work.

The fake checks, at the moment each callback arrives, that the job the interaction will
create does not exist yet: the defer went out before the core was called. Figures for a
burst of 100 commands are printed (timings are asserted only against Discord's 3 s).
"""

from __future__ import annotations

import statistics
import time

from tests.discord.conftest import World
from tests.discord.payloads import Person, slash

BURST = 100


async def test_a_burst_of_100_commands_is_deferred_before_any_database_work(
    world: World,
) -> None:
    existed_at_ack: list[int] = []

    async def job_exists_already(interaction_id: int) -> None:
        if await world.jobs.by_event(f"discord:{interaction_id}") is not None:
            existed_at_ack.append(interaction_id)

    world.fake.on_callback = job_exists_already
    people = [Person(800_000_000_000_000_000 + i, f"user{i}") for i in range(BURST)]
    light = ("balance", "history", "help", "cancel")
    payloads = [
        slash("imagine", who=p, prompt=f"fox number {i}")
        if i % 5 == 0
        else slash(light[i % 4], who=p)
        for i, p in enumerate(people)
    ]
    injected: dict[str, float] = {}
    for payload in payloads:
        injected[payload["id"]] = time.monotonic()
        world.send(payload)

    callbacks = await world.fake.wait_for(lambda r: r.path.endswith("/callback"), count=BURST)
    assert len(callbacks) == BURST
    assert all(c.status == 200 and c.json["type"] == 5 for c in callbacks)
    assert existed_at_ack == []

    delays = {c.path.split("/")[2]: c.at - injected[c.path.split("/")[2]] for c in callbacks}
    for payload in payloads:  # nothing else about an interaction before its defer
        token = payload["token"]
        await world.webhook_calls(payload, "PATCH")
        first = min(r.at for r in world.fake.requests if f"/{token}" in r.path)
        defer = next(r for r in callbacks if f"/{token}/" in r.path)
        assert first == defer.at
    for payload in payloads[::5]:
        await world.settled(payload, timeout=20)

    ms = sorted(1000 * d for d in delays.values())
    print(
        f"\ninjection → defer over {BURST} commands: median {statistics.median(ms):.1f} ms, "
        f"p95 {ms[int(0.95 * len(ms)) - 1]:.1f} ms, max {ms[-1]:.1f} ms"
    )
    assert ms[-1] < 3000  # Discord's limit; a sanity bound, not a benchmark
