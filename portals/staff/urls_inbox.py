"""The staff console's inbox pages (issue 11)."""

from django.urls import path

from .views import inbox

urlpatterns = [
    path("inbox/", inbox.inbox_list, name="inbox_list"),
    path("inbox/<uuid:pk>/", inbox.inbox_conversation, name="inbox_conversation"),
]
