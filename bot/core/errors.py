"""The core's error tree.

UserError        the user asked for something we refuse; ``message`` is ready to send
                 (from texts.py). Raised before any credit or network work, so it costs
                 nothing, and front ends reply with it verbatim.
"""


class UserError(Exception):
    """A refusal with a user-facing message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
