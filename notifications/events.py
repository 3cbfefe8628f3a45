"""The events notifications itself emits (catalogue entries; see registry.py)."""

from .choices import Channel
from .registry import DefaultTemplate, register

WEBHOOK_ENDPOINT_DISABLED = "notifications.webhook_endpoint.disabled"

register(
    WEBHOOK_ENDPOINT_DISABLED,
    "A webhook endpoint kept failing and was disabled (sent to its owner)",
    payload=("id", "endpoint_url", "description", "reason", "failures", "disabled_at"),
    channels=(Channel.EMAIL, Channel.INAPP),
    mandatory=True,  # the owner must learn that their integration stopped receiving events
    webhooks=False,  # about an endpoint, to its owner: sending it to the failing endpoint would be pointless
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Webhook endpoint disabled: {{ endpoint_url }}",
            text=(
                "Your webhook endpoint {{ endpoint_url }}{% if description %} ({{ description }}){% endif %} was "
                "disabled at {{ disabled_at }} after {{ failures }} failed deliveries in a row.\n\n"
                "Last error: {{ reason }}\n\n"
                "Fix the receiver, then enable the endpoint again: messages still owed to it are sent then, and "
                "failed ones can be redelivered from its delivery log.\n\n{{ url }}\n"
            ),
        ),
        Channel.INAPP: DefaultTemplate(subject="Webhook endpoint disabled: {{ endpoint_url }}", text="{{ reason }}"),
    },
)
