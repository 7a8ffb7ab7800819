"""Text commands ("/grant 42 10 thanks") routed to the command layer.

Used by front ends whose commands arrive as text (console, Telegram). Plain text without a
leading slash is an /imagine, as in a private chat with Midjourney-style bots.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core import texts
from bot.core.admin import AdminCommands
from bot.core.commands import Caller, Reply, UserCommands
from records import ChatRef

# Every text command, with its usage line; the README's command table is checked against it.
USAGE = {
    "start": "/start",
    "help": "/help",
    "imagine": "/imagine <prompt> [--ar W:H --seed N --no TEXT --steps N --n N --lora NAME:S]",
    "edit": "/edit <prompt> [--strength X] (with an image)",
    "balance": "/balance",
    "history": "/history",
    "cancel": "/cancel [job id]",
    "grant": "/grant <user> <amount> [reason]",
    "revoke": "/revoke <user> <amount> [reason]",
    "setcredits": "/setcredits <user> <amount> [reason]",
    "credits": "/credits <user>",
    "refund": "/refund <job id> [reason]",
    "ban": "/ban <user>",
    "unban": "/unban <user>",
    "stats": "/stats",
}
ADMIN_COMMANDS = frozenset(
    {"grant", "revoke", "setcredits", "credits", "refund", "ban", "unban", "stats"}
)


@dataclass(frozen=True, slots=True)
class Message:
    """One incoming text command with what came with it."""

    caller: Caller
    args: str
    chat: ChatRef
    image: bytes | None = None
    event: str | None = None


def split_command(line: str) -> tuple[str | None, str]:
    """``/imagine@bot a fox`` → ("imagine", "a fox"); plain text → (None, text)."""
    line = line.strip()
    if not line.startswith("/"):
        return None, line
    head, _, rest = line.partition(" ")
    return head[1:].split("@", 1)[0].lower(), rest.strip()


class CommandRouter:
    """Maps a command name to the command layer."""

    def __init__(self, *, user: UserCommands, admin: AdminCommands) -> None:
        self.user = user
        self.admin = admin
        self._routes: dict[str, Callable[[Message], Awaitable[Reply]]] = {
            "start": lambda m: self.user.balance(m.caller),
            "help": lambda m: self.user.help(m.caller),
            "imagine": self._imagine,
            "edit": lambda m: self.user.edit(
                m.caller, m.args, m.chat, image=m.image, event_key=m.event
            ),
            "balance": lambda m: self.user.balance(m.caller),
            "history": lambda m: self.user.history(m.caller),
            "cancel": lambda m: self.user.cancel(m.caller, m.args.split()[0] if m.args else None),
            "grant": lambda m: self._amount(self.admin.grant, m),
            "revoke": lambda m: self._amount(self.admin.revoke, m),
            "setcredits": lambda m: self._amount(self.admin.set_credits, m),
            "credits": lambda m: self._one(self.admin.credits, m, "credits"),
            "refund": self._refund,
            "ban": lambda m: self._one(self.admin.ban, m, "ban", event=m.event),
            "unban": lambda m: self._one(self.admin.unban, m, "unban", event=m.event),
            "stats": lambda m: self.admin.stats(m.caller),
        }

    async def handle(
        self,
        caller: Caller,
        line: str,
        chat: ChatRef,
        *,
        image: bytes | None = None,
        event: str | None = None,
    ) -> Reply:
        name, args = split_command(line)
        message = Message(caller, args, chat, image, event)
        if name is None:
            return await self._imagine(message)
        route = self._routes.get(name)
        if route is None:
            return Reply(texts.UNKNOWN_COMMAND.format(command="/" + name), ok=False)
        if name in ADMIN_COMMANDS and not caller.is_admin:
            return Reply(texts.NOT_ADMIN, ok=False)
        return await route(message)

    async def _imagine(self, m: Message) -> Reply:
        return await self.user.imagine(m.caller, m.args, m.chat, image=m.image, event_key=m.event)

    async def _amount(self, action: Callable[..., Awaitable[Reply]], m: Message) -> Reply:
        parts = m.args.split(maxsplit=2)
        if len(parts) < 2:
            name = action.__name__.replace("set_credits", "setcredits")
            return Reply(texts.ADMIN_USAGE.format(usage=USAGE[name]), ok=False)
        reason = parts[2] if len(parts) > 2 else ""
        return await action(m.caller, parts[0], parts[1], reason, event=m.event)

    async def _one(
        self, action: Callable[..., Awaitable[Reply]], m: Message, name: str, **kw: object
    ) -> Reply:
        parts = m.args.split()
        if len(parts) != 1:
            return Reply(texts.ADMIN_USAGE.format(usage=USAGE[name]), ok=False)
        return await action(m.caller, parts[0], **kw)

    async def _refund(self, m: Message) -> Reply:
        job_id, _, reason = m.args.partition(" ")
        if not job_id:
            return Reply(texts.ADMIN_USAGE.format(usage=USAGE["refund"]), ok=False)
        return await self.admin.refund(m.caller, job_id, reason.strip(), event=m.event)
