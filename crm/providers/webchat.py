"""The web chat provider: the visitor's widget (or the customer portal's chat) is subscribed to the
conversation's live topic, so a reply is delivered by publishing it (crm.live, after commit); no network call."""

from __future__ import annotations

from .base import BaseProvider


class Provider(BaseProvider):
    inline = True

    def send(self, message) -> str:
        return f"webchat-{message.pk}"
