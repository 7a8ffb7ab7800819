"""Input image checks and re-encoding; output image checks."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from providers.base import Failed
from providers.images import ImageProblem, ImageRejected, check_output_image, prepare_input_image
from tests.fakes import images

LIMITS = {"max_bytes": 2_000_000, "max_pixels": 4_000_000}


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (images.not_an_image_bytes, ImageProblem.NOT_AN_IMAGE),
        (images.bmp_bytes, ImageProblem.UNSUPPORTED_FORMAT),
        (images.animated_gif_bytes, ImageProblem.ANIMATED),
        (images.truncated_png_bytes, ImageProblem.TRUNCATED),
        (images.truncated_jpeg_bytes, ImageProblem.TRUNCATED),
        (images.decompression_bomb_png, ImageProblem.TOO_MANY_PIXELS),
    ],
)
def test_bad_images_are_refused_with_the_right_reason(
    make: Callable[[], bytes], reason: ImageProblem
) -> None:
    with pytest.raises(ImageRejected) as caught:
        prepare_input_image(make(), **LIMITS)
    assert caught.value.reason is reason


def test_too_many_bytes_reports_limit_and_size() -> None:
    data = images.png_bytes(64, 64)
    with pytest.raises(ImageRejected) as caught:
        prepare_input_image(data, max_bytes=50, max_pixels=10_000)
    assert caught.value.reason is ImageProblem.TOO_LARGE
    assert (caught.value.limit, caught.value.actual) == (50, len(data))


def test_too_many_pixels_reports_limit_and_count() -> None:
    with pytest.raises(ImageRejected) as caught:
        prepare_input_image(images.png_bytes(100, 50), max_bytes=10**6, max_pixels=4999)
    assert caught.value.reason is ImageProblem.TOO_MANY_PIXELS
    assert (caught.value.limit, caught.value.actual) == (4999, 5000)


def test_bomb_below_pillow_error_threshold_is_still_refused() -> None:
    # 10 000 × 10 000 only triggers Pillow's warning, which must not slip through.
    bomb = images.decompression_bomb_png(10_000, 10_000)
    with pytest.raises(ImageRejected) as caught:
        prepare_input_image(bomb, max_bytes=10**6, max_pixels=10**9)
    assert caught.value.reason is ImageProblem.TOO_MANY_PIXELS


def test_exif_is_dropped_and_orientation_applied() -> None:
    source = images.exif_jpeg_bytes(20, 10)
    assert Image.open(io.BytesIO(source)).getexif()  # the fixture really carries EXIF
    prepared = prepare_input_image(source, **LIMITS)
    result = Image.open(io.BytesIO(prepared.data))
    assert prepared.content_type == "image/jpeg"
    assert result.format == "JPEG"
    assert not result.getexif()
    assert "exif" not in result.info
    assert result.size == (10, 20)  # orientation 6 turned the 20×10 pixels upright


@pytest.mark.parametrize(
    ("make", "mode"),
    [(images.png_bytes, "RGB"), (images.webp_bytes, "RGBA"), (images.static_gif_bytes, "RGB")],
)
def test_other_formats_become_png(make: Callable[[], bytes], mode: str) -> None:
    prepared = prepare_input_image(make(), **LIMITS)
    result = Image.open(io.BytesIO(prepared.data))
    assert (prepared.content_type, result.format, result.mode) == ("image/png", "PNG", mode)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        prepare_input_image(data, **LIMITS)
    except ImageRejected as exc:
        assert isinstance(exc.reason, ImageProblem)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=len(images.jpeg_bytes(32, 32)) - 1))
def test_every_prefix_of_a_jpeg_is_refused_cleanly(cut: int) -> None:
    with pytest.raises(ImageRejected):
        prepare_input_image(images.jpeg_bytes(32, 32)[:cut], **LIMITS)


def test_output_check_accepts_images_and_refuses_junk() -> None:
    check_output_image(images.png_bytes())
    check_output_image(images.jpeg_bytes())
    for junk in (images.not_an_image_bytes(), images.truncated_png_bytes(), b""):
        with pytest.raises(Failed):
            check_output_image(junk)
