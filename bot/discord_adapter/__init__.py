"""The Discord front end (discord.py 2.7): slash commands, buttons, a notifier.

Modules: client (bot, tree, FrontEnd), user_commands / admin_commands (the schema),
handlers (one interaction → one core call), buttons (DynamicItems), notifier (status and
results), posting (webhook → channel → DM), results (files, embed), shrink (re-encoding),
sync (schema hash), flags (typed options → prompt flags), context (interaction → core).

Errors::

    UserError (core)        refusals: shown to the caller privately, nothing charged
    NotAdmin                app_commands.CheckFailure: caller not in discord.admin_ids
    TooLarge                an upload got 413; the notifier retries smaller, then links
    DeliveryFailed (core)   a result cannot reach the user by any route; the core releases
    discord.HTTPException   anything else from Discord; handlers answer with DISCORD_ERROR
"""

from bot.discord_adapter.client import DiscordFrontEnd, ImageBot
from bot.discord_adapter.config import DiscordOptions

__all__ = ["DiscordFrontEnd", "DiscordOptions", "ImageBot"]
