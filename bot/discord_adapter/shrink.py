"""Re-encoding a result image to fit Discord's upload limit (CPU work: call in a thread)."""

from __future__ import annotations

import io

from PIL import Image

QUALITIES = (90, 75, 60)
SCALES = (1.0, 0.7, 0.5, 0.35, 0.25)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _scaled(image: Image.Image, scale: float) -> Image.Image:
    if scale == 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def fit(data: bytes, limit: int) -> bytes | None:
    """A JPEG of ``data`` no larger than ``limit`` bytes, or None when none comes close."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    for scale in SCALES:
        smaller = _scaled(image, scale)
        for quality in QUALITIES:
            encoded = _jpeg(smaller, quality)
            if len(encoded) <= limit:
                return encoded
    return None
