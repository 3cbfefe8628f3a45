"""The staff console's inbox pages (issue 11): the list, the conversation page, the fragments its live updates
refetch, and its actions. The live streams and typing are in urls_inbox_live.py."""

from django.urls import path

from .views import inbox, inbox_actions, inbox_canned, inbox_conversation

urlpatterns = [
    path("inbox/", inbox.inbox_list, name="inbox_list"),
    path("inbox/mentions/", inbox_canned.inbox_mentions, name="inbox_mentions"),
    path("inbox/attachments/<uuid:pk>/", inbox_conversation.inbox_attachment, name="inbox_attachment"),
    path("inbox/<uuid:pk>/", inbox_conversation.inbox_conversation, name="inbox_conversation"),
    path("inbox/<uuid:pk>/thread/", inbox_conversation.inbox_thread, name="inbox_thread"),
    path("inbox/<uuid:pk>/messages/<uuid:message_pk>/", inbox_conversation.inbox_message, name="inbox_message"),
    path("inbox/<uuid:pk>/header/", inbox_conversation.inbox_header, name="inbox_header"),
    path("inbox/<uuid:pk>/sidebar/", inbox_conversation.inbox_sidebar, name="inbox_sidebar"),
    path("inbox/<uuid:pk>/canned/", inbox_canned.inbox_canned, name="inbox_canned"),
    path("inbox/<uuid:pk>/reply/", inbox_actions.inbox_reply, name="inbox_reply"),
    path("inbox/<uuid:pk>/status/", inbox_actions.inbox_status, name="inbox_status"),
    path("inbox/<uuid:pk>/assign/", inbox_actions.inbox_assign, name="inbox_assign"),
    path("inbox/<uuid:pk>/labels/", inbox_actions.inbox_labels, name="inbox_labels"),
    path("inbox/<uuid:pk>/priority/", inbox_actions.inbox_priority, name="inbox_priority"),
    path("inbox/<uuid:pk>/ticket/", inbox_actions.inbox_ticket, name="inbox_ticket"),
]
