"""Typed slash-command options → the core's prompt flags, so the core validates both alike.

``/imagine prompt:a fox seed:42 count:2`` becomes ``a fox --seed 42 --n 2``; the core's
PromptBuilder then checks ranges, names and repeats with its own messages. ``--no`` goes
last because it takes every word up to the next flag.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import texts
from bot.core.errors import UserError


@dataclass(frozen=True, slots=True)
class PromptOptions:
    """The typed options of /imagine and /edit (None: not given)."""

    negative: str | None = None
    size: str | None = None
    style: str | None = None
    lora: str | None = None
    lora_scale: float | None = None
    seed: int | None = None
    count: int | None = None
    steps: int | None = None
    strength: float | None = None


def _word(value: object) -> str:
    """One flag value as one word (names never contain spaces; the core refuses them)."""
    return "_".join(str(value).split())


def _lora(options: PromptOptions) -> str | None:
    if options.lora_scale is not None and not options.lora:
        raise UserError(texts.DISCORD_SCALE_NEEDS_LORA)
    if not options.lora or options.lora_scale is None:
        return options.lora
    return f"{options.lora}:{options.lora_scale}"


def prompt_text(prompt: str, options: PromptOptions) -> str:
    """The prompt with every given option appended as a flag."""
    single = (
        ("--size", options.size),
        ("--style", options.style),
        ("--lora", _lora(options)),
        ("--seed", options.seed),
        ("--n", options.count),
        ("--steps", options.steps),
        ("--strength", options.strength),
    )
    parts = [prompt.strip()]
    parts += [f"{flag} {_word(value)}" for flag, value in single if value not in (None, "")]
    if options.negative and options.negative.strip():
        parts.append(f"--no {options.negative.strip()}")
    return " ".join(parts)
