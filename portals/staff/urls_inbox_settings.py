"""The inbox's settings pages (channels, inbox teams, labels, canned replies) and the start and merge pages of
conversations (issue 11)."""

from django.urls import path

from .views import inbox_settings as views

urlpatterns = [
    path("inbox/new/", views.conversation_start, name="inbox_start"),
    path("inbox/<uuid:pk>/merge/", views.conversation_merge, name="inbox_merge"),
    path("inbox/settings/channels/", views.channel_list, name="inbox_channels"),
    path("inbox/settings/channels/new/<str:kind>/", views.channel_create, name="inbox_channel_create"),
    path("inbox/settings/channels/<uuid:pk>/", views.channel_edit, name="inbox_channel_edit"),
    path("inbox/settings/channels/<uuid:pk>/rotate/", views.channel_rotate, name="inbox_channel_rotate"),
    path("inbox/settings/channels/<uuid:pk>/delete/", views.channel_delete, name="inbox_channel_delete"),
    path("inbox/settings/teams/", views.team_list, name="inbox_teams"),
    path("inbox/settings/teams/new/", views.team_edit, name="inbox_team_create"),
    path("inbox/settings/teams/<uuid:pk>/", views.team_edit, name="inbox_team_edit"),
    path("inbox/settings/teams/<uuid:pk>/delete/", views.team_delete, name="inbox_team_delete"),
    path("inbox/settings/labels/", views.label_list, name="inbox_labels"),
    path("inbox/settings/labels/new/", views.label_edit, name="inbox_label_create"),
    path("inbox/settings/labels/<uuid:pk>/", views.label_edit, name="inbox_label_edit"),
    path("inbox/settings/labels/<uuid:pk>/delete/", views.label_delete, name="inbox_label_delete"),
    path("inbox/settings/canned-replies/", views.canned_list, name="inbox_canned"),
    path("inbox/settings/canned-replies/new/", views.canned_create, name="inbox_canned_create"),
    path("inbox/settings/canned-replies/<uuid:pk>/", views.canned_edit, name="inbox_canned_edit"),
    path("inbox/settings/canned-replies/<uuid:pk>/delete/", views.canned_delete, name="inbox_canned_delete"),
]
