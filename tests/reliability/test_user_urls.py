"""Downloads only from platform file APIs (issue 5, item 9): the bot never fetches a URL a
user typed.

A tiny HTTP server on 127.0.0.1 counts every hit. Its URLs go into prompts, photo captions,
/edit text, flag values and Discord options, on the console, Telegram and Discord. Then:
the server was never hit; fal saw each URL only as prompt text (never as ``image_url``, a
LoRA path or any other field); the images the bot did fetch came from the platforms' own
file APIs (Telegram ``getFile`` + file route, Discord attachments); and the input image sent
to fal is the bot's own upload or a data URI.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.core import texts
from records import JobState
from tests.discord.conftest import World
from tests.discord.payloads import slash
from tests.fakes.fal_server import FakeFal
from tests.fakes.images import png_bytes
from tests.harness import core_stack
from tests.telegram.driver import Driver


class Bait:
    """An HTTP server that should never be called: every hit is counted."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Bait:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._hit)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _hit(self, request: web.Request) -> web.Response:
        self.hits.append(f"{request.method} {request.path_qs}")
        return web.Response(body=png_bytes(), content_type="image/png")


@pytest.fixture
async def bait() -> AsyncIterator[Bait]:
    async with Bait() as server:
        yield server


def only_as_prompt_text(fal: FakeFal, bait: Bait, expected_prompts: int) -> None:
    """The bait URLs reached fal inside prompts, nowhere else; input images are ours."""
    with_url = [s for s in fal.submissions if bait.url in json.dumps(s.payload)]
    assert len(with_url) == expected_prompts
    for submission in fal.submissions:
        payload = dict(submission.payload)
        payload.pop("prompt")
        assert bait.url not in json.dumps(payload), submission
        image_url = str(payload.get("image_url", ""))
        assert image_url.startswith((f"{fal.url}/files/", "data:image/")) or not image_url
    outside_submits = [r for r in fal.requests if r.method != "POST" or "/files/" in r.path]
    assert not [r for r in outside_submits if bait.url in r.path + r.query + r.body]


async def test_console_never_fetches_a_typed_url(tmp_path: Path, fal: FakeFal, bait: Bait) -> None:
    url = bait.url
    async with core_stack(tmp_path, fal, per_user=5, initial=20) as core:
        assert (await core.say(f"/imagine a fox like {url}/fox.png")).ok
        assert (await core.say(f"{url}/just-a-link.jpg")).ok  # plain text is a prompt
        edit = await core.say(f"/edit make it look like {url}/ref.png", image=png_bytes())
        assert edit.ok, edit.text
        no_image = await core.say(f"/edit {url}/photo.png")
        assert no_image.text == texts.EDIT_NEEDS_IMAGE
        lora = await core.say(f"/imagine a fox --lora {url}/evil.safetensors")
        assert lora.text.startswith("Unknown LoRA") and not lora.ok
        await core.idle()
    assert bait.hits == []
    only_as_prompt_text(fal, bait, expected_prompts=3)


async def test_telegram_never_fetches_a_typed_url(tg: Driver, bait: Bait) -> None:
    url, fake = bait.url, tg.fake
    ann = fake.user(11)
    linked = f"a fox like {url}/fox.png"
    entity = {"type": "url", "offset": linked.index(url), "length": len(url) + 8}
    message = fake.message(ann, linked)
    message["entities"] = [entity]  # Telegram marks the link; a client would preview it
    await tg.result(fake.push({"message": message})["message"])
    photo = fake.photo_sizes(png_bytes(32, 32))
    shown = await tg.result(fake.send(ann, f"/edit like {url}/ref.png", photo=photo)["message"])
    replied = fake.send(ann, f"/edit {url}/other.png", reply_to=shown)
    await tg.result(replied["message"])
    refused = await tg.answer(fake.send(ann, f"/imagine a fox --lora {url}/x.safetensors"))
    assert refused["text"].startswith("Unknown LoRA")
    await tg.idle()
    assert bait.hits == []
    assert [j.state for j in await tg.jobs_of(11)] == [JobState.DELIVERED] * 3
    assert set(fake.downloads) <= set(fake.files)  # only files Telegram holds, by file id
    assert fake.downloads and fake.calls_of("getFile")
    only_as_prompt_text(tg.fal, bait, expected_prompts=3)


async def test_discord_never_fetches_a_typed_url(world: World, bait: Bait) -> None:
    url = bait.url
    made = world.send(slash("imagine", prompt=f"a fox like {url}/fox.png"))
    assert (await world.settled(made)).state is JobState.DELIVERED
    attachment = world.fake.add_attachment(png_bytes(32, 32), "cat.png", "image/png")
    edit = world.send(slash("edit", attachment=attachment, prompt=f"like {url}/ref.png"))
    assert (await world.settled(edit)).state is JobState.DELIVERED
    typed: list[dict[str, Any]] = [{"lora": f"{url}/x.safetensors"}, {"style": f"{url}/s.json"}]
    for options in typed:
        refused = world.send(slash("imagine", prompt="a fox", **options))
        first = await world.first_answer(refused)
        assert first.json["type"] == 4 and first.json["data"]["flags"] == 64
        assert await world.job_for(refused) is None
    await world.idle()
    assert bait.hits == []
    assert world.fake.downloads == [f"/attachments/{attachment['id']}/cat.png"]
    only_as_prompt_text(world.fal, bait, expected_prompts=2)
