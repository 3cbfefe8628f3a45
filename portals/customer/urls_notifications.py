"""The customer portal's Notifications page (issue 11): the contact's own channel, events and quiet hours."""

from django.urls import path

from . import notifications

urlpatterns = [
    path("notifications/", notifications.notification_settings, name="notifications"),
]
