"""What the Telegram front end is built from (the composition root fills it from Settings)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.constants import FileSizeLimit


@dataclass(frozen=True, slots=True)
class TelegramOptions:
    """Connection, timing and limit knobs of the Telegram front end."""

    token: str
    base_url: str | None = None
    base_file_url: str | None = None
    concurrent_updates: int = 32
    media_write_timeout: float = 60.0
    read_timeout: float = 10.0
    poll_timeout: int = 10
    flood_retries: int = 3
    private_interval: float = 1.0
    group_interval: float = 3.0
    input_image_bytes: int = FileSizeLimit.FILESIZE_DOWNLOAD
    start_attempts: int = 8  # getMe at start while Telegram is unreachable (~2 min in all)

    @property
    def file_url(self) -> str | None:
        """The file download base: explicit, else derived from a ``…/bot`` base_url."""
        if self.base_file_url or not self.base_url:
            return self.base_file_url
        root = self.base_url.rstrip("/").removesuffix("/bot")
        return f"{root}/file/bot"

    @property
    def download_limit(self) -> int:
        """Largest user image we fetch: the Bot API's 20 MB, or less when configured."""
        return min(int(FileSizeLimit.FILESIZE_DOWNLOAD), self.input_image_bytes)
