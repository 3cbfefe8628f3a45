"""`/hooks/email/<channel-uuid>/`: raw RFC 822 messages from an MTA (crm.hooks.email)."""

from django.urls import path

from . import email

urlpatterns = [
    path("email/<uuid:channel_id>/", email.email_inbound, name="email-inbound"),
]
