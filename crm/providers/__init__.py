"""Channel providers of the inbox: what is particular to email, SMS, WhatsApp and web chat. A provider parses
nothing into the database itself (the webhooks in crm.hooks parse, services store); it validates and sends.

Every provider module offers a `Provider` with:
- `inline`: True when sending needs no network (web chat: publishing is delivery), so it runs in the request;
- `thread_for(contact) -> str`: the thread key of a new outbound conversation with the contact (ValidationError
  naming `contact` when the contact has no address on this channel);
- `validate(conversation, *, body, metadata, attachments)`: refuse a reply the channel cannot take
  (ValidationError naming the field), e.g. WhatsApp outside the 24-hour window without a template;
- `send(message) -> str`: deliver one outbound message; returns the provider's message id. Raises
  notifications.channels.base.TransientError (retried) or PermanentError (the message fails).
"""

from __future__ import annotations

from ..choices import ChannelKind


def for_channel(channel):
    """The provider of the channel's kind."""
    from . import email, sms, webchat, whatsapp

    modules = {
        ChannelKind.EMAIL: email,
        ChannelKind.SMS: sms,
        ChannelKind.WHATSAPP: whatsapp,
        ChannelKind.WEBCHAT: webchat,
    }
    return modules[channel.kind].Provider(channel)
