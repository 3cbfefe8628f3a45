"""/api/v1/notifications/."""

from omni.api.routers import Router

from .views import (
    DeliveryViewSet,
    EventTypeViewSet,
    NotificationViewSet,
    PushSubscriptionViewSet,
    WebhookEndpointViewSet,
)

router = Router()
router.register("deliveries", DeliveryViewSet, basename="delivery")  # deliveries/, deliveries/stats/
router.register("event-types", EventTypeViewSet, basename="event-type")
router.register("inbox", NotificationViewSet, basename="notification")  # inbox/, {id}/mark-read/, mark-all-read/
router.register("push-subscriptions", PushSubscriptionViewSet, basename="push-subscription")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = router.urls
