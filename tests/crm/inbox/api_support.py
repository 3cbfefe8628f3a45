"""What the inbox's API and console tests share: conversations made through the services, and a stand-in thread key
for providers still being built (issue 11: each channel's helper lands its own `thread_for`)."""

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
