"""The sms provider of the inbox (issue 11): being built."""

from __future__ import annotations

from notifications.channels.base import PermanentError

from .base import BaseProvider


class Provider(BaseProvider):
    def send(self, message) -> str:
        raise PermanentError("the sms channel cannot send yet")
