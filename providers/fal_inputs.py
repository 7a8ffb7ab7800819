"""Turn a platform-neutral ``ImageRequest`` into the input model of one fal endpoint.

Pure functions, no network: ``build_input`` raises pydantic's ``ValidationError`` when the
request is outside the endpoint's published ranges.  The schnell fallback adapts the
request instead (steps ≤ 12, guidance within 1..20, LoRAs dropped) because it is used
only when the primary endpoint already accepted those values.
"""

from __future__ import annotations

from typing import Any

from providers.schemas import (
    FluxGeneralImageToImageInput,
    FluxInput,
    FluxLoraInput,
    FluxSchnellInput,
)
from records import ImageRequest, JobKind

TEXT_MODELS: dict[str, type[FluxLoraInput] | type[FluxSchnellInput]] = {
    "fal-ai/flux-lora": FluxLoraInput,
    "fal-ai/flux/schnell": FluxSchnellInput,
    "fal-ai/flux-1/schnell": FluxSchnellInput,
}
IMAGE_MODELS: dict[str, type[FluxGeneralImageToImageInput]] = {
    "fal-ai/flux-general/image-to-image": FluxGeneralImageToImageInput,
}

#: Stands in for the input image URL while validating, before anything is uploaded.
PENDING_IMAGE_URL = "pending:upload"

_SCHNELL_MAX_STEPS = 12
_SCHNELL_GUIDANCE = (1.0, 20.0)


def build_input(endpoint: str, request: ImageRequest) -> FluxInput:
    """Validate ``request`` for ``endpoint``; raises ``ValidationError`` or ``KeyError``."""
    if request.kind is JobKind.IMAGE:
        return IMAGE_MODELS[endpoint].model_validate(_image_fields(request))
    model = TEXT_MODELS[endpoint]
    if model is FluxSchnellInput:
        return model.model_validate(_schnell_fields(request))
    return model.model_validate(_lora_fields(request))


def payload_of(model: FluxInput, *, image_url: str | None = None) -> dict[str, Any]:
    """The JSON body for fal; ``image_url`` replaces the placeholder for image-to-image."""
    if image_url is not None:
        model = model.model_copy(update={"image_url": image_url})
    return model.model_dump(mode="json", exclude_none=True)


def _size(request: ImageRequest) -> dict[str, object]:
    """The image_size field, left out when None (image-to-image keeps the input's shape)."""
    size = request.image_size
    if size is None:
        return {}
    if isinstance(size, str):
        return {"image_size": size}
    return {"image_size": {"width": size[0], "height": size[1]}}


def _common(request: ImageRequest) -> dict[str, Any]:
    return {
        "prompt": request.prompt,
        "seed": request.seed,
        "num_images": request.num_images,
        "enable_safety_checker": request.enable_safety_checker,
        "output_format": request.output_format,
        **_size(request),
    }


def _loras(request: ImageRequest) -> list[dict[str, Any]]:
    return [{"path": lora.path, "scale": lora.scale} for lora in request.loras]


def _lora_fields(request: ImageRequest) -> dict[str, Any]:
    return {
        **_common(request),
        "num_inference_steps": request.steps,
        "guidance_scale": request.guidance,
        "loras": _loras(request),
    }


def _schnell_fields(request: ImageRequest) -> dict[str, Any]:
    low, high = _SCHNELL_GUIDANCE
    return {
        **_common(request),
        "num_inference_steps": min(request.steps, _SCHNELL_MAX_STEPS),
        "guidance_scale": min(max(request.guidance, low), high),
    }


def _image_fields(request: ImageRequest) -> dict[str, Any]:
    return {
        **_lora_fields(request),
        "image_url": PENDING_IMAGE_URL,
        "strength": request.strength,
        "negative_prompt": request.negative_prompt,
    }
