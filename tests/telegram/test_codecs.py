"""Pure helpers of the Telegram adapter: callback data, ChatRef, captions, admin targets."""

from __future__ import annotations

import datetime as dtm

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.core.ports import DeliveredImage
from bot.core.service import new_job_id
from bot.telegram_adapter.inputs import caption_prompt, command_target, with_target
from bot.telegram_adapter.options import TelegramOptions
from bot.telegram_adapter.refs import Action, Press, chat_ref, decode, where
from bot.telegram_adapter.results import fits_photo, keyboard
from bot.telegram_adapter.sender import retry_seconds


@given(st.sampled_from(list(Action)), st.integers(0, 9))
def test_button_data_round_trips_and_fits_64_bytes(action: Action, index: int) -> None:
    press = Press(action, new_job_id(), index if action is not Action.REROLL else 0)
    data = press.encode()
    assert len(data.encode()) <= 64
    assert decode(data) == press


@given(st.text(max_size=80))
def test_any_callback_data_decodes_to_a_press_or_none(data: str) -> None:
    press = decode(data)
    assert press is None or press.encode() == data


@pytest.mark.parametrize(
    "data",
    [
        "",
        "r",
        "r:",
        "v:abc",
        "o:abc:x",
        "v:abc:-1",
        "x:abc:1",
        "r:abc:1",
        "v:a/b:1",
        "v:abc:01",
        "v:abc:+1",
        "v:abc: 1",
        "r:ä",
        None,
    ],
)
def test_malformed_callback_data_is_refused(data: str | None) -> None:
    assert decode(data) is None


def test_an_overlong_job_reference_is_refused_at_encoding() -> None:
    with pytest.raises(ValueError):
        Press(Action.VARY, "x" * 70, 1).encode()


def test_chat_ref_keeps_chat_reply_and_status_message() -> None:
    place = where(chat_ref(-1001, 17, 42))
    assert (place.chat_id, place.reply_to, place.status_id, place.group) == (-1001, 17, 42, True)
    assert where(chat_ref(5, None, None)) == type(place)(5, None, None)


def test_retry_after_is_read_as_int_or_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA")
    with pytest.warns(PTBDeprecationWarning):  # PTB 22 warns when it builds the int form
        error = RetryAfter(3)
    assert retry_seconds(error) == 3.0
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    assert retry_seconds(RetryAfter(dtm.timedelta(seconds=2.5))) == 2.5


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("a fox in snow", ("a fox in snow", False)),
        ("/edit make it blue --strength 0.5", ("make it blue --strength 0.5", True)),
        ("/edit@ImageBot_Test make it blue", ("make it blue", True)),
        ("/imagine@imagebot_test a cat", ("a cat", True)),
        ("/edit@otherbot make it blue", None),
        ("/edit", ("", True)),
        (None, ("", False)),
    ],
)
def test_caption_prompt(caption: str | None, expected: tuple[str, bool] | None) -> None:
    assert caption_prompt(caption, "imagebot_test") == expected


def test_command_target() -> None:
    assert command_target("/Grant@imagebot_test", "imagebot_test") == ("grant", True)
    assert command_target("/grant", "imagebot_test") == ("grant", False)
    assert command_target("/grant@other_bot", "imagebot_test") is None


@pytest.mark.parametrize(
    ("name", "args", "target", "line"),
    [
        ("grant", "10 thanks", 42, "/grant 42 10 thanks"),
        ("grant", "42 10", 42, "/grant 42 10"),
        ("credits", "", 42, "/credits 42"),
        ("refund", "ab12", 42, "/refund ab12"),
        ("grant", "7 10", None, "/grant 7 10"),
    ],
)
def test_a_replied_user_stands_in_for_the_user_id(
    name: str, args: str, target: int | None, line: str
) -> None:
    assert with_target(name, args, target) == line


def test_file_url_is_derived_from_base_url() -> None:
    options = TelegramOptions(token="1:x", base_url="http://127.0.0.1:8081/bot")
    assert options.file_url == "http://127.0.0.1:8081/file/bot"
    assert TelegramOptions(token="1:x").file_url is None
    explicit = TelegramOptions(token="1:x", base_url="http://h/bot", base_file_url="http://f/")
    assert explicit.file_url == "http://f/"
    assert TelegramOptions(token="1:x", input_image_bytes=5_000).download_limit == 5_000
    assert TelegramOptions(token="1:x", input_image_bytes=10**9).download_limit == 20_000_000


@pytest.mark.parametrize(
    ("size", "width", "height", "photo"),
    [
        (1000, 1024, 768, True),
        (10_000_001, 1024, 768, False),
        (1000, 9000, 2000, False),
        (1000, 4200, 200, False),
        (1000, 2000, 100, True),
    ],
)
def test_what_goes_as_a_photo(size: int, width: int, height: int, photo: bool) -> None:
    image = DeliveredImage(0, b"x" * size, width, height, "image/png")
    assert fits_photo(image) is photo


def test_keyboards_carry_only_job_references() -> None:
    single = keyboard("ab12", [0]).inline_keyboard
    assert [b.callback_data for b in single[0]] == ["r:ab12", "v:ab12:0", "o:ab12:0"]
    several = keyboard("ab12", [0, 3]).inline_keyboard
    assert [len(row) for row in several] == [1, 2, 2]
    assert several[2][1].callback_data == "o:ab12:3" and "2" in several[2][1].text
