"""Getting results to the user when Discord says no: expired or unknown interaction tokens,
uploads too large, rate limits, server errors, a deleted channel, a user who left."""

from __future__ import annotations

import io
import time
from typing import Any

from PIL import Image

from bot.core import texts
from bot.core.ports import DeliveredImage
from records import JobState
from tests.discord.conftest import World, user_of
from tests.discord.payloads import ALICE, CHANNEL, slash

ORIGINAL = "/messages/@original"


def noise_png(width: int = 1024, height: int = 768) -> bytes:
    """A photo-like image that compresses badly (about 2 MB as PNG)."""
    out = io.BytesIO()
    Image.effect_noise((width, height), 60).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def mention_message(world: World) -> dict[str, Any]:
    (message,) = [m for m in world.fake.channel_messages(CHANNEL) if "webhook_id" not in m]
    assert message["content"] == f"<@{ALICE.id}>"
    return message


async def test_unknown_webhook_falls_back_to_the_channel(world: World) -> None:
    p = slash("imagine", prompt="a fox", count=2)
    world.fake.forget_token(p["token"])  # 404 Unknown Webhook on every edit
    job = await world.settled(world.send(p))
    assert job.state is JobState.DELIVERED
    message = mention_message(world)
    assert len(message["attachments"]) == 2 and len(message["components"]) == 2
    assert message["embeds"][0]["title"] == f"Job {job.id}"
    edits = world.fake.calls("PATCH", p["token"])
    assert edits and {r.status for r in edits} == {404}  # tried once, then left alone
    assert len(edits) == 1


# An expired token (401) and a 5xx on the upload are rows of the chat-fault table in
# tests/reliability/test_faults_chat.py (delivered once, or failed with credits back).


async def test_a_result_after_the_token_lifetime_goes_to_the_channel_directly(
    world: World,
) -> None:
    p = world.send(slash("imagine", prompt="a patient fox", at=time.time() - 15 * 60))
    job = await world.settled(p)
    assert job.state is JobState.DELIVERED
    assert world.fake.calls(None, p["token"] + "/messages") == []  # never used the old token
    assert len(mention_message(world)["attachments"]) == 1


async def test_images_over_the_interaction_limit_are_linked(world: World) -> None:
    p = world.send(slash("imagine", prompt="a fox", count=2, limit=60))  # FakeFal PNGs: ~95 B
    job = await world.settled(p)
    message = world.fake.original(p["token"])
    assert message is not None and message["attachments"] == []
    links = message["embeds"][0]["fields"][-1]
    assert links["name"] == texts.DISCORD_LINKS
    assert job.result is not None
    assert links["value"] == "\n".join(
        texts.DISCORD_LINK.format(number=i + 1, url=image.url)
        for i, image in enumerate(job.result.images)
    )


async def test_an_image_over_the_interaction_limit_is_re_encoded_to_fit(world: World) -> None:
    p = world.send(slash("imagine", prompt="a fox", limit=300_000))
    job = await world.settled(p)
    big = DeliveredImage(
        index=0, data=noise_png(), width=1024, height=768, content_type="image/png"
    )
    await world.front.notifier.delivered(job, [big])
    upload = world.fake.calls("PATCH", p["token"] + ORIGINAL)[-1]
    (file,) = upload.files
    assert file.filename == f"{job.id}-1.jpg" and len(file.data) <= 300_000
    assert file.data[:2] == b"\xff\xd8"  # JPEG


async def test_413_makes_the_upload_smaller_until_it_passes(world: World) -> None:
    p = world.send(slash("imagine", prompt="a fox"))
    job = await world.settled(p)
    world.fake.upload_limit = 250_000  # Discord accepts less than the interaction said
    big = DeliveredImage(
        index=0, data=noise_png(), width=1024, height=768, content_type="image/png"
    )
    before = len(world.fake.requests)
    await world.front.notifier.delivered(job, [big])
    tries = [r for r in world.fake.requests[before:] if r.files]
    statuses = [r.status for r in tries]
    assert statuses[-1] == 200 and set(statuses[1:-1]) <= {413} and 413 in statuses
    sizes = [len(r.files[0].data) for r in tries]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] <= 250_000
    print(f"\nupload sizes tried after 413s: {sizes}")


async def test_413_even_for_small_files_ends_with_links(world: World) -> None:
    p = world.send(slash("imagine", prompt="a fox"))
    job = await world.settled(p)
    world.fake.upload_limit = 10  # nothing fits
    image = DeliveredImage(
        index=0, data=noise_png(64, 64), width=64, height=64, content_type="image/png"
    )
    await world.front.notifier.delivered(job, [image])
    last = world.fake.calls("PATCH", p["token"] + ORIGINAL)[-1]
    assert last.status == 200 and last.files == []
    assert last.json["embeds"][0]["fields"][-1]["name"] == texts.DISCORD_LINKS


async def test_rate_limits_are_left_to_discord_py(world: World) -> None:
    p = slash("imagine", prompt="a fox")
    world.fake.fail(
        "PATCH", ORIGINAL, 429, 0, "You are being rate limited.", retry_after=0.05, with_files=True
    )
    job = await world.settled(world.send(p))
    uploads = [r for r in world.fake.calls("PATCH", p["token"]) if r.files]
    assert [r.status for r in uploads] == [429, 200]
    assert uploads[1].at - uploads[0].at >= 0.05 and job.state is JobState.DELIVERED

    late = slash("imagine", prompt="another fox")
    world.fake.forget_token(late["token"])
    world.fake.fail("POST", rf"/channels/{CHANNEL}/messages", 429, 0, "Slow down", retry_after=0.05)
    await world.settled(world.send(late))
    assert [r.status for r in world.fake.calls("POST", f"/channels/{CHANNEL}/")] == [429, 200]


async def test_a_deleted_channel_sends_the_result_to_the_users_dms(world: World) -> None:
    p = slash("imagine", prompt="a fox")
    world.fake.forget_token(p["token"])
    world.fake.delete_channel(CHANNEL)
    job = await world.settled(world.send(p))
    assert job.state is JobState.DELIVERED
    (opened,) = world.fake.calls("POST", "/users/@me/channels")
    assert opened.json == {"recipient_id": ALICE.id}
    dm = world.fake.calls("POST", r"/channels/\d+/messages")[-1]
    assert dm.status == 200 and len(dm.files) == 1 and str(CHANNEL) not in dm.path


async def test_nobody_left_to_tell_releases_the_credits(world: World) -> None:
    p = slash("imagine", prompt="a fox")
    world.fake.forget_token(p["token"])
    world.fake.delete_channel(CHANNEL)
    world.fake.user_left(ALICE.id)
    job = await world.settled(world.send(p))
    assert job.state is JobState.FAILED
    assert await world.balance(ALICE) == (10, 0)
    kinds = [e.kind for e in await world.ledger.entries(user_of(ALICE))]
    assert kinds == ["release", "hold", "grant"]
    assert [r.status for r in world.fake.calls("POST", r"/channels/\d+/messages")] == [404, 403]


async def test_a_failed_job_says_so_where_the_result_would_have_been(world: World) -> None:
    p = world.send(slash("imagine", prompt="a fox fault:no_images"))
    job = await world.settled(p)
    assert job.state is JobState.FAILED
    await world.fake.wait_for(
        lambda r: isinstance(r.json, dict) and "failed" in str(r.json.get("content")), timeout=2
    )
    message = world.fake.original(p["token"])
    assert message is not None
    assert message["content"] == texts.FAILED_PREFIX.format(
        job_id=job.id, reason=texts.FAIL_NO_RESULT, cost=2
    )
    assert message["embeds"] == [] and message["components"] == []
    assert await world.balance(ALICE) == (10, 0)
