"""Requests, results and chats survive the JSON (and BLOB) round trip unchanged."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from records import (
    ChatRef,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    InputImage,
    JobKind,
    LoraWeight,
)
from storage.codec import (
    chat_from_json,
    chat_to_json,
    request_from_json,
    request_to_json,
    result_from_json,
    result_to_json,
)

finite = st.floats(allow_nan=False, allow_infinity=False)
sizes = st.one_of(
    st.none(),
    st.sampled_from(["square_hd", "landscape_4_3", "portrait_16_9"]),
    st.tuples(st.integers(64, 4096), st.integers(64, 4096)),
)
loras = st.builds(LoraWeight, path=st.text(), scale=finite)
images = st.builds(InputImage, data=st.binary(max_size=256), content_type=st.text())

requests = st.builds(
    ImageRequest,
    prompt=st.text(),
    kind=st.sampled_from(JobKind),
    negative_prompt=st.text(),
    image_size=sizes,
    steps=st.integers(1, 50),
    guidance=finite,
    seed=st.none() | st.integers(0, 2**32),
    num_images=st.integers(1, 4),
    loras=st.lists(loras, max_size=3).map(tuple),
    strength=finite,
    enable_safety_checker=st.booleans(),
    output_format=st.sampled_from(["jpeg", "png"]),
    image=st.none() | images,
)

results = st.builds(
    ImageResult,
    endpoint=st.text(),
    images=st.lists(
        st.builds(
            GeneratedImage,
            url=st.text(),
            width=st.integers(1, 8192),
            height=st.integers(1, 8192),
            content_type=st.none() | st.text(),
            nsfw=st.booleans(),
        ),
        max_size=4,
    ).map(tuple),
    seed=st.integers(0, 2**63),
)

chats = st.builds(ChatRef, chat_id=st.text(), message_id=st.none() | st.text(), extra=st.text())


@settings(database=None)
@given(requests)
def test_request_round_trip(request: ImageRequest) -> None:
    image = request.image
    loaded = request_from_json(
        request_to_json(request),
        None if image is None else image.data,
        None if image is None else image.content_type,
    )
    assert loaded == request
    assert type(loaded.image_size) is type(request.image_size)


@settings(database=None)
@given(results)
def test_result_round_trip(result: ImageResult) -> None:
    assert result_from_json(result_to_json(result)) == result


@settings(database=None)
@given(chats)
def test_chat_round_trip(chat: ChatRef) -> None:
    assert chat_from_json(chat_to_json(chat)) == chat


def test_the_image_bytes_are_not_in_the_json() -> None:
    request = ImageRequest(prompt="p", kind=JobKind.IMAGE, image=InputImage(b"SECRET", "x/y"))
    text = request_to_json(request)
    assert "SECRET" not in text and "x/y" not in text
    assert request_from_json(text).image is None
