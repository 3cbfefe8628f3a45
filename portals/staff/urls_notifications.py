"""Staff console routes for notifications (included by portals/staff/urls.py).

Under /notifications/, beside the public unsubscribe link (notifications/urls.py, matched first)."""

from django.urls import path

from .views import notifications

urlpatterns = [
    path("notifications/deliveries/", notifications.delivery_list, name="notification_deliveries"),
    path("notifications/deliveries/<uuid:pk>/", notifications.delivery_detail, name="notification_delivery"),
    path("notifications/deliveries/<uuid:pk>/retry/", notifications.delivery_retry, name="notification_delivery_retry"),
    path("notifications/statistics/", notifications.statistics, name="notification_statistics"),
    path("notifications/templates/", notifications.template_list, name="notification_templates"),
    path("notifications/templates/test/", notifications.template_test_send, name="notification_template_test"),
    path("notifications/preferences/", notifications.preferences, name="notification_preferences"),
]
