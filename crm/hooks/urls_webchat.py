"""`/hooks/webchat/<channel id>/`: the web chat widget's public endpoints (crm.hooks.webchat). In production the
load balancer sends `/hooks/webchat/*/live/` to the `live` process (README, "Live updates")."""

from django.urls import path

from . import webchat

urlpatterns = [
    path("webchat/<uuid:channel_id>/config/", webchat.config, name="webchat_config"),
    path("webchat/<uuid:channel_id>/session/", webchat.session, name="webchat_session"),
    path("webchat/<uuid:channel_id>/messages/", webchat.messages, name="webchat_messages"),
    path("webchat/<uuid:channel_id>/live/", webchat.live_stream, name="webchat_live"),
    path("webchat/<uuid:channel_id>/demo/", webchat.demo, name="webchat_demo"),
]
