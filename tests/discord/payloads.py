"""Raw INTERACTION_CREATE payloads, as Discord's gateway sends them, and their injection.

``slash("imagine", prompt="a fox", seed=5)`` builds an application-command interaction;
``component(custom_id, message)`` a button press on a message the fake recorded;
``inject(bot, fake, payload)`` hands it to discord.py as if it came from the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from discord.ext import commands

from tests.fakes.discord_server import APP_ID, FakeDiscord, snowflake

GUILD = 500_000_000_000_000_001
CHANNEL = 600_000_000_000_000_001
NSFW_CHANNEL = 600_000_000_000_000_002
LIMIT = 10 * 1024 * 1024
MANAGE_MESSAGES = 1 << 13
ADMINISTRATOR = 1 << 3
EVERYONE = 0x0000_0000_0000_0C00  # view channel, send messages


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    permissions: int = EVERYONE

    def user(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
        }

    def member(self) -> dict[str, Any]:
        return {
            "user": self.user(),
            "roles": [],
            "joined_at": "2025-01-01T00:00:00+00:00",
            "permissions": str(self.permissions),
            "flags": 0,
            "deaf": False,
            "mute": False,
            "nick": None,
            "avatar": None,
        }


ALICE = Person(700_000_000_000_000_001, "alice")
BOB = Person(700_000_000_000_000_002, "bob")
MOD = Person(700_000_000_000_000_003, "mod", EVERYONE | MANAGE_MESSAGES)
ADMIN = Person(700_000_000_000_000_004, "admin", EVERYONE | ADMINISTRATOR)
IMPOSTOR = Person(700_000_000_000_000_005, "impostor", EVERYONE | ADMINISTRATOR)
OPTION_TYPES = {str: 3, bool: 5, int: 4, float: 10}


def option(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "type": OPTION_TYPES[type(value)], "value": value}


def _base(kind: int, who: Person, channel: int, guild: bool, at: float | None) -> dict[str, Any]:
    interaction_id = snowflake(at)
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "locale": "en-US",
        "attachment_size_limit": LIMIT,
        "entitlements": [],
        "app_permissions": "8",
        "channel_id": str(channel),
    }
    if not guild:
        payload["user"] = who.user()
        payload["channel"] = {"id": str(channel), "type": 1, "recipients": [who.user()]}
        payload["context"] = 1
        return payload
    payload |= {
        "guild_id": str(GUILD),
        "member": who.member(),
        "guild_locale": "en-US",
        "context": 0,
        "authorizing_integration_owners": {"0": str(GUILD)},
    }
    payload["channel"] = {
        "id": str(channel),
        "type": 0,
        "guild_id": str(GUILD),
        "name": "nsfw" if channel == NSFW_CHANNEL else "general",
        "position": 0,
        "nsfw": channel == NSFW_CHANNEL,
        "permission_overwrites": [],
    }
    return payload


def slash(
    name: str,
    *,
    who: Person = ALICE,
    sub: str | None = None,
    channel: int = CHANNEL,
    guild: bool = True,
    at: float | None = None,
    attachment: dict[str, Any] | None = None,
    users: tuple[Person, ...] = (),
    limit: int = LIMIT,
    **options: Any,
) -> dict[str, Any]:
    """An application command; ``user=`` options take a Person, ``image=`` an attachment."""
    payload = _base(2, who, channel, guild, at)
    payload["attachment_size_limit"] = limit
    opts = [_typed(k, v) for k, v in options.items()]
    if attachment is not None:
        opts.insert(0, {"name": "image", "type": 11, "value": attachment["id"]})
    resolved: dict[str, Any] = {}
    if attachment is not None:
        resolved["attachments"] = {attachment["id"]: attachment}
    people = [v for v in options.values() if isinstance(v, Person)] + list(users)
    if people:
        resolved["users"] = {str(p.id): p.user() for p in people}
    if sub is not None:
        opts = [{"name": sub, "type": 1, "options": opts}]
    payload["data"] = {
        "id": str(snowflake()),
        "name": name,
        "type": 1,
        "options": opts,
        "resolved": resolved,
    }
    return payload


def _typed(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, Person):
        return {"name": name, "type": 6, "value": str(value.id)}
    return option(name, value)


def autocomplete(name: str, focused: str, value: str, *, who: Person = ALICE) -> dict[str, Any]:
    payload = _base(4, who, CHANNEL, True, None)
    opts = [
        {"name": "prompt", "type": 3, "value": "x"},
        {"name": focused, "type": 3, "value": value, "focused": True},
    ]
    payload["data"] = {"id": str(snowflake()), "name": name, "type": 1, "options": opts}
    return payload


def component(
    custom_id: str,
    message: dict[str, Any],
    *,
    who: Person = ALICE,
    channel: int = CHANNEL,
    guild: bool = True,
) -> dict[str, Any]:
    """A button press on ``message`` (a message payload recorded by the fake)."""
    payload = _base(3, who, channel, guild, None)
    payload["message"] = message
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    return payload


def inject(bot: commands.Bot, fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any]:
    """Deliver ``payload`` to discord.py as the gateway would."""
    fake.register(payload)
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    return payload


def custom_ids(message: dict[str, Any]) -> list[str]:
    """Every button custom_id in a message payload."""
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]
