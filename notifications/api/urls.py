"""/api/v1/notifications/: each part adds its routes here."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("notifications.api.deliveries")),  # deliveries/, deliveries/stats/
    path("", include("notifications.api.event_types")),  # event-types/, event-types/{key}/
    path("", include("notifications.api.inbox")),  # inbox/, inbox/{id}/mark-read/, inbox/mark-all-read/
    path("", include("notifications.api.push")),  # push-subscriptions/
    path("", include("notifications.api.webhooks")),  # webhook-endpoints/, …/{id}/deliveries/, …/rotate-secret/
]
