"""What the channel providers share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class BaseProvider:
    inline = False

    def __init__(self, channel):
        self.channel = channel

    def thread_for(self, contact) -> str:
        raise ValidationError({"channel": [_("Conversations cannot be started on this channel.")]})

    def validate(self, conversation, *, body: str, metadata: dict, attachments) -> None:
        return None

    def send(self, message) -> str:
        raise NotImplementedError
