"""Faults the tests script: errors per method and path, late interactions, dead tokens,
deleted channels, users who left, an upload size limit."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.discord_server.state import DiscordState
from tests.fakes.discord_server.wire import ApiError, Fault, Recorded


class FaultScripting(DiscordState):
    """What tests script, and the checks every request meets before its route."""

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        code: int = 0,
        message: str = "",
        *,
        times: int | None = 1,
        retry_after: float | None = None,
        with_files: bool | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests (None: all) with this error.

        ``method`` may be ``*``; ``with_files`` True/False limits it to requests with/without
        uploaded files.
        """
        pattern = re.compile(path)
        fault = Fault(method, pattern, status, code, message, times, retry_after, with_files)
        self._faults.append(fault)

    def heal(self) -> None:
        """Drop every scripted fault and the upload limit (tokens and channels stay as set)."""
        self._faults.clear()
        self.upload_limit = None

    def late(self, interaction_id: int) -> None:
        self._late.add(interaction_id)

    def forget_token(self, token: str) -> None:
        self._forgotten.add(token)

    def expire_token(self, token: str) -> None:
        self._expired.add(token)

    def delete_channel(self, channel_id: int) -> None:
        self._deleted_channels.add(channel_id)

    def user_left(self, user_id: int) -> None:
        self._left.add(user_id)

    def _scripted_fault(self, rec: Recorded) -> None:
        for fault in self._faults:
            if fault.times == 0 or fault.method not in (rec.method, "*"):
                continue
            if fault.with_files is not None and fault.with_files != bool(rec.files):
                continue
            if fault.path.search(rec.path):
                fault.times = None if fault.times is None else fault.times - 1
                extra: dict[str, Any] = {"global": False}
                if fault.retry_after is not None:
                    extra["retry_after"] = fault.retry_after
                raise ApiError(fault.status, fault.code, fault.message, **extra)

    def _upload_fault(self, rec: Recorded) -> None:
        limit = self.upload_limit
        if limit is not None and any(len(f.data) > limit for f in rec.files):
            raise ApiError(413, 40005, "Request entity too large")
