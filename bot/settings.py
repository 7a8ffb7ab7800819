"""Settings: a TOML file plus environment, validated by pydantic-settings.

Sources, highest first: environment (``BOT_`` prefix, ``__`` for nesting, and the
conventional ``FAL_KEY``, ``DISCORD_TOKEN``, ``TELEGRAM_TOKEN``), then the TOML file
(``--config PATH``, else ``$BOT_CONFIG``, else ``./config.toml`` when present), then defaults.
Only ``bot/__main__.py`` loads them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

IMAGE_SIZES = (
    "square_hd",
    "square",
    "portrait_4_3",
    "portrait_16_9",
    "landscape_4_3",
    "landscape_16_9",
)


class Section(BaseModel):
    """A config section: unknown keys are errors, so typos are caught at start."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSettings(Section):
    token: SecretStr | None = None
    base_url: str | None = None
    base_file_url: str | None = None
    admin_ids: list[int] = Field(default_factory=list)
    concurrent_updates: int = Field(default=32, ge=1, le=256)
    media_write_timeout: float = Field(default=60.0, ge=60)
    read_timeout: float = Field(default=10.0, gt=0, le=120)
    poll_timeout: int = Field(default=10, ge=0, le=60)
    flood_retries: int = Field(default=3, ge=0, le=10)
    progress_interval_private: float = Field(default=1.0, ge=0, le=60)
    progress_interval_group: float = Field(default=6.0, ge=0, le=60)


class DiscordSettings(Section):
    token: SecretStr | None = None
    admin_ids: list[int] = Field(default_factory=list)
    guild_ids: list[int] = Field(default_factory=list)
    unfiltered_nsfw_channels: bool = False
    command_hash_file: Path = Path("discord-commands.sha256")
    progress_interval: float = Field(default=2.0, ge=0, le=60)


class LoraSettings(Section):
    path: str
    scale: float = Field(default=1.0, ge=0, le=4)


class DefaultsSettings(Section):
    image_size: str = "landscape_4_3"
    steps: int = Field(default=28, ge=1, le=50)
    guidance: float = Field(default=3.5, ge=0, le=20)
    num_images: int = Field(default=1, ge=1, le=4)
    strength: float = Field(default=0.85, ge=0.01, le=1)
    output_format: str = Field(default="jpeg", pattern="^(jpeg|png)$")
    enable_safety_checker: bool = True

    @field_validator("image_size")
    @classmethod
    def _known_size(cls, value: str) -> str:
        if value not in IMAGE_SIZES:
            raise ValueError(f"must be one of {', '.join(IMAGE_SIZES)}")
        return value


class FalSettings(Section):
    key: SecretStr | None = None
    text_model: str = "fal-ai/flux-lora"
    image_model: str = "fal-ai/flux-general/image-to-image"
    fallbacks: list[str] = Field(default_factory=lambda: ["fal-ai/flux/schnell"])
    queue_url: str = "https://queue.fal.run/"
    rest_url: str = "https://rest.fal.ai"
    cdn_url: str = "https://v3.fal.media"
    poll_interval: float = Field(default=1.0, ge=0.2, le=30)
    status_stream: bool = True
    upload_images: bool = True
    defaults: DefaultsSettings = Field(default_factory=DefaultsSettings)
    loras: dict[str, LoraSettings] = Field(default_factory=dict)


class PromptSettings(Section):
    styles: dict[str, str] = Field(default_factory=dict)
    blocklist: list[str] = Field(default_factory=list)

    @field_validator("styles")
    @classmethod
    def _has_placeholder(cls, value: dict[str, str]) -> dict[str, str]:
        for name, template in value.items():
            if "{prompt}" not in template:
                raise ValueError(f"style '{name}' must contain {{prompt}}")
        return value


class StorageSettings(Section):
    database: Path = Path("bot.db")


class CreditsSettings(Section):
    initial: int = Field(default=10, ge=0)
    costs: dict[str, int] = Field(
        default_factory=lambda: {
            "fal-ai/flux-lora": 2,
            "fal-ai/flux-general/image-to-image": 3,
            "fal-ai/flux/schnell": 1,
        }
    )

    @field_validator("costs")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for model, cost in value.items():
            if cost < 1:
                raise ValueError(f"cost of {model} must be at least 1")
        return value


class LimitsSettings(Section):
    per_user_in_flight: int = Field(default=2, ge=1)
    global_concurrency: int = Field(default=4, ge=1)
    prompt_length: int = Field(default=1000, ge=10, le=10000)
    input_image_bytes: int = Field(default=10_000_000, ge=1000)
    input_image_pixels: int = Field(default=40_000_000, ge=10_000)
    job_deadline: float = Field(default=300.0, gt=0)
    requests_per_minute: int | None = Field(default=10, ge=1)
    daily_spend_cap: int | None = Field(default=None, ge=1)


class ConsoleSettings(Section):
    output_dir: Path = Path("out")
    user_id: str = "local"


class LoggingSettings(Section):
    level: str = Field(default="INFO", pattern="^(TRACE|DEBUG|INFO|SUCCESS|WARNING|ERROR)$")


CONVENTIONAL_ENV = {
    "FAL_KEY": ("fal", "key"),
    "DISCORD_TOKEN": ("discord", "token"),
    "TELEGRAM_TOKEN": ("telegram", "token"),
}


class ConventionalEnvSource(PydanticBaseSettingsSource):
    """FAL_KEY, DISCORD_TOKEN and TELEGRAM_TOKEN, the names operators already use."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, (section, key) in CONVENTIONAL_ENV.items():
            if value := os.environ.get(name):
                found.setdefault(section, {})[key] = value
        return found


class Settings(BaseSettings):
    """All configuration; see config.example.toml for every key."""

    model_config = SettingsConfigDict(
        env_prefix="BOT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    fal: FalSettings = Field(default_factory=FalSettings)
    prompts: PromptSettings = Field(default_factory=PromptSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    credits: CreditsSettings = Field(default_factory=CreditsSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            ConventionalEnvSource(settings_cls),
            TomlConfigSettingsSource(settings_cls),
        )

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction and leak checks."""
        found = [self.fal.key, self.telegram.token, self.discord.token]
        return [s.get_secret_value() for s in found if s and s.get_secret_value()]


def config_path(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """``--config``, else ``$BOT_CONFIG``, else ``./config.toml`` when it exists."""
    if explicit is not None:
        return explicit
    if env := environ.get("BOT_CONFIG"):
        return Path(env)
    default = Path("config.toml")
    return default if default.is_file() else None


def load_settings(path: Path | None) -> Settings:
    """Settings from the environment and the TOML file at ``path`` (if any).

    Raises ``FileNotFoundError``, ``tomllib.TOMLDecodeError`` or pydantic's
    ``ValidationError``; the caller turns them into one line and exit code 2.
    """
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")

    class FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    return FromFile()
