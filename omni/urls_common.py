"""Routes every host serves: sign-in (allauth, MFA), health, metrics, language switch, inboxes, attachments."""

from django.urls import include, path

from . import auth, views

urlpatterns = [
    path("accounts/email/", auth.email_change, name="account_email"),  # before allauth's own, which it wraps
    path("accounts/", include("allauth.urls")),
    path("health/", views.health_view, name="health"),
    path("metrics", views.metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notifications/", include("portals.common.urls")),  # inbox, unsubscribe, push, sms
    path("attachments/", include("portals.common.attachments")),  # ticket files, for whoever may see them
]
