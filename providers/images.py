"""Checks on image bytes: users' input images before they go to fal, and fal's outputs.

``prepare_input_image`` refuses anything that is not a plain, complete, single-frame JPEG,
PNG, WEBP or GIF within the byte and pixel limits, then re-encodes it (EXIF and other
metadata dropped, EXIF orientation applied) as JPEG (JPEG sources) or PNG (the rest).
Pillow's decompression-bomb guard stays on (``MAX_IMAGE_PIXELS`` is never touched): its
error and its warning both become a ``too_many_pixels`` refusal.

Errors: ``ImageRejected(reason: ImageProblem, limit, actual)`` for input images (the core
maps the reason to user text); ``base.Failed`` when a fal output is not a decodable image.
Both functions are synchronous and CPU-bound; run them in a thread for large images.
"""

from __future__ import annotations

import io
import warnings
import zlib
from enum import StrEnum

from PIL import Image, ImageOps, UnidentifiedImageError

from providers.base import Failed
from records import InputImage

_ACCEPTED = ("JPEG", "PNG", "WEBP", "GIF")
_OUTPUT_FORMATS = ("JPEG", "PNG", "WEBP")
#: Magic numbers of image formats we recognise but refuse (so the user hears "wrong format").
_OTHER_IMAGE_MAGIC = (
    b"BM",  # BMP
    b"II*\x00",  # TIFF
    b"MM\x00*",  # TIFF
    b"\x00\x00\x01\x00",  # ICO
    b"8BPS",  # PSD
    b"%!PS",  # EPS
    b"\xff\x0a",  # JPEG XL
    b"\x00\x00\x00\x0cJXL ",  # JPEG XL container
)
_ISO_BMFF_BRANDS = (b"heic", b"heix", b"mif1", b"avif", b"avis")
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, zlib.error)
_JPEG_QUALITY = 95


class ImageProblem(StrEnum):
    """Why an input image was refused."""

    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TOO_LARGE = "too_large"
    TOO_MANY_PIXELS = "too_many_pixels"
    ANIMATED = "animated"
    TRUNCATED = "truncated"


class ImageRejected(Exception):
    """An input image was refused; ``limit``/``actual`` are bytes or pixels when relevant."""

    def __init__(
        self, reason: ImageProblem, *, limit: int | None = None, actual: int | None = None
    ) -> None:
        super().__init__(f"{reason} (limit={limit}, actual={actual})")
        self.reason = reason
        self.limit = limit
        self.actual = actual


def prepare_input_image(data: bytes, *, max_bytes: int, max_pixels: int) -> InputImage:
    """Check a user's image and re-encode it without metadata; raises ``ImageRejected``."""
    if len(data) > max_bytes:
        raise ImageRejected(ImageProblem.TOO_LARGE, limit=max_bytes, actual=len(data))
    image = _open(data, _ACCEPTED, max_pixels=max_pixels)
    pixels = image.width * image.height
    if pixels > max_pixels:
        raise ImageRejected(ImageProblem.TOO_MANY_PIXELS, limit=max_pixels, actual=pixels)
    if getattr(image, "is_animated", False):
        raise ImageRejected(ImageProblem.ANIMATED)
    _load(image, max_pixels=max_pixels)
    return _reencode(image)


def check_output_image(data: bytes) -> None:
    """Raise ``Failed`` unless ``data`` is a complete JPEG, PNG or WEBP image."""
    try:
        image = _open(data, _OUTPUT_FORMATS)
        _load(image)
    except ImageRejected as exc:
        raise Failed(f"fal returned an unusable image ({exc.reason})") from exc


def _open(data: bytes, formats: tuple[str, ...], *, max_pixels: int | None = None) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=formats)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(ImageProblem.TOO_MANY_PIXELS, limit=max_pixels) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected(_unidentified(data)) from exc
        except _DECODE_ERRORS as exc:
            raise ImageRejected(ImageProblem.TRUNCATED) from exc


def _unidentified(data: bytes) -> ImageProblem:
    head = data[:16]
    if head.startswith(_OTHER_IMAGE_MAGIC) or head[8:12] in _ISO_BMFF_BRANDS:
        return ImageProblem.UNSUPPORTED_FORMAT
    return ImageProblem.NOT_AN_IMAGE


def _load(image: Image.Image, *, max_pixels: int | None = None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(ImageProblem.TOO_MANY_PIXELS, limit=max_pixels) from exc
        except _DECODE_ERRORS as exc:
            raise ImageRejected(ImageProblem.TRUNCATED) from exc


def _reencode(image: Image.Image) -> InputImage:
    source_format = image.format
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if source_format == "JPEG":
        upright.convert("RGB").save(out, format="JPEG", quality=_JPEG_QUALITY)
        return InputImage(data=out.getvalue(), content_type="image/jpeg")
    mode = "RGBA" if _has_alpha(upright) else "RGB"
    upright.convert(mode).save(out, format="PNG", optimize=False)
    return InputImage(data=out.getvalue(), content_type="image/png")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
