"""Faults the tests script per Bot API method: flood, blocked, errors, late answers."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram_server.state import TelegramState
from tests.fakes.telegram_server.wire import BLOCKED, ApiError, Call, Fault


class FaultScripting(TelegramState):
    """What tests script (``fail``, ``flood``, ``block``, ``delay``, ``migrate``), and the
    check each call meets first."""

    def fail(self, method: str, status: int, description: str, **kw: Any) -> Fault:
        fault = Fault(method, status, description, **kw)
        self.faults.append(fault)
        return fault

    def flood(self, method: str, retry_after: int = 1, *, times: int | None = 1) -> Fault:
        return self.fail(
            method,
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
            times=times,
        )

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every call into their chat is 403 from now on."""
        self.fail("*", 403, BLOCKED, chat_id=chat_id, times=None)

    def delay(self, method: str, seconds: float, *, times: int = 1) -> Fault:
        fault = Fault(method, delay=seconds, times=times)
        self.faults.append(fault)
        return fault

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: calls into the old id answer migrate_to_chat_id."""
        self.migrated[chat_id] = new_chat_id
        old = self.chats[chat_id]
        self.chats[new_chat_id] = {**old, "id": new_chat_id, "type": "supergroup"}

    def _fault_for(self, call: Call) -> Fault | None:
        chat_id = call.chat_id
        if isinstance(chat_id, int) and chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        for fault in self.faults:
            if fault.method not in (call.method, "*") or fault.times == 0:
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            if fault.times is not None:
                fault.times -= 1
            if fault.delay:
                return fault
            raise ApiError(fault.status, fault.description, **fault.parameters)
        return None
