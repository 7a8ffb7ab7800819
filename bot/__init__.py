"""imagebot: FLUX images from fal.ai for Discord, Telegram and the terminal, paid in credits."""
