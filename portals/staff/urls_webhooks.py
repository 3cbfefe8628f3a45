"""Staff console routes for webhooks (included by portals/staff/urls.py)."""

from django.urls import path

from .views import webhooks

urlpatterns = [
    path("webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<uuid:pk>/", webhooks.webhook_detail, name="webhook_detail"),
    path("webhooks/<uuid:pk>/edit/", webhooks.webhook_edit, name="webhook_edit"),
    path("webhooks/<uuid:pk>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<uuid:pk>/test/", webhooks.webhook_test, name="webhook_test"),
    path("webhooks/<uuid:pk>/active/", webhooks.webhook_set_active, name="webhook_set_active"),
    path("webhooks/<uuid:pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path(
        "webhooks/<uuid:pk>/deliveries/<uuid:message_pk>/redeliver/",
        webhooks.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
