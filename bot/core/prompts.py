"""PromptBuilder: turns "/imagine" text with Midjourney-style flags into an ImageRequest.

Flags: ``--ar W:H``, ``--size NAME``, ``--seed N``, ``--no TEXT``, ``--steps N``, ``--n N``,
``--lora NAME[:SCALE]`` (repeatable, named LoRAs from config only), ``--style NAME`` and
``--strength X`` (image-to-image). A leading em or en dash counts as ``--`` because phones
turn ``--`` into ``—``. Every problem raises ``UserError`` with a message from texts.py.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from bot.core import texts
from bot.core.errors import UserError
from records import ImageRequest, JobKind, LoraWeight

SIZES = ("square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9")
RATIO_PRESETS = {
    (1, 1): "square_hd",
    (4, 3): "landscape_4_3",
    (3, 4): "portrait_4_3",
    (16, 9): "landscape_16_9",
    (9, 16): "portrait_16_9",
}
FLAGS = ("--ar", "--size", "--seed", "--no", "--steps", "--n", "--lora", "--style", "--strength")
# The style wraps the bare prompt, so it goes first; "--no" appends to the prompt, so it goes last.
APPLY_ORDER = (
    "--style",
    "--ar",
    "--size",
    "--seed",
    "--steps",
    "--n",
    "--lora",
    "--strength",
    "--no",
)
FLAG_TOKEN = re.compile(r"^(?:--|—|–)([A-Za-z][\w-]*)(?:=(.*))?$")
MAX_SEED = 2**32 - 1
MAX_LORAS = 3
PIXELS = 1024 * 1024


@dataclass(frozen=True, slots=True)
class PromptDefaults:
    """Values used when the user gives no flag."""

    image_size: str = "landscape_4_3"
    steps: int = 28
    guidance: float = 3.5
    num_images: int = 1
    strength: float = 0.85
    output_format: str = "jpeg"
    enable_safety_checker: bool = True


def clean_text(text: str) -> str:
    """NFKC-normalise, refuse control characters, drop zero-width and direction marks."""
    text = unicodedata.normalize("NFKC", text)
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        raise UserError(texts.PROMPT_CONTROL_CHARS)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(text.split())


def _int(flag: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise UserError(texts.FLAG_BAD_NUMBER.format(flag=flag, value=value)) from None
    return _in_range(flag, number, low, high)


def _float(flag: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise UserError(texts.FLAG_BAD_DECIMAL.format(flag=flag, value=value)) from None
    if not math.isfinite(number):
        raise UserError(texts.FLAG_BAD_DECIMAL.format(flag=flag, value=value))
    return _in_range(flag, number, low, high)


N = TypeVar("N", int, float)


def _in_range(flag: str, number: N, low: N, high: N) -> N:
    if not low <= number <= high:
        raise UserError(texts.FLAG_OUT_OF_RANGE.format(flag=flag, low=low, high=high, value=number))
    return number


def aspect_size(value: str) -> str | tuple[int, int]:
    """``16:9`` → a fal preset when one matches, else about one megapixel, multiples of 16."""
    match = re.fullmatch(r"(\d{1,3}):(\d{1,3})", value)
    if not match or not int(match[1]) or not int(match[2]):
        raise UserError(texts.BAD_ASPECT.format(value=value))
    w, h = int(match[1]), int(match[2])
    if not 0.25 <= w / h <= 4:
        raise UserError(texts.BAD_ASPECT.format(value=value))
    g = math.gcd(w, h)
    if (w // g, h // g) in RATIO_PRESETS:
        return RATIO_PRESETS[(w // g, h // g)]
    width = round(math.sqrt(PIXELS * w / h) / 16) * 16
    height = round(math.sqrt(PIXELS * h / w) / 16) * 16
    return (width, height)


@dataclass(slots=True)
class _Parsed:
    words: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)
    negative: list[str] = field(default_factory=list)
    loras: list[str] = field(default_factory=list)
    in_no: bool = False


def split_flags(text: str) -> _Parsed:
    """Separate prompt words from flags; ``--no`` takes words until the next flag."""
    parsed = _Parsed()
    tokens = text.split()
    i = 0
    while i < len(tokens):
        if match := FLAG_TOKEN.match(tokens[i]):
            i = _take_flag(parsed, "--" + match[1].lower(), match[2], tokens, i)
            continue
        (parsed.negative if parsed.in_no else parsed.words).append(tokens[i])
        i += 1
    if "--no" in parsed.flags:
        parsed.flags["--no"] = " ".join(parsed.negative)
    return parsed


def _take_flag(parsed: _Parsed, flag: str, inline: str | None, tokens: list[str], i: int) -> int:
    if flag not in FLAGS:
        raise UserError(texts.UNKNOWN_FLAG.format(flag=flag, known=", ".join(FLAGS)))
    if flag in parsed.flags and flag != "--lora":
        raise UserError(texts.FLAG_REPEATED.format(flag=flag))
    parsed.in_no = flag == "--no"
    if parsed.in_no:
        parsed.flags[flag] = ""
        parsed.negative.extend([inline] if inline else [])
        return i + 1
    value = inline
    if value is None and i + 1 < len(tokens) and not FLAG_TOKEN.match(tokens[i + 1]):
        value = tokens[i + 1]
        i += 1
    if not value:
        raise UserError(texts.FLAG_NEEDS_VALUE.format(flag=flag, example=_example(flag)))
    if flag == "--lora":
        parsed.loras.append(value)
    parsed.flags[flag] = value
    return i + 1


EXAMPLES = {
    "--ar": "--ar 16:9",
    "--size": "--size square_hd",
    "--seed": "--seed 42",
    "--no": "--no text",
    "--steps": "--steps 28",
    "--n": "--n 2",
    "--lora": "--lora name:0.8",
    "--style": "--style name",
    "--strength": "--strength 0.6",
}


def _example(flag: str) -> str:
    return EXAMPLES.get(flag, flag)


class PromptBuilder:
    """Parses prompt text and flags into a validated ``ImageRequest``."""

    def __init__(
        self,
        *,
        defaults: PromptDefaults,
        loras: Mapping[str, LoraWeight],
        styles: Mapping[str, str],
        max_length: int,
        blocklist: Sequence[str] = (),
    ) -> None:
        self._defaults = defaults
        self._loras = {name.lower(): lora for name, lora in loras.items()}
        self._styles = {name.lower(): template for name, template in styles.items()}
        self._max_length = max_length
        terms = [clean_text(term).casefold() for term in blocklist if term.strip()]
        self._blocked = [re.compile(rf"(?<!\w){re.escape(t)}(?!\w)") for t in terms]

    @property
    def defaults(self) -> PromptDefaults:
        return self._defaults

    @property
    def lora_names(self) -> list[str]:
        return sorted(self._loras)

    @property
    def style_names(self) -> list[str]:
        return sorted(self._styles)

    def build(self, text: str, *, kind: JobKind = JobKind.TEXT) -> ImageRequest:
        """Parse ``text``; raise ``UserError`` for anything we would refuse."""
        if len(text) > 4 * self._max_length:
            raise UserError(texts.PROMPT_TOO_LONG.format(length=len(text), limit=self._max_length))
        parsed = split_flags(clean_text(text))
        prompt = " ".join(parsed.words)
        if not prompt:
            raise UserError(texts.EMPTY_PROMPT)
        if len(prompt) > self._max_length:
            limit = self._max_length
            raise UserError(texts.PROMPT_TOO_LONG.format(length=len(prompt), limit=limit))
        self._check_blocklist(prompt, " ".join(parsed.negative))
        request = ImageRequest(prompt=prompt, kind=kind, **self._default_fields())
        if kind is JobKind.IMAGE:  # keep the shape of the user's image unless asked otherwise
            request = replace(request, image_size=None)
        for flag in sorted(parsed.flags, key=APPLY_ORDER.index):
            request = self._apply(request, flag, parsed.flags[flag], parsed)
        return request

    def _default_fields(self) -> dict[str, Any]:
        d = self._defaults
        return {
            "image_size": d.image_size,
            "steps": d.steps,
            "guidance": d.guidance,
            "num_images": d.num_images,
            "strength": d.strength,
            "output_format": d.output_format,
            "enable_safety_checker": d.enable_safety_checker,
        }

    def _check_blocklist(self, *parts: str) -> None:
        folded = " ".join(parts).casefold()
        if any(term.search(folded) for term in self._blocked):
            raise UserError(texts.PROMPT_BLOCKED)

    def _apply(self, req: ImageRequest, flag: str, value: str, parsed: _Parsed) -> ImageRequest:
        handlers: dict[str, Callable[[ImageRequest, str], ImageRequest]] = {
            "--ar": lambda r, v: replace(r, image_size=aspect_size(v)),
            "--size": self._size,
            "--seed": lambda r, v: replace(r, seed=_int("--seed", v, 0, MAX_SEED)),
            "--steps": lambda r, v: replace(r, steps=_int("--steps", v, 1, 50)),
            "--n": lambda r, v: replace(r, num_images=_int("--n", v, 1, 4)),
            "--strength": self._strength,
            "--style": self._style,
            "--lora": lambda r, v: self._lora_list(r, parsed.loras),
            "--no": self._negative,
        }
        return handlers[flag](req, value)

    def _size(self, req: ImageRequest, value: str) -> ImageRequest:
        if value.lower() not in SIZES:
            raise UserError(texts.UNKNOWN_SIZE.format(value=value, known=", ".join(SIZES)))
        return replace(req, image_size=value.lower())

    def _strength(self, req: ImageRequest, value: str) -> ImageRequest:
        if req.kind is not JobKind.IMAGE:
            raise UserError(texts.STRENGTH_NEEDS_IMAGE)
        return replace(req, strength=_float("--strength", value, 0.01, 1.0))

    def _style(self, req: ImageRequest, value: str) -> ImageRequest:
        template = self._styles.get(value.lower())
        if template is None:
            known = ", ".join(self.style_names) or texts.NONE_CONFIGURED
            raise UserError(texts.UNKNOWN_STYLE.format(name=value, known=known))
        return replace(req, prompt=template.replace("{prompt}", req.prompt))

    def _negative(self, req: ImageRequest, negative: str) -> ImageRequest:
        if not negative:
            raise UserError(texts.FLAG_NEEDS_VALUE.format(flag="--no", example=_example("--no")))
        if req.kind is JobKind.IMAGE:
            return replace(req, negative_prompt=negative)
        # fal-ai/flux-lora has no negative_prompt field; FLUX reads plain language instead.
        return replace(req, prompt=f"{req.prompt}. Avoid: {negative}", negative_prompt=negative)

    def _lora_list(self, req: ImageRequest, specs: list[str]) -> ImageRequest:
        if len(specs) > MAX_LORAS:
            raise UserError(texts.TOO_MANY_LORAS.format(limit=MAX_LORAS))
        return replace(req, loras=tuple(self._lora(spec) for spec in specs))

    def _lora(self, spec: str) -> LoraWeight:
        name, _, scale_text = spec.partition(":")
        lora = self._loras.get(name.lower())
        if lora is None:
            known = ", ".join(self.lora_names) or texts.NONE_CONFIGURED
            raise UserError(texts.UNKNOWN_LORA.format(name=name, known=known))
        if not scale_text:
            return lora
        return LoraWeight(path=lora.path, scale=_float("--lora", scale_text, 0.0, 4.0))
