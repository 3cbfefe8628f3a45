"""What every channel sender implements: `send(delivery, rendered) -> SendResult`, raising TransientError
(retried with backoff) or PermanentError (failed at once)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    provider_response: str = ""


class ChannelError(Exception):
    def __init__(self, message: str, *, response: str = ""):
        super().__init__(message)
        self.response = response


class TransientError(ChannelError):
    """Try again later: timeouts, 5xx, 429, connection refused."""


class PermanentError(ChannelError):
    """Trying again cannot help: a refused address, a 4xx, a missing configuration."""


class NoAddress(PermanentError):
    """Nobody to send to on this channel (a user with no push subscription): the delivery is suppressed, like
    a recipient without an email address, not failed (nothing to retry, nothing went wrong)."""
