"""Mapping fal answers and validation errors onto the error tree."""

from __future__ import annotations

import httpx
import pytest
from fal_client.client import FalClientHTTPError
from pydantic import ValidationError

from providers.base import Failed, Rejected, Unavailable
from providers.fal_errors import (
    RetriedByClient,
    error_from_exception,
    error_from_status,
    plain_detail,
    rejected_from_validation,
    worth_retrying,
)
from providers.schemas import FluxLoraInput


def _client_error(status: int, text: str = "", headers: dict[str, str] | None = None) -> Exception:
    request = httpx.Request("POST", "https://queue.fal.run/fal-ai/flux-lora")
    response = httpx.Response(status, text=text, headers=headers, request=request)
    return FalClientHTTPError(text, status, dict(response.headers), response=response)


def test_plain_detail_turns_a_list_into_field_messages() -> None:
    detail = [
        {"loc": ["body", "num_images"], "msg": "Input should be less than or equal to 4"},
        {"loc": ["body", "loras", 0, "scale"], "msg": "too big", "type": "x"},
    ]
    assert plain_detail(detail) == (
        "num_images: Input should be less than or equal to 4; loras.0.scale: too big"
    )


def test_plain_detail_of_strings_and_odd_shapes() -> None:
    assert plain_detail("Request timed out") == "Request timed out"
    assert plain_detail(None) == ""
    assert plain_detail({"why": 1}) == '{"why": 1}'
    assert plain_detail(["free text"]) == "free text"
    assert len(plain_detail("x" * 5000)) == 500


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, Rejected),
        (422, Rejected),
        (401, Failed),
        (403, Failed),
        (404, Failed),
        (408, Unavailable),
        (429, Unavailable),
        (500, Unavailable),
        (502, Unavailable),
        (503, Unavailable),
        (504, Unavailable),
    ],
)
def test_status_mapping(status: int, kind: type[Exception]) -> None:
    error = error_from_status(status, "because")
    assert type(error) is kind
    assert (error.detail, error.status) == ("because", status)


def test_errors_fal_client_already_retried_are_not_retried_again() -> None:
    assert isinstance(error_from_exception(_client_error(429)), RetriedByClient)
    nginx = _client_error(502, "<center>nginx</center>")
    assert isinstance(error_from_exception(nginx), RetriedByClient)
    assert isinstance(error_from_exception(httpx.ConnectError("refused")), RetriedByClient)
    assert not worth_retrying(error_from_exception(_client_error(429)))


def test_fal_own_5xx_is_worth_retrying() -> None:
    own = _client_error(503, '{"detail": "no runner"}', {"x-fal-request-id": "abc"})
    error = error_from_exception(own)
    assert type(error) is Unavailable
    assert worth_retrying(error)
    assert not worth_retrying(Rejected("bad"))


def test_validation_error_in_plain_words() -> None:
    with pytest.raises(ValidationError) as caught:
        FluxLoraInput.model_validate(
            {
                "prompt": "fox",
                "num_inference_steps": 60,
                "loras": [{"path": "a", "scale": 9}],
                "image_size": {"width": 0, "height": 10},
            }
        )
    detail = rejected_from_validation(caught.value, FluxLoraInput).detail
    assert "num_inference_steps must be between 1 and 50 (got 60)" in detail
    assert "loras.0.scale must be between 0 and 4 (got 9)" in detail
    assert "image_size.width must be between 1 and 14142 (got 0)" in detail


def test_validation_error_for_unknown_preset_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        FluxLoraInput.model_validate({"prompt": "fox", "image_size": "huge"})
    detail = rejected_from_validation(caught.value, FluxLoraInput).detail
    assert detail.startswith("image_size: Input should be 'square_hd'")
