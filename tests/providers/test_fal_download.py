"""FalProvider.download: byte cap, deadline, retries, checks on what came back."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from providers.base import Failed
from providers.fal import FalProvider
from records import GeneratedImage, ImageRequest, ImageResult
from tests.fakes import images
from tests.fakes.fal_server import FakeFal, Fault, make_fal_provider
from tests.providers.conftest import FAST, Updates


async def _result(provider: FalProvider, updates: Updates) -> ImageResult:
    return await provider.wait(await provider.submit(ImageRequest(prompt="fox")), updates)


def _name(image: GeneratedImage) -> str:
    return image.url.split("/files/", 1)[1]


async def test_download_returns_the_image_bytes(
    fal: FakeFal, provider: FalProvider, updates: Updates
) -> None:
    result = await _result(provider, updates)
    data = await provider.download(result.images[0])
    assert Image.open(io.BytesIO(data)).format == "PNG"
    [get] = [r for r in fal.requests if r.path.startswith("/files/")]
    assert "Authorization" not in get.headers


async def test_image_404_is_failed_without_retrying(
    fal: FakeFal, provider: FalProvider, updates: Updates
) -> None:
    fal.fail_next(Fault.IMAGE_404)
    image = (await _result(provider, updates)).images[0]
    with pytest.raises(Failed) as caught:
        await provider.download(image)
    assert caught.value.status == 404
    assert fal.file_reads[_name(image)] == 1


async def test_a_cdn_hiccup_is_retried(
    fal: FakeFal, provider: FalProvider, updates: Updates
) -> None:
    fal.fail_next(Fault.IMAGE_FLAKY)
    image = (await _result(provider, updates)).images[0]
    assert await provider.download(image)
    assert fal.file_reads[_name(image)] == 2


async def test_a_hanging_cdn_fails_within_the_download_timeout(
    fal: FakeFal, updates: Updates
) -> None:
    async with make_fal_provider(fal, **FAST | {"download_timeout": 0.3}) as provider:
        fal.fail_next(Fault.IMAGE_HANG)
        image = (await _result(provider, updates)).images[0]
        started = time.monotonic()
        with pytest.raises(Failed, match="timed out"):
            await provider.download(image)
    assert time.monotonic() - started < 3


async def test_images_over_the_byte_cap_are_refused(fal: FakeFal, updates: Updates) -> None:
    async with make_fal_provider(fal, **FAST | {"max_download_bytes": 20}) as provider:
        image = (await _result(provider, updates)).images[0]
        with pytest.raises(Failed, match="larger than 20 bytes"):
            await provider.download(image)


@pytest.mark.parametrize("data", [images.not_an_image_bytes(), images.truncated_png_bytes()])
async def test_bytes_that_are_not_an_image_are_failed(
    fal: FakeFal, provider: FalProvider, data: bytes
) -> None:
    url = fal.add_file(data, "image/png")
    with pytest.raises(Failed, match="unusable image"):
        await provider.download(GeneratedImage(url=url, width=8, height=8))


async def test_only_http_urls_are_fetched(fal: FakeFal, provider: FalProvider) -> None:
    with pytest.raises(Failed, match="not http"):
        await provider.download(GeneratedImage(url="file:///etc/passwd", width=1, height=1))
    assert fal.requests == []
