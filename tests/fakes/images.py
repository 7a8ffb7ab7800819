"""Tiny image fixtures made in code with Pillow (no binary files in the repo)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def png_bytes(width: int = 16, height: int = 12, color: str = "teal") -> bytes:
    """A valid RGB PNG."""
    return _encode(Image.new("RGB", (width, height), color), "PNG")


def black_png_bytes(width: int = 16, height: int = 12) -> bytes:
    """What fal's safety checker puts in place of a flagged image."""
    return png_bytes(width, height, "black")


def jpeg_bytes(width: int = 16, height: int = 12, color: str = "orange") -> bytes:
    """A valid RGB JPEG without EXIF."""
    return _encode(Image.new("RGB", (width, height), color), "JPEG")


def webp_bytes(width: int = 16, height: int = 12) -> bytes:
    """A valid RGBA WEBP (alpha kept through re-encoding as PNG)."""
    return _encode(Image.new("RGBA", (width, height), (10, 200, 30, 128)), "WEBP")


def exif_jpeg_bytes(width: int = 20, height: int = 10) -> bytes:
    """A JPEG carrying EXIF: camera make, a GPS block and orientation 6 (rotate 90°)."""
    exif = Image.Exif()
    exif[0x010F] = "FakeCam"  # Make
    exif[0x0112] = 6  # Orientation: the stored pixels must be turned 90° clockwise
    exif[0x8825] = {1: "N", 2: (52.0, 30.0, 0.0)}  # GPSInfo
    return _encode(Image.new("RGB", (width, height), "purple"), "JPEG", exif=exif.tobytes())


def truncated_png_bytes() -> bytes:
    """A PNG cut short inside its pixel data (the header still parses)."""
    noisy = Image.effect_noise((64, 64), 80).convert("RGB")
    data = _encode(noisy, "PNG")
    return data[: len(data) // 2]


def truncated_jpeg_bytes() -> bytes:
    """A JPEG cut short inside its scan data."""
    noisy = Image.effect_noise((64, 64), 80).convert("RGB")
    data = _encode(noisy, "JPEG")
    return data[: len(data) // 2]


def decompression_bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few-hundred-byte PNG whose header declares ``width × height`` pixels."""
    data = bytearray(_encode(Image.new("1", (1, 1)), "PNG"))
    # IHDR starts at byte 8: length(4) "IHDR"(4) width(4) height(4) …(5) crc(4)
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def animated_gif_bytes(frames: int = 3) -> bytes:
    """A small animated GIF."""
    colors = ["red", "green", "blue", "yellow", "white"]
    images = [Image.new("RGB", (8, 8), colors[i % len(colors)]) for i in range(frames)]
    return _encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=50)


def static_gif_bytes() -> bytes:
    """A single-frame GIF (accepted, re-encoded as PNG)."""
    return _encode(Image.new("P", (8, 8), 3), "GIF")


def bmp_bytes() -> bytes:
    """A BMP: an image, but not a format we take."""
    return _encode(Image.new("RGB", (8, 8), "red"), "BMP")


def not_an_image_bytes() -> bytes:
    """Text pretending to be an upload."""
    return b"%%this is not an image, it is a shopping list: eggs, milk\n" * 4


def huge_png_bytes(width: int = 20_000, height: int = 20_000) -> bytes:
    """A real, complete 1-bit black PNG of ``width × height`` (every row present), about
    50 KB compressed: the pixels, not just the header, are that many."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\x00" * (1 + (width + 7) // 8)  # filter type 0, then the packed bits
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def exif_only_bytes() -> bytes:
    """A JPEG that is nothing but its EXIF block: start marker, APP1 "Exif", end marker."""
    exif = Image.Exif()
    exif[0x010F] = "FakeCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 30.0, 0.0)}  # GPSInfo
    body = exif.tobytes()
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", len(body) + 2) + body + b"\xff\xd9"
