"""Secrets (issue 5, item 6): the bot tokens and the fal key never appear in the logs, in any
request to fal (payload, URL, headers other than fal's own Authorization) or in any chat
message.

The proof is run-wide: tests/conftest.py sends every log record of every test, and the fake
servers send every request they receive, to the scan in tests/fakes/record_registry.py; a
secret outside its one legitimate place fails the whole run. This file adds:

- a direct run through every front end and the paths most likely to leak (errors carrying
  URLs, a Telegram download failing, fal failing, uploads of user images), asserted on its
  own captures — and that the scan really saw each source;
- planted leaks in every place, to show the scan finds each one, and leaves alone exactly
  the legitimate places (the Telegram token as the Bot API path prefix, fal's and
  Discord's own Authorization headers).
"""

from __future__ import annotations

import logging

import httpx
import pytest
from loguru import logger

from bot.core import texts
from records import JobState
from tests.discord.conftest import World
from tests.discord.payloads import slash
from tests.fakes.discord_server import BOT_TOKEN, FakeDiscord
from tests.fakes.fal_server import TEST_FAL_KEY, FakeFal
from tests.fakes.images import png_bytes
from tests.fakes.record_registry import REGISTRY, Scan
from tests.fakes.telegram_server import TOKEN, FakeTelegram
from tests.telegram.driver import ADMIN, Driver

SECRET_PART = TOKEN.partition(":")[2]


def assert_clean(scan: Scan, *sources: str) -> None:
    """Nothing leaked, and each source was really looked at."""
    assert scan.findings == [] and scan.leaks == 0
    for source in sources:
        assert scan.scanned[source] > 0, f"the scan never saw {source}: {dict(scan.scanned)}"


async def test_a_telegram_session_leaks_nothing(tg: Driver) -> None:
    with REGISTRY.watching() as scan:
        ann, admin = tg.fake.user(11), tg.fake.user(ADMIN, "Root")
        await tg.result(tg.fake.send(ann, "/imagine a fox --n 2")["message"])
        # image-to-image: the photo is fetched from Telegram (token in the file URL) and
        # must reach fal as bytes, never as that URL
        photo = tg.fake.photo_sizes(png_bytes(32, 32))
        await tg.result(tg.fake.send(ann, "make it winter", photo=photo)["message"])
        # a download link that died: the error is logged, with no URL in it
        lost = tg.fake.photo_sizes(png_bytes(24, 24))
        tg.fake.expired.add(lost[-1]["file_id"])
        tg.fake.send(ann, "make it spring", photo=lost)
        await tg.fake.wait_until(
            lambda: [m for m in tg.fake.chat(11) if m.get("text") == texts.TG_ERROR]
        )
        # fal failing (nginx's 502 page, errors with URLs) and a grant by an admin
        tg.fake.send(ann, "/imagine a bear fault:502*60")
        await tg.fake.wait_until(
            lambda: [m for m in tg.fake.chat(11) if m.get("text", "").startswith("❌")], timeout=10
        )
        await tg.answer(tg.fake.send(admin, "/grant 11 5 thanks"))
        await tg.idle()
    fal_traffic = [r for r in tg.fal.requests if r.method == "POST" and "image_url" in r.body]
    assert fal_traffic and all("/file/bot" not in r.body for r in fal_traffic)
    assert_clean(scan, "telegram", "fal", "loguru")


async def test_a_discord_session_leaks_nothing(world: World) -> None:
    with REGISTRY.watching() as scan:
        made = world.send(slash("imagine", prompt="a fox"))
        assert (await world.settled(made)).state is JobState.DELIVERED
        attachment = world.fake.add_attachment(png_bytes(32, 32), "cat.png", "image/png")
        edit = world.send(slash("edit", attachment=attachment, prompt="make it blue"))
        assert (await world.settled(edit)).state is JobState.DELIVERED
        world.fake.forget_token(made["token"])
        failed = world.send(slash("imagine", prompt="a bear fault:nsfw"))
        assert (await world.settled(failed)).state is JobState.FAILED
    assert world.fake.downloads  # the attachment came from Discord's CDN
    assert_clean(scan, "discord", "discord form", "fal", "loguru")


# --- the scan has teeth ---------------------------------------------------------------------


async def test_the_scan_finds_a_planted_leak_in_every_place_and_only_there(
    fal: FakeFal, telegram_fake: FakeTelegram, discord_fake: FakeDiscord
) -> None:
    tg_api = f"{telegram_fake.base_url}{TOKEN}"
    fal_key, bot_auth = {"Authorization": f"Key {TEST_FAL_KEY}"}, f"Bot {BOT_TOKEN}"
    with REGISTRY.watching(isolated=True) as scan:
        async with httpx.AsyncClient() as http:
            # the legitimate places: not findings
            await http.post(f"{tg_api}/getMe")
            await http.get(f"{telegram_fake.base_file_url}{TOKEN}/photos/F1")
            await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": "p"}, headers=fal_key)
            await http.get(f"{discord_fake.api_url}/users/@me", headers={"Authorization": bot_auth})
            assert scan.findings == []
            # each of these is one leak
            await http.post(
                f"{tg_api}/sendMessage", data={"chat_id": 1, "text": f"key {TEST_FAL_KEY}"}
            )
            await http.post(
                f"{tg_api}/sendPhoto",
                data={"chat_id": "1"},
                files={"photo": ("x.png", f"{SECRET_PART}".encode(), "image/png")},
            )
            await http.post(f"{tg_api}/getMe", params={"again": TOKEN})
            await http.post(
                f"{fal.url}/fal-ai/flux-lora",
                json={"prompt": f"a fox {BOT_TOKEN}"},
                headers=fal_key,
            )
            await http.get(f"{fal.url}/files/nothing.png", headers=fal_key)
            await http.get(
                f"{discord_fake.url}/attachments/1/x.png", headers={"Authorization": bot_auth}
            )
            await http.post(
                f"{discord_fake.api_url}/channels/1/messages",
                headers={"Authorization": bot_auth},
                files={"files[0]": ("a.png", TEST_FAL_KEY.encode(), "image/png")},
                data={"payload_json": "{}"},
            )
        logger.warning("connecting with {}", TEST_FAL_KEY)
        logging.getLogger("telegram.ext").warning("GET /bot%s/getMe failed", TOKEN)
    expected = [
        "the fal key in telegram POST /bot<secret>/sendMessage body",
        "a Telegram bot token's secret part in telegram POST /bot<secret>/sendPhoto form "
        "field photo",
        "a Telegram bot token in telegram POST /bot<secret>/getMe query",
        "a Telegram bot token's secret part in telegram POST /bot<secret>/getMe query",
        "a Discord bot token in fal POST /fal-ai/flux-lora body",
        "the fal key in fal GET /files/nothing.png header Authorization",
        "a Discord bot token in discord GET /attachments/1/x.png header Authorization",
        "the fal key in discord POST /api/v10/channels/1/messages form field files[0]",
        "the fal key in loguru record",
        "a Telegram bot token in logging record",
        "a Telegram bot token's secret part in logging record",
    ]
    assert len(scan.findings) == len(expected), scan.findings
    for finding, start in zip(scan.findings, expected, strict=True):
        assert finding.startswith(start), (finding, start)
        assert TEST_FAL_KEY not in finding and SECRET_PART not in finding  # masked
    # planted leaks stay out of the run's verdict
    assert not [f for f in REGISTRY.session.findings if "test_the_scan_finds" in f]


@pytest.mark.parametrize("secret", [TEST_FAL_KEY, TOKEN, BOT_TOKEN, SECRET_PART])
def test_every_test_secret_is_watched(secret: str) -> None:
    assert secret in REGISTRY.secrets
