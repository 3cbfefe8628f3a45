"""What the inbox's API and console tests share: conversations made through the services, and a stand-in thread key
for providers still being built (issue 11: each channel's helper lands its own `thread_for`)."""

import pytest
from django.core.exceptions import ValidationError

from crm import services
from crm.services.inbox import Inbound

API = "/api/v1/crm/"


def receive(channel, *, thread: str, external_id: str, body: str = "Hello", **contact):
    """A customer's message on `channel` (as a webhook would store it); returns the message."""
    sender = services.contact_resolve(**contact)
    message, _created = services.inbound_receive(
        channel=channel, sender=sender, inbound=Inbound(thread_key=thread, external_id=external_id, body=body)
    )
    return message


@pytest.fixture
def phone_threads(monkeypatch):
    """Outbound SMS and WhatsApp conversations are keyed by the contact's E.164 number. Until the messaging helper's
    providers land on main (crm.providers.sms/whatsapp define thread_for), stand in with that rule; once they do,
    their own thread_for is used untouched."""
    from crm.providers import base, sms, whatsapp

    def thread_for(self, contact):
        if not contact.phone:
            raise ValidationError({"contact": ["The contact has no phone number."]})
        return str(contact.phone)

    for module in (sms, whatsapp):
        if module.Provider.thread_for is base.BaseProvider.thread_for:
            monkeypatch.setattr(module.Provider, "thread_for", thread_for)
