"""The inbox's live streams (Server-Sent Events) and typing indicators (issue 11). In production a load-balancer
rule sends /inbox/live/ and /inbox/<id>/live/ to the `live` process (ASGI): README, "Live updates"."""

from django.urls import path

from .views import inbox_live

urlpatterns = [
    path("inbox/live/", inbox_live.inbox_live, name="inbox_live"),
    path("inbox/<uuid:pk>/live/", inbox_live.conversation_live, name="inbox_conversation_live"),
    path("inbox/<uuid:pk>/typing/", inbox_live.conversation_typing, name="inbox_conversation_typing"),
]
