"""PromptBuilder: flags parsed the way users type them, and every bad input refused clearly."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import texts
from bot.core.errors import UserError
from bot.core.prompts import PromptBuilder, PromptDefaults, aspect_size
from records import JobKind, LoraWeight

LORA = LoraWeight("https://example.test/anime.safetensors", 0.8)


@pytest.fixture
def builder() -> PromptBuilder:
    return PromptBuilder(
        defaults=PromptDefaults(steps=28, num_images=1),
        loras={"Anime": LORA},
        styles={"photo": "a photo of {prompt}, 35mm"},
        max_length=100,
        blocklist=["forbidden thing"],
    )


def test_plain_prompt_gets_defaults(builder: PromptBuilder) -> None:
    request = builder.build("  a red   fox at dawn ")
    assert request.prompt == "a red fox at dawn"
    assert (request.steps, request.num_images, request.seed) == (28, 1, None)
    assert request.image_size == "landscape_4_3"
    assert request.kind is JobKind.TEXT


def test_every_flag(builder: PromptBuilder) -> None:
    request = builder.build(
        "a fox --ar 16:9 --seed 7 --steps 12 --n 3 --lora anime:1.5 --style photo --no text blur"
    )
    assert request.prompt == "a photo of a fox, 35mm. Avoid: text blur"
    assert request.negative_prompt == "text blur"
    assert request.image_size == "landscape_16_9"
    assert (request.seed, request.steps, request.num_images) == (7, 12, 3)
    assert request.loras == (LoraWeight(LORA.path, 1.5),)


def test_phone_dashes_and_inline_values(builder: PromptBuilder) -> None:
    request = builder.build("a fox —ar 9:16 –seed=3 --lora=anime")
    assert request.image_size == "portrait_16_9"
    assert request.seed == 3
    assert request.loras == (LORA,)


def test_image_to_image_strength_and_negative(builder: PromptBuilder) -> None:
    request = builder.build("make it winter --strength 0.4 --no people", kind=JobKind.IMAGE)
    assert request.strength == 0.4
    assert request.negative_prompt == "people"
    assert request.prompt == "make it winter"


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [("1:1", "square_hd"), ("2:2", "square_hd"), ("3:4", "portrait_4_3"), ("21:9", (1568, 672))],
)
def test_aspect_ratios(ratio: str, expected: object) -> None:
    assert aspect_size(ratio) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", texts.EMPTY_PROMPT),
        ("   --seed 4", texts.EMPTY_PROMPT),
        ("\u200b\u200d\u2066", texts.EMPTY_PROMPT),
        ("a" * 101, texts.PROMPT_TOO_LONG.format(length=101, limit=100)),
        ("a" * 10_000, texts.PROMPT_TOO_LONG.format(length=10_000, limit=100)),
        ("fox\x00\x1b[31m", texts.PROMPT_CONTROL_CHARS),
        ("a Forbidden   THING here", texts.PROMPT_BLOCKED),
        ("fox --foo 1", "Unknown option --foo."),
        ("fox --seed abc", texts.FLAG_BAD_NUMBER.format(flag="--seed", value="abc")),
        ("fox --seed -1", "Option --seed must be between 0 and 4294967295"),
        ("fox --steps 0", "Option --steps must be between 1 and 50 (got 0)"),
        ("fox --n 5", "Option --n must be between 1 and 4 (got 5)"),
        ("fox --n", "Option --n needs a value"),
        ("fox --seed 1 --seed 2", texts.FLAG_REPEATED.format(flag="--seed")),
        ("fox --ar 16x9", "Aspect ratio must look like 16:9"),
        ("fox --ar 10:1", "Aspect ratio must look like 16:9"),
        ("fox --ar 0:1", "Aspect ratio must look like 16:9"),
        ("fox --size huge", "Unknown size 'huge'"),
        ("fox --lora nope", "Unknown LoRA 'nope'. Available: anime."),
        ("fox --lora anime:9", "Option --lora must be between 0.0 and 4.0"),
        ("fox --lora anime:nan", "Option --lora takes a number"),
        ("fox --style nope", "Unknown style 'nope'. Available: photo."),
        ("fox --strength 0.5", texts.STRENGTH_NEEDS_IMAGE),
        ("fox --no", "Option --no needs a value"),
        ("fox --lora anime --lora anime --lora anime --lora anime", "At most 3 LoRAs"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    builder: PromptBuilder, text: str, message: str
) -> None:
    with pytest.raises(UserError) as refused:
        builder.build(text)
    assert refused.value.message.startswith(message)


def test_strength_range_for_image_jobs(builder: PromptBuilder) -> None:
    with pytest.raises(UserError, match=r"between 0\.01 and 1\.0"):
        builder.build("x --strength 1.5", kind=JobKind.IMAGE)


def test_rtl_and_emoji_prompts_are_kept(builder: PromptBuilder) -> None:
    assert builder.build("שועל אדום \u200f🦊").prompt == "שועל אדום 🦊"
    assert builder.build("🦊🌅").prompt == "🦊🌅"


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=300))
def test_parser_raises_only_its_own_error(text: str) -> None:
    builder = PromptBuilder(
        defaults=PromptDefaults(), loras={"a": LORA}, styles={"s": "{prompt}!"}, max_length=200
    )
    try:
        request = builder.build(text)
    except UserError as error:
        assert error.message
    else:
        assert request.prompt and len(request.prompt) <= 200


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["fox", "--ar", "16:9", "--seed", "12", "--no", "--n", "2", "--lora", "a:1", "—ar", "="]
        ),
        max_size=12,
    )
)
def test_flag_soup_raises_only_user_errors(words: list[str]) -> None:
    builder = PromptBuilder(defaults=PromptDefaults(), loras={"a": LORA}, styles={}, max_length=200)
    try:
        builder.build(" ".join(words))
    except UserError as error:
        assert error.message
