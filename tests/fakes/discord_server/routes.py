"""The REST routes the fake serves, one handler each (see the package docstring)."""

from __future__ import annotations

from typing import Any

from tests.fakes.discord_server.state import DiscordState, Handler, Interaction
from tests.fakes.discord_server.wire import APP_ID, BOT_USER, ApiError, Recorded, snowflake


class Routes(DiscordState):
    """The route table and its handlers: users, application commands, interaction callbacks,
    webhook messages, channel messages, DM channels."""

    def _table(self) -> list[tuple[str, str, Handler]]:
        webhook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        message = webhook + r"/messages/(?P<message>@original|\d+)"
        return [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("PUT", r"/applications/\d+(?:/guilds/(?P<guild>\d+))?/commands", self._put_commands),
            ("GET", r"/applications/\d+(?:/guilds/(?P<guild>\d+))?/commands", self._get_commands),
            ("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("GET", message, self._webhook_message),
            ("PATCH", message, self._edit_webhook_message),
            ("DELETE", message, self._delete_webhook_message),
            ("POST", webhook, self._followup),
            ("POST", r"/users/@me/channels", self._open_dm),
            ("POST", r"/channels/(?P<channel>\d+)/messages", self._send),
            ("PATCH", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", self._edit),
            ("DELETE", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", self._delete),
        ]

    # --- handlers -------------------------------------------------------------------------

    async def _me(self, rec: Recorded, args: dict[str, str]) -> Any:
        return BOT_USER

    async def _application(self, rec: Recorded, args: dict[str, str]) -> Any:
        return {
            "id": str(APP_ID),
            "name": "imagebot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "00",
            "owner": BOT_USER,
            "flags": 0,
        }

    async def _put_commands(self, rec: Recorded, args: dict[str, str]) -> Any:
        where = args.get("guild") or "global"
        self.commands[where] = rec.json
        return [{**c, "id": str(snowflake()), "application_id": str(APP_ID)} for c in rec.json]

    async def _get_commands(self, rec: Recorded, args: dict[str, str]) -> Any:
        return self.commands.get(args.get("guild") or "global", [])

    async def _callback(self, rec: Recorded, args: dict[str, str]) -> Any:
        interaction_id = int(args["id"])
        if interaction_id in self._late:
            raise ApiError(404, 10062, "Unknown interaction")
        state = self._interactions.setdefault(args["token"], Interaction(0))
        if state.acked is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if self.on_callback is not None:
            await self.on_callback(interaction_id)
        kind = int(rec.json["type"])
        state.acked = kind
        answer: dict[str, Any] = {"interaction": {"id": args["id"], "type": 2}}
        if kind in (4, 5):
            data = rec.json.get("data") or {}
            flags = int(data.get("flags") or 0) | (128 if kind == 5 else 0)
            message = self._store(state.channel_id, data | {"flags": flags}, rec.files, True)
            state.original = int(message["id"])
            answer["interaction"] |= {"response_message_id": message["id"]}
            answer["resource"] = {"type": kind, "message": message}
        return answer

    def _token_state(self, token: str) -> Interaction:
        if token in self._expired:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        state = self._interactions.get(token)
        if token in self._forgotten or state is None or state.acked is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        return state

    def _webhook_target(self, args: dict[str, str]) -> tuple[Interaction, int]:
        state = self._token_state(args["token"])
        target = state.original if args["message"] == "@original" else int(args["message"])
        if target is None or target not in self.messages:
            raise ApiError(404, 10008, "Unknown Message")
        return state, target

    async def _webhook_message(self, rec: Recorded, args: dict[str, str]) -> Any:
        return self.messages[self._webhook_target(args)[1]]

    async def _edit_webhook_message(self, rec: Recorded, args: dict[str, str]) -> Any:
        return self._update(self._webhook_target(args)[1], rec)

    async def _delete_webhook_message(self, rec: Recorded, args: dict[str, str]) -> Any:
        state, target = self._webhook_target(args)
        self._remove(target)
        if target == state.original:
            state.original = None
        return None

    async def _followup(self, rec: Recorded, args: dict[str, str]) -> Any:
        state = self._token_state(args["token"])
        message = self._store(state.channel_id, rec.json or {}, rec.files, True)
        state.followups.append(int(message["id"]))
        return message

    async def _open_dm(self, rec: Recorded, args: dict[str, str]) -> Any:
        user_id = int(rec.json["recipient_id"])
        channel = next((c for c, u in self._dms.items() if u == user_id), None) or snowflake()
        self._dms[channel] = user_id
        recipient = {"id": str(user_id), "username": f"user{user_id}", "discriminator": "0"}
        return {"id": str(channel), "type": 1, "recipients": [recipient | {"avatar": None}]}

    def _channel(self, args: dict[str, str]) -> int:
        channel = int(args["channel"])
        if channel in self._deleted_channels:
            raise ApiError(404, 10003, "Unknown Channel")
        if self._dms.get(channel) in self._left:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        return channel

    async def _send(self, rec: Recorded, args: dict[str, str]) -> Any:
        return self._store(self._channel(args), rec.json or {}, rec.files, False)

    async def _edit(self, rec: Recorded, args: dict[str, str]) -> Any:
        self._channel(args)
        if int(args["message"]) not in self.messages:
            raise ApiError(404, 10008, "Unknown Message")
        return self._update(int(args["message"]), rec)

    async def _delete(self, rec: Recorded, args: dict[str, str]) -> Any:
        self._channel(args)
        if int(args["message"]) not in self.messages:
            raise ApiError(404, 10008, "Unknown Message")
        self._remove(int(args["message"]))
        return None
