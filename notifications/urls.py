"""What notifications serves on every host under /notifications/ (included by portals/common/urls.py, in its
`notifications:` namespace): the page side of web push and the SMS provider's status callback. Both answer
machines (the page script, the provider), not people, so they stay with the app; the pages (inbox, unsubscribe)
are in portals/common/."""

from django.urls import path

from . import callbacks
from .api import views as push

urlpatterns = [
    # Web push: the page script's subscription endpoint, the VAPID key, the service worker (scope /notifications/push/).
    path("push/subscription/", push.PushSubscriptionPageView.as_view(), name="push_subscription"),
    path("push/config/", push.push_config, name="push_config"),
    path("push/sw.js", push.push_worker, name="push_worker"),
    # Delivery reports from the SMS provider (the StatusCallback given with each message).
    path("sms/status/", callbacks.sms_status, name="sms_status"),
]
