"""Served on every host under /notifications/ (omni/urls_common.py): each portal's bell and inbox, the page side
of web push, the unsubscribe link and the SMS provider's status callback."""

from django.urls import path

from . import callbacks, inbox, views
from .api import views as push

app_name = "notifications"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # In-app notifications: the bell (count, panel) and the full list.
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/count/", inbox.bell_count, name="bell_count"),
    path("inbox/panel/", inbox.bell_panel, name="bell_panel"),
    path("inbox/read-all/", inbox.mark_all_read, name="inbox_read_all"),
    path("inbox/<uuid:pk>/read/", inbox.mark_read, name="inbox_read"),
    path("inbox/<uuid:pk>/open/", inbox.open_notification, name="inbox_open"),
    # Web push: the page script's subscription endpoint, the VAPID key, the service worker (scope /notifications/push/).
    path("push/subscription/", push.PushSubscriptionPageView.as_view(), name="push_subscription"),
    path("push/config/", push.push_config, name="push_config"),
    path("push/sw.js", push.push_worker, name="push_worker"),
    # Delivery reports from the SMS provider (the StatusCallback given with each message).
    path("sms/status/", callbacks.sms_status, name="sms_status"),
]
