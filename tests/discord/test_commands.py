"""Each user slash command with its options, end to end: payload → discord.py → core → fal."""

from __future__ import annotations

import asyncio

from bot.core import texts
from records import JobState
from tests.discord.conftest import LORAS, World
from tests.discord.payloads import ALICE, autocomplete, slash
from tests.fakes.images import png_bytes

EPHEMERAL = 64


def fields(message: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


async def test_imagine_turns_every_typed_option_into_the_fal_request(world: World) -> None:
    p = world.send(
        slash(
            "imagine",
            prompt="a red fox",
            negative="blur",
            size="square_hd",
            style="photo",
            lora="watercolor",
            lora_scale=0.5,
            seed=42,
            count=2,
            steps=20,
        )
    )
    callback = await world.first_answer(p)
    assert callback.json == {"type": 5}  # public "thinking…", before anything else
    job = await world.settled(p)

    sent = world.fal.submissions[-1]
    assert sent.endpoint == "fal-ai/flux-lora"
    assert sent.payload["prompt"] == "a photograph of a red fox, 35mm. Avoid: blur"
    assert sent.payload["image_size"] == "square_hd"
    assert (sent.payload["seed"], sent.payload["num_images"]) == (42, 2)
    assert sent.payload["num_inference_steps"] == 20
    assert sent.payload["loras"] == [{"path": LORAS["watercolor"]["path"], "scale": 0.5}]
    assert sent.payload["enable_safety_checker"] is True

    message = world.fake.original(p["token"])
    assert message is not None and message["content"] == ""
    names = [a["filename"] for a in message["attachments"]]
    assert names == [f"{job.id}-1.png", f"{job.id}-2.png"]
    assert fields(message) | {"Time": "-"} == {
        "Seed": "42",
        "Model": "fal-ai/flux-lora",
        "Time": "-",
        "Cost": "4 credits",
    }
    assert message["embeds"][0]["description"] == sent.payload["prompt"]
    assert await world.balance(ALICE) == (6, 0)  # 2 images × 2 credits, captured


async def test_flags_typed_inside_the_prompt_work_too(world: World) -> None:
    p = world.send(slash("imagine", prompt="a fox --ar 16:9 --seed 7 --n 2 --lora inkwash:1.5"))
    job = await world.settled(p)
    payload = world.fal.submissions[-1].payload
    assert payload["image_size"] == "landscape_16_9"
    assert (payload["seed"], payload["num_images"], payload["prompt"]) == (7, 2, "a fox")
    assert payload["loras"] == [{"path": LORAS["inkwash"]["path"], "scale": 1.5}]
    assert job.state is JobState.DELIVERED


async def test_edit_sends_the_attachment_to_fal_with_strength(world: World) -> None:
    picture = world.fake.add_attachment(png_bytes(64, 48), "cat.png", "image/png")
    p = world.send(
        slash(
            "edit",
            attachment=picture,
            prompt="as a watercolour",
            strength=0.4,
            seed=3,
            lora="watercolor",
        )
    )
    assert (await world.first_answer(p)).json == {"type": 5}
    job = await world.settled(p)

    sent = world.fal.submissions[-1]
    assert sent.endpoint == "fal-ai/flux-general/image-to-image"
    assert (sent.payload["strength"], sent.payload["seed"]) == (0.4, 3)
    assert sent.payload["prompt"] == "as a watercolour"
    assert sent.payload["image_url"].startswith(world.fal.url)  # uploaded to fal storage
    assert len(world.fal.uploads) == 1
    assert job.state is JobState.DELIVERED
    assert await world.balance(ALICE) == (7, 0)  # image-to-image costs 3


async def test_balance_history_and_help_answer_privately(world: World) -> None:
    balance = world.send(slash("balance"))
    assert (await world.first_answer(balance)).json == {"type": 5, "data": {"flags": EPHEMERAL}}
    edit = (await world.webhook_calls(balance, "PATCH"))[0]
    assert edit.json["content"].startswith(texts.BALANCE.format(available=10, held=""))

    made = world.send(slash("imagine", prompt="a lighthouse"))
    job = await world.settled(made)
    history = world.send(slash("history"))
    assert (await world.first_answer(history)).json["data"]["flags"] == EPHEMERAL
    text = (await world.webhook_calls(history, "PATCH"))[0].json["content"]
    assert job.id in text and "a lighthouse" in text

    shown = world.send(slash("help"))
    assert (await world.first_answer(shown)).json["data"]["flags"] == EPHEMERAL
    text = (await world.webhook_calls(shown, "PATCH"))[0].json["content"]
    assert "/imagine" in text and "watercolor" in text and "photo" in text
    assert text.endswith(texts.DISCORD_HELP_EXTRA)


async def test_cancel_stops_a_running_job_and_returns_the_credits(world: World) -> None:
    world.fal.slow_seconds = 30.0
    p = world.send(slash("imagine", prompt="a slow fox fault:slow"))
    await world.first_answer(p)
    for _ in range(100):
        job = await world.job_for(p)
        if job is not None and job.state is JobState.SUBMITTED:
            break
        await asyncio.sleep(0.02)
    assert job is not None and await world.balance(ALICE) == (8, 2)

    cancel = world.send(slash("cancel", job=job.id))
    assert (await world.first_answer(cancel)).json["data"]["flags"] == EPHEMERAL
    text = (await world.webhook_calls(cancel, "PATCH"))[0].json["content"]
    assert text == texts.CANCELLED_OK.format(job_id=job.id, cost=2)
    assert await world.balance(ALICE) == (10, 0)
    assert world.fal.cancels  # fal was asked to drop it

    again = world.send(slash("cancel"))
    await world.first_answer(again)
    text = (await world.webhook_calls(again, "PATCH"))[0].json["content"]
    assert text == texts.NOTHING_TO_CANCEL


async def test_lora_autocomplete_offers_the_configured_names(world: World) -> None:
    p = world.send(autocomplete("imagine", "lora", "WAT"))
    callback = await world.first_answer(p)
    assert callback.json == {
        "type": 8,
        "data": {"choices": [{"name": "watercolor", "value": "watercolor"}]},
    }
    everything = world.send(autocomplete("edit", "lora", ""))
    names = [c["name"] for c in (await world.first_answer(everything)).json["data"]["choices"]]
    assert names == ["inkwash", "watercolor"]
