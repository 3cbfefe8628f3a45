"""/notifications/ on every host (omni/urls_common.py): the in-app inbox and the bell, the unsubscribe link, and
(notifications/urls.py, included here) the page side of web push and the SMS provider's status callback.

One namespace for all of them, `notifications:` (e.g. notifications:inbox, notifications:unsubscribe,
notifications:sms_status), as the messages that carry these links have always reversed them."""

from django.urls import include, path

from . import views

app_name = "notifications"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # In-app notifications: the bell (count, panel) and the full list.
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/count/", views.bell_count, name="bell_count"),
    path("inbox/panel/", views.bell_panel, name="bell_panel"),
    path("inbox/read-all/", views.mark_all_read, name="inbox_read_all"),
    path("inbox/<uuid:pk>/read/", views.mark_read, name="inbox_read"),
    path("inbox/<uuid:pk>/open/", views.open_notification, name="inbox_open"),
    path("", include("notifications.urls")),
]
