"""The fake itself: fal-client 1.0.3 accepts everything it says, and it runs standalone."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import fal_client
import httpx
import pytest

from providers.fal import point_fal_client_at
from tests.fakes.fal_server import TEST_FAL_KEY, FakeFal, Fault, keep_fal_client_urls

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Key {TEST_FAL_KEY}"}


@pytest.fixture
async def pointed(
    fal: FakeFal, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[fal_client.AsyncClient]:
    keep_fal_client_urls(monkeypatch)
    point_fal_client_at(fal.queue_url, fal.rest_url, fal.cdn_url)
    client = fal_client.AsyncClient(key=TEST_FAL_KEY)
    yield client
    if "_client" in vars(client):  # fal-client caches an httpx client and never closes it
        await (await client._client).aclose()


async def test_fal_client_subscribe_runs_end_to_end(
    fal: FakeFal, pointed: fal_client.AsyncClient
) -> None:
    seen: list[object] = []
    output = await pointed.subscribe(
        "fal-ai/flux/schnell",
        {"prompt": "fox", "num_images": 2},
        with_logs=True,
        on_queue_update=seen.append,
    )
    assert len(output["images"]) == 2
    assert output["has_nsfw_concepts"] == [False, False]
    last = seen[-1]
    assert isinstance(last, fal_client.client.Completed)
    assert isinstance(last.logs, list)  # with_logs=True gets log lines
    # status, result and cancel URLs use owner/alias only, without the subpath
    assert {r.path.split("/requests/")[0] for r in fal.requests if "/requests/" in r.path} == {
        "/fal-ai/flux"
    }


async def test_fal_client_upload_returns_a_cdn_url(
    fal: FakeFal, pointed: fal_client.AsyncClient
) -> None:
    url = await pointed.upload(b"\x89PNG...", "image/png")
    assert url.startswith(f"{fal.url}/files/uploads/")
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).content == b"\x89PNG..."


async def test_status_stream_is_server_sent_events(fal: FakeFal) -> None:
    async with httpx.AsyncClient(headers=AUTH) as http:
        submit = (await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": "x"})).json()
        stream = await http.get(submit["status_url"] + "/stream")
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(b[6:]) for b in stream.text.split("\n\n") if b.startswith("data: ")]
    assert [e["status"] for e in events] == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    assert events[0]["queue_position"] == 0
    assert events[-1]["logs"] is None


async def test_queue_answers_need_the_key(fal: FakeFal) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": "x"})
    assert answer.status_code == 401
    assert fal.submissions == []


@pytest.mark.parametrize(
    ("prompt", "status"), [("fault:422 x", 422), ("fault:500", 500), ("fault:submit_429", 429)]
)
async def test_trigger_words_hit_the_first_submit_only(
    fal: FakeFal, prompt: str, status: int
) -> None:
    async with httpx.AsyncClient(headers=AUTH) as http:
        first = await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": prompt})
        second = await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": prompt})
    assert (first.status_code, second.status_code) == (status, 200)


async def test_scripted_faults_respect_endpoint_and_count(fal: FakeFal) -> None:
    fal.fail_next(Fault.SUBMIT_503, count=2, endpoint="fal-ai/flux-lora")
    async with httpx.AsyncClient(headers=AUTH) as http:
        other = await http.post(f"{fal.url}/fal-ai/flux/schnell", json={"prompt": "x"})
        codes = [
            (await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": "x"})).status_code
            for _ in range(3)
        ]
    assert other.status_code == 200
    assert codes == [503, 503, 200]


@pytest.mark.slow
async def test_runs_as_a_separate_process() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.fal_server",
        "--port",
        "0",
        "--inference-seconds",
        "0.01",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(headers=AUTH) as http:
            answer = await http.post(f"{url}/fal-ai/flux-lora", json={"prompt": "fault:422"})
        assert answer.status_code == 422
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_unknown_fault_words_are_plain_prompt_text(fal: FakeFal) -> None:
    async with httpx.AsyncClient(headers=AUTH) as http:
        answer = await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": "fault:lines"})
    assert answer.status_code == 200


async def test_submit_hang_then_heal(fal: FakeFal) -> None:
    fal.fail_next(Fault.SUBMIT_HANG)
    async with httpx.AsyncClient(headers=AUTH) as http:
        hanging = asyncio.create_task(
            http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": "x"})
        )
        await asyncio.sleep(0.2)
        assert not hanging.done()
        fal.heal()
        answer = await asyncio.wait_for(hanging, 5)
    assert answer.status_code == 503  # the hung request is let go; nothing was accepted
    assert fal.submissions == []


async def test_heal_clears_scripted_and_existing_faults(fal: FakeFal) -> None:
    fal.fail_next(Fault.IMAGE_HANG)
    fal.fail_next(Fault.NSFW, count=5)
    async with httpx.AsyncClient(headers=AUTH) as http:
        submit = (await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": "x"})).json()
        while (await http.get(submit["status_url"])).json()["status"] != "COMPLETED":
            await asyncio.sleep(0.02)
        image_url = (await http.get(submit["response_url"])).json()["images"][0]["url"]
        fal.heal()
        cdn = await asyncio.wait_for(http.get(image_url, headers={"Authorization": ""}), 5)
        assert cdn.status_code == 200  # (no fal key to the CDN: the run's secret scan)
        later = (await http.post(f"{fal.url}/fal-ai/flux-lora", json={"prompt": "y"})).json()
        while (await http.get(later["status_url"])).json()["status"] != "COMPLETED":
            await asyncio.sleep(0.02)
        result = (await http.get(later["response_url"])).json()
    assert result["has_nsfw_concepts"] == [False]
