"""pydantic models of the fal payloads we send and read (reference/fal.md §1–3).

Inputs mirror fal's published ranges and use ``extra="forbid"``: a misspelt field
(``image_strength`` instead of ``strength``) fails here instead of being silently ignored
by fal.  The output model validates only what the bot uses and allows extra and null
fields, because real fal responses carry more than the schema says.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

OutputFormat = Literal["jpeg", "png"]

#: Highest width or height fal accepts for a custom ``image_size``.
MAX_SIDE = 14142


class ImageSizePreset(StrEnum):
    """fal's named image sizes (1024×768 for ``landscape_4_3``; see reference §1.2)."""

    SQUARE_HD = "square_hd"
    SQUARE = "square"
    PORTRAIT_4_3 = "portrait_4_3"
    PORTRAIT_16_9 = "portrait_16_9"
    LANDSCAPE_4_3 = "landscape_4_3"
    LANDSCAPE_16_9 = "landscape_16_9"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageSize(_Input):
    """A custom output size in pixels."""

    width: int = Field(default=512, ge=1, le=MAX_SIDE)
    height: int = Field(default=512, ge=1, le=MAX_SIDE)


def _size_kind(value: Any) -> str:
    return "preset" if isinstance(value, str) else "custom"


#: ``image_size`` is a preset name or ``{width, height}``; the tag keeps errors readable.
ImageSizeField = Annotated[
    Annotated[ImageSizePreset, Tag("preset")] | Annotated[ImageSize, Tag("custom")],
    Discriminator(_size_kind),
]

#: Tags that appear in validation error locations and are not field names.
UNION_TAGS = frozenset({"preset", "custom"})


class FalLora(_Input):
    """A LoRA as fal takes it: ``path`` (URL or weights path) and ``scale`` 0..4."""

    path: str = Field(min_length=1)
    scale: float = Field(default=1.0, ge=0, le=4)


class _FluxInput(_Input):
    prompt: str = Field(min_length=1)
    seed: int | None = None
    enable_safety_checker: bool = True
    output_format: OutputFormat = "jpeg"


class FluxLoraInput(_FluxInput):
    """Input of ``fal-ai/flux-lora`` (text to image with LoRAs)."""

    image_size: ImageSizeField = ImageSizePreset.LANDSCAPE_4_3
    num_inference_steps: int = Field(default=28, ge=1, le=50)
    loras: list[FalLora] = Field(default_factory=list)
    guidance_scale: float = Field(default=3.5, ge=0, le=35)
    num_images: int = Field(default=1, ge=1, le=4)


class FluxGeneralImageToImageInput(_FluxInput):
    """Input of ``fal-ai/flux-general/image-to-image``; the field is ``strength``."""

    image_url: str = Field(min_length=1)
    strength: float = Field(default=0.85, ge=0.01, le=1)
    num_inference_steps: int = Field(default=28, ge=1, le=50)
    guidance_scale: float = Field(default=3.5, ge=0, le=20)
    num_images: int = Field(default=1, ge=1, le=10)
    loras: list[FalLora] = Field(default_factory=list)
    negative_prompt: str = ""
    image_size: ImageSizeField | None = None
    output_format: OutputFormat = "png"


class FluxSchnellInput(_FluxInput):
    """Input of ``fal-ai/flux/schnell`` (fast fallback; 1–12 steps, no LoRAs)."""

    image_size: ImageSizeField = ImageSizePreset.LANDSCAPE_4_3
    num_inference_steps: int = Field(default=4, ge=1, le=12)
    guidance_scale: float = Field(default=3.5, ge=1, le=20)
    num_images: int = Field(default=1, ge=1, le=4)


FluxInput = FluxLoraInput | FluxGeneralImageToImageInput | FluxSchnellInput


class _Output(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class FalImage(_Output):
    """One output image; extra keys such as ``file_name: null`` are allowed."""

    url: str = Field(min_length=1)
    width: int
    height: int
    content_type: str | None = None


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


class FluxOutput(_Output):
    """The output shared by the three FLUX endpoints (reference §1.3)."""

    images: list[FalImage]
    seed: int
    has_nsfw_concepts: Annotated[list[bool], BeforeValidator(_none_as_empty)] = Field(
        default_factory=list
    )
    timings: dict[str, Any] | None = None
    prompt: str | None = None
