"""The fal input/output models and how requests become payloads (no network)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from providers.fal_inputs import PENDING_IMAGE_URL, build_input, payload_of
from providers.schemas import (
    FluxGeneralImageToImageInput,
    FluxLoraInput,
    FluxOutput,
    FluxSchnellInput,
    ImageSize,
)
from records import ImageRequest, InputImage, JobKind, LoraWeight

IMAGE = InputImage(b"png", "image/png")


def test_flux_lora_defaults_match_fal() -> None:
    model = FluxLoraInput(prompt="fox")
    dumped = model.model_dump(mode="json", exclude_none=True)
    assert dumped == {
        "prompt": "fox",
        "enable_safety_checker": True,
        "output_format": "jpeg",
        "image_size": "landscape_4_3",
        "num_inference_steps": 28,
        "loras": [],
        "guidance_scale": 3.5,
        "num_images": 1,
    }


def test_image_to_image_defaults_to_png_and_strength() -> None:
    model = FluxGeneralImageToImageInput(prompt="fox", image_url="https://x/y.png")
    assert (model.strength, model.output_format, model.image_size) == (0.85, "png", None)


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (FluxLoraInput, {"num_inference_steps": 51}),
        (FluxLoraInput, {"num_inference_steps": 0}),
        (FluxLoraInput, {"guidance_scale": 35.5}),
        (FluxLoraInput, {"num_images": 5}),
        (FluxLoraInput, {"loras": [{"path": "a", "scale": 4.5}]}),
        (FluxLoraInput, {"image_size": {"width": 14143, "height": 10}}),
        (FluxLoraInput, {"image_size": "huge"}),
        (FluxLoraInput, {"prompt": ""}),
        (FluxGeneralImageToImageInput, {"image_url": "u", "strength": 0.0}),
        (FluxGeneralImageToImageInput, {"image_url": "u", "guidance_scale": 21}),
        (FluxGeneralImageToImageInput, {"image_url": "u", "num_images": 11}),
        (FluxSchnellInput, {"num_inference_steps": 13}),
        (FluxSchnellInput, {"guidance_scale": 0.5}),
    ],
)
def test_out_of_range_values_are_refused(
    model: type[FluxLoraInput], fields: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        model.model_validate({"prompt": "fox", **fields})


@pytest.mark.parametrize(
    ("model", "wrong"),
    [
        (FluxGeneralImageToImageInput, {"image_url": "u", "image_strength": 0.5}),
        (FluxSchnellInput, {"loras": []}),
        (FluxLoraInput, {"loras": [{"path": "a", "strength": 1.0}]}),
    ],
)
def test_wrong_field_names_are_caught_not_sent(
    model: type[FluxLoraInput], wrong: dict[str, object]
) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({"prompt": "fox", **wrong})


def test_edge_values_are_accepted() -> None:
    FluxLoraInput(prompt="p", num_inference_steps=50, guidance_scale=35, num_images=4)
    FluxGeneralImageToImageInput(prompt="p", image_url="u", strength=0.01, num_images=10)
    FluxSchnellInput(prompt="p", num_inference_steps=12, guidance_scale=1)
    assert ImageSize(width=14142, height=1).width == 14142


def test_output_allows_extra_and_null_fields() -> None:
    body = {
        "images": [
            {"url": "https://v3.fal.media/a.png", "width": 1, "height": 2, "file_name": None}
        ],
        "seed": 7,
        "has_nsfw_concepts": None,
        "timings": {"inference": 1.2},
        "prompt": "fox",
        "something_new": {"x": 1},
    }
    output = FluxOutput.model_validate(body)
    assert output.has_nsfw_concepts == []
    assert output.images[0].content_type is None


def test_output_without_images_key_is_invalid() -> None:
    with pytest.raises(ValidationError):
        FluxOutput.model_validate({"seed": 1})


def test_lora_request_becomes_lora_payload() -> None:
    request = ImageRequest(
        prompt="fox",
        image_size=(800, 600),
        steps=30,
        seed=5,
        num_images=2,
        loras=(LoraWeight("https://hf.co/x.safetensors", 0.8),),
    )
    payload = payload_of(build_input("fal-ai/flux-lora", request))
    assert payload["loras"] == [{"path": "https://hf.co/x.safetensors", "scale": 0.8}]
    assert payload["image_size"] == {"width": 800, "height": 600}
    assert (payload["num_inference_steps"], payload["num_images"], payload["seed"]) == (30, 2, 5)
    assert "negative_prompt" not in payload


def test_schnell_fallback_clamps_and_drops_loras() -> None:
    request = ImageRequest(prompt="fox", steps=40, guidance=0.0, loras=(LoraWeight("a"),))
    payload = payload_of(build_input("fal-ai/flux/schnell", request))
    assert "loras" not in payload
    assert payload["num_inference_steps"] == 12
    assert payload["guidance_scale"] == 1.0
    high = payload_of(build_input("fal-ai/flux/schnell", ImageRequest(prompt="f", guidance=30)))
    assert high["guidance_scale"] == 20.0


def test_image_request_payload_uses_strength_and_real_url() -> None:
    request = ImageRequest(
        prompt="fox", kind=JobKind.IMAGE, strength=0.4, negative_prompt="blur", image=IMAGE
    )
    model = build_input("fal-ai/flux-general/image-to-image", request)
    assert model.model_dump()["image_url"] == PENDING_IMAGE_URL
    payload = payload_of(model, image_url="https://v3.fal.media/files/in.png")
    assert payload["strength"] == 0.4
    assert payload["image_url"] == "https://v3.fal.media/files/in.png"
    assert payload["negative_prompt"] == "blur"
    assert "image_strength" not in payload
