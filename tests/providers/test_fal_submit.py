"""FalProvider.submit against FakeFal with the real fal_client: payloads, errors, fallback."""

from __future__ import annotations

import base64
import time

import fal_client.client
import pytest

from providers.base import Failed, Rejected, Unavailable
from providers.fal import FalOptions, FalProvider, point_fal_client_at
from providers.images import prepare_input_image
from records import ImageRequest, InputImage, JobKind, LoraWeight
from tests.fakes import images
from tests.fakes.fal_server import (
    TEST_FAL_KEY,
    FakeFal,
    Fault,
    keep_fal_client_urls,
    make_fal_provider,
)
from tests.providers.conftest import FAST, Updates

LORA = LoraWeight("https://huggingface.co/acme/style/resolve/main/style.safetensors", 0.75)
I2I = "fal-ai/flux-general/image-to-image"


def _posts(fal: FakeFal, endpoint: str) -> int:
    return sum(1 for r in fal.requests if r.method == "POST" and r.path == f"/{endpoint}")


def _photo() -> InputImage:
    return prepare_input_image(images.exif_jpeg_bytes(), max_bytes=10**6, max_pixels=10**6)


async def test_text_to_image_with_loras(
    fal: FakeFal, provider: FalProvider, updates: Updates
) -> None:
    request = ImageRequest(prompt="a red fox at dawn", steps=30, num_images=2, loras=(LORA,))
    submission = await provider.submit(request)
    result = await provider.wait(submission, updates)

    assert submission.endpoint == "fal-ai/flux-lora"
    [sent] = fal.submissions
    assert sent.request_id == submission.request_id
    assert sent.payload["loras"] == [{"path": LORA.path, "scale": 0.75}]
    assert sent.payload["image_size"] == "landscape_4_3"
    assert (sent.payload["num_inference_steps"], sent.payload["num_images"]) == (30, 2)
    assert "seed" not in sent.payload  # None is left out: fal picks one
    assert len(result.images) == 2
    assert (result.images[0].width, result.images[0].height) == (1024, 768)
    assert not any(image.nsfw for image in result.images)


async def test_custom_width_and_height(
    fal: FakeFal, provider: FalProvider, updates: Updates
) -> None:
    submission = await provider.submit(ImageRequest(prompt="tall", image_size=(640, 1536), seed=9))
    result = await provider.wait(submission, updates)
    assert fal.submissions[0].payload["image_size"] == {"width": 640, "height": 1536}
    assert fal.submissions[0].payload["seed"] == 9
    assert (result.images[0].width, result.images[0].height, result.seed) == (640, 1536, 9)


async def test_image_to_image_uploads_the_bytes_to_fal_storage(
    fal: FakeFal, provider: FalProvider, updates: Updates
) -> None:
    photo = _photo()
    request = ImageRequest(prompt="as a painting", kind=JobKind.IMAGE, strength=0.6, image=photo)
    submission = await provider.submit(request)
    await provider.wait(submission, updates)

    assert submission.endpoint == I2I
    payload = fal.submissions[0].payload
    assert payload["strength"] == 0.6
    assert payload["image_url"].startswith(f"{fal.cdn_url}/files/uploads/")
    assert "api.telegram.org" not in payload["image_url"]
    assert TEST_FAL_KEY not in payload["image_url"]
    assert fal.uploads == [(photo.data, "image/jpeg")]
    upload = next(r for r in fal.requests if r.path == "/files/upload")
    assert upload.headers["Authorization"].startswith("Bearer ")  # CDN token, not the key


async def test_image_to_image_as_data_uri(fal: FakeFal, updates: Updates) -> None:
    photo = _photo()
    async with make_fal_provider(fal, **FAST, upload_images=False) as provider:
        request = ImageRequest(prompt="as a painting", kind=JobKind.IMAGE, image=photo)
        await provider.wait(await provider.submit(request), updates)
    url = fal.submissions[0].payload["image_url"]
    prefix = "data:image/jpeg;base64,"
    assert url.startswith(prefix)
    assert base64.b64decode(url[len(prefix) :]) == photo.data
    assert fal.uploads == []


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (ImageRequest(prompt="p", steps=60), "num_inference_steps must be between 1 and 50"),
        (ImageRequest(prompt="p", num_images=5), "num_images must be between 1 and 4"),
        (ImageRequest(prompt="p", guidance=40), "guidance_scale must be between 0 and 35"),
        (ImageRequest(prompt="p", image_size=(0, 600)), "image_size.width must be between"),
        (ImageRequest(prompt="p", image_size="huge"), "image_size: Input should be"),
        (ImageRequest(prompt="p", loras=(LoraWeight("x", 5),)), "loras.0.scale must be"),
        (ImageRequest(prompt=""), "prompt:"),
        (
            ImageRequest(prompt="p", kind=JobKind.IMAGE, strength=0, image=InputImage(b"x", "a")),
            "strength must be between 0.01 and 1 (got 0)",
        ),
        (
            ImageRequest(prompt="p", kind=JobKind.IMAGE, num_images=11, image=InputImage(b"", "")),
            "num_images must be between 1 and 10",
        ),
        (ImageRequest(prompt="p", kind=JobKind.IMAGE), "needs an input image"),
    ],
)
async def test_invalid_requests_are_rejected_before_any_network_call(
    fal: FakeFal, provider: FalProvider, request_: ImageRequest, words: str
) -> None:
    with pytest.raises(Rejected) as caught:
        await provider.submit(request_)
    assert words in caught.value.detail
    assert fal.requests == []


async def test_fal_422_is_rejected_in_plain_words_without_fallback(
    fal: FakeFal, provider: FalProvider
) -> None:
    fal.fail_next(Fault.SUBMIT_422)
    with pytest.raises(Rejected) as caught:
        await provider.submit(ImageRequest(prompt="p"))
    assert caught.value.detail == "num_images: Input should be less than or equal to 4"
    assert caught.value.status == 422
    assert _posts(fal, "fal-ai/flux-lora") == 1
    assert _posts(fal, "fal-ai/flux/schnell") == 0


async def test_fal_500_on_submit_is_retried_once_then_succeeds(
    fal: FakeFal, provider: FalProvider
) -> None:
    fal.fail_next(Fault.SUBMIT_500)
    submission = await provider.submit(ImageRequest(prompt="p"))
    assert submission.endpoint == "fal-ai/flux-lora"
    assert _posts(fal, "fal-ai/flux-lora") == 2
    assert len(fal.submissions) == 1


async def test_nginx_502_is_left_to_fal_client_retries(fal: FakeFal, provider: FalProvider) -> None:
    fal.fail_next(Fault.SUBMIT_502_PROXY)
    submission = await provider.submit(ImageRequest(prompt="p"))
    assert submission.endpoint == "fal-ai/flux-lora"
    assert _posts(fal, "fal-ai/flux-lora") == 2


async def test_primary_503_falls_back_to_schnell(fal: FakeFal, provider: FalProvider) -> None:
    fal.fail_next(Fault.SUBMIT_503, count=100, endpoint="fal-ai/flux-lora")
    request = ImageRequest(prompt="p", steps=28, guidance=3.5, loras=(LORA,))
    submission = await provider.submit(request)

    assert submission.endpoint == "fal-ai/flux/schnell"
    assert _posts(fal, "fal-ai/flux-lora") == 3  # submit_attempts
    [sent] = fal.submissions
    assert sent.endpoint == "fal-ai/flux/schnell"
    assert "loras" not in sent.payload
    assert sent.payload["num_inference_steps"] <= 12


async def test_fallback_by_trigger_word_in_the_prompt(fal: FakeFal, provider: FalProvider) -> None:
    submission = await provider.submit(ImageRequest(prompt="fault:submit_503*3 a fox"))
    assert submission.endpoint == "fal-ai/flux/schnell"


async def test_image_jobs_have_no_fallback(fal: FakeFal, provider: FalProvider) -> None:
    fal.fail_next(Fault.SUBMIT_503, count=100)
    request = ImageRequest(prompt="p", kind=JobKind.IMAGE, image=_photo())
    with pytest.raises(Unavailable):
        await provider.submit(request)
    assert _posts(fal, I2I) == 3
    assert _posts(fal, "fal-ai/flux/schnell") == 0


async def test_429_storm_ends_unavailable_without_stacking_retries(
    fal: FakeFal, provider: FalProvider
) -> None:
    fal.fail_next(Fault.SUBMIT_429, count=10_000)
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        await provider.submit(ImageRequest(prompt="p"))
    assert caught.value.status == 429
    assert time.monotonic() - started < 5
    # fal-client's own MAX_ATTEMPTS per endpoint; our layer adds no further tries on top.
    attempts = fal_client.client.MAX_ATTEMPTS
    assert _posts(fal, "fal-ai/flux-lora") == attempts
    assert _posts(fal, "fal-ai/flux/schnell") == attempts
    assert fal.submissions == []


async def test_no_new_attempt_once_the_retry_budget_is_spent(fal: FakeFal) -> None:
    fal.fail_next(Fault.SUBMIT_503, count=100)
    async with make_fal_provider(fal, **FAST | {"submit_retry_seconds": 0.0}) as provider:
        with pytest.raises(Unavailable):
            await provider.submit(ImageRequest(prompt="p"))
    assert _posts(fal, "fal-ai/flux-lora") == 1
    assert _posts(fal, "fal-ai/flux/schnell") == 0


async def test_wrong_key_fails_without_retry_or_fallback(updates: Updates) -> None:
    async with FakeFal(key="the-real-key") as fal, make_fal_provider(fal, **FAST) as provider:
        with pytest.raises(Failed) as caught:
            await provider.submit(ImageRequest(prompt="p"))
        assert caught.value.status == 401
        assert len(fal.requests) == 1


async def test_failure_is_logged_once_with_context_and_no_key(
    fal: FakeFal, provider: FalProvider, logs: list[str]
) -> None:
    fal.fail_next(Fault.SUBMIT_422)
    with pytest.raises(Rejected):
        await provider.submit(ImageRequest(prompt="p"))
    failures = [line for line in logs if "failed" in line]
    assert len(failures) == 1
    assert "fal-ai/flux-lora" in failures[0]
    assert "status=422" in failures[0]
    assert "num_images: Input should be less than or equal to 4" in failures[0]
    assert not any(TEST_FAL_KEY in line for line in logs)


async def test_the_key_travels_only_in_authorization_headers(
    fal: FakeFal, provider: FalProvider, updates: Updates, logs: list[str]
) -> None:
    text = await provider.submit(ImageRequest(prompt="p", loras=(LORA,)))
    result = await provider.wait(text, updates)
    await provider.download(result.images[0])
    image = ImageRequest(prompt="p", kind=JobKind.IMAGE, image=_photo())
    await provider.wait(await provider.submit(image), updates)

    assert len(fal.requests) >= 8
    for seen in fal.requests:
        assert TEST_FAL_KEY not in seen.path + seen.query + seen.body
        others = {k: v for k, v in seen.headers.items() if k.lower() != "authorization"}
        assert TEST_FAL_KEY not in repr(others)
        if seen.path.startswith("/files/"):  # CDN: never the fal key
            assert TEST_FAL_KEY not in seen.headers.get("Authorization", "")
    assert not any(TEST_FAL_KEY in line for line in logs)
    assert TEST_FAL_KEY not in repr(provider)


def test_options_refuse_endpoints_without_a_schema() -> None:
    with pytest.raises(ValueError, match="fal-ai/unknown"):
        FalOptions(fallbacks=("fal-ai/unknown",))
    with pytest.raises(ValueError, match="poll_interval"):
        FalOptions(poll_interval=0)


def test_point_fal_client_at_sets_the_module_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    keep_fal_client_urls(monkeypatch)
    point_fal_client_at("http://proxy:1/queue", "http://proxy:1/rest/", "http://proxy:1/cdn")
    assert fal_client.client.QUEUE_URL_FORMAT == "http://proxy:1/queue/"
    assert fal_client.client.REST_URL == "http://proxy:1/rest"
    assert fal_client.client.CDN_URL == "http://proxy:1/cdn"
