"""The staff console's inbox pages (issue 11): the list, the conversation page, the fragments its live updates
refetch, and its actions. The live streams and typing are in urls_inbox_live.py."""

from django.urls import path

from .views import inbox

urlpatterns = [
    path("inbox/", inbox.inbox_list, name="inbox_list"),
    path("inbox/mentions/", inbox.inbox_mentions, name="inbox_mentions"),
    path("inbox/attachments/<uuid:pk>/", inbox.inbox_attachment, name="inbox_attachment"),
    path("inbox/<uuid:pk>/", inbox.inbox_conversation, name="inbox_conversation"),
    path("inbox/<uuid:pk>/thread/", inbox.inbox_thread, name="inbox_thread"),
    path("inbox/<uuid:pk>/messages/<uuid:message_pk>/", inbox.inbox_message, name="inbox_message"),
    path("inbox/<uuid:pk>/header/", inbox.inbox_header, name="inbox_header"),
    path("inbox/<uuid:pk>/sidebar/", inbox.inbox_sidebar, name="inbox_sidebar"),
    path("inbox/<uuid:pk>/canned/", inbox.inbox_canned, name="inbox_canned"),
    path("inbox/<uuid:pk>/reply/", inbox.inbox_reply, name="inbox_reply"),
    path("inbox/<uuid:pk>/status/", inbox.inbox_status, name="inbox_status"),
    path("inbox/<uuid:pk>/assign/", inbox.inbox_assign, name="inbox_assign"),
    path("inbox/<uuid:pk>/labels/", inbox.inbox_labels, name="inbox_labels"),
    path("inbox/<uuid:pk>/priority/", inbox.inbox_priority, name="inbox_priority"),
    path("inbox/<uuid:pk>/ticket/", inbox.inbox_ticket, name="inbox_ticket"),
]
