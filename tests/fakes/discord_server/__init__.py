"""FakeDiscord: the slice of Discord's REST API that discord.py 2.7 uses, on 127.0.0.1.

Point discord.py at it with ``discord.http.Route.BASE = fake.api_url`` (the interaction
webhooks use the same ``Route``) and ``DiscordWebSocket.DEFAULT_GATEWAY`` at
``fake.gateway_url`` (a connect attempt is recorded and refused, never sent out), then
``await bot.login(TOKEN)`` without ``connect()``, then
inject gateway events with ``bot._connection.parse_interaction_create(payload)`` (see
tests/discord/payloads.py). Answers carry ``Content-Type: application/json`` exactly, as
discord.py's ``json_or_text`` compares the header string.

Served: ``GET /users/@me``, ``GET /oauth2/applications/@me``, ``PUT|GET`` application
commands (global and per guild; the last PUT body is kept in ``commands``), interaction
callbacks (type 4, 5, 6, 7, 8 …; a second ack of one interaction → 400 40060), webhook
messages (``@original`` and followups, GET/PATCH/DELETE, multipart files), channel messages
(POST, PATCH, DELETE), DM channel creation, and attachment downloads (``add_attachment``).

Every request is kept in ``requests`` (method, API path, JSON or ``payload_json``, uploaded
files, status, arrival time); attachment downloads in ``downloads``; everything is also
scanned for secrets by tests/fakes/record_registry.py. Faults:

* ``fail(method, path_regex, status, code, message, times=1, retry_after=None)``: scripted;
  a 429 carries ``retry_after`` and the ``Via`` header discord.py needs to retry it itself;
* ``late(interaction_id)``: its callback → 404 10062 Unknown interaction;
* ``forget_token(token)`` → 404 10015 Unknown Webhook; ``expire_token(token)`` → 401 50027;
* ``delete_channel(id)`` → 404 10003 Unknown Channel; ``user_left(id)``: DMs → 403 50007;
* ``upload_limit``: a file part larger than it → 413 40005 Request entity too large.

Modules: ``wire`` (ids, the bot's identity, bodies, errors, Recorded/Upload/Fault),
``state`` (what the fake holds; the message store), ``faults`` (scripting faults),
``routes`` (the REST handlers), ``server`` (FakeDiscord: the app, dispatch, what tests read),
``client`` (``point_discord_at``, the pointing above for one test).
"""

from tests.fakes.discord_server.client import point_discord_at
from tests.fakes.discord_server.server import FakeDiscord
from tests.fakes.discord_server.state import Handler
from tests.fakes.discord_server.wire import (
    APP_ID,
    BOT_TOKEN,
    BOT_USER,
    DISCORD_EPOCH_MS,
    ApiError,
    Fault,
    Recorded,
    Upload,
    snowflake,
)

__all__ = [
    "APP_ID",
    "BOT_TOKEN",
    "BOT_USER",
    "DISCORD_EPOCH_MS",
    "ApiError",
    "FakeDiscord",
    "Fault",
    "Handler",
    "Recorded",
    "Upload",
    "point_discord_at",
    "snowflake",
]
