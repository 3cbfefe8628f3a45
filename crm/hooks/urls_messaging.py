"""`/hooks/` routes of the SMS and WhatsApp channels (crm.hooks.messaging), and `/hooks/ping/`, the empty view
bench/inbound_webhooks.py measures as the floor."""

from django.urls import path

from . import messaging

urlpatterns = [
    path("ping/", messaging.ping, name="ping"),
    path("sms/<uuid:channel_id>/", messaging.sms_inbound, name="sms_inbound"),
    path("sms/<uuid:channel_id>/status/", messaging.sms_status, name="sms_status"),
    path("whatsapp/<uuid:channel_id>/", messaging.whatsapp_hook, name="whatsapp"),
]
