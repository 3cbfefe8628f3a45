"""The vendor portal's host (see omni.middleware.HostRoutingMiddleware)."""

from django.urls import include, path

from omni.urls_common import urlpatterns as common

from . import views, work

portal_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("work-orders/", work.work_order_list, name="work_order_list"),
    path("work-orders/<uuid:pk>/", work.work_order_detail, name="work_order_detail"),
    path("crew/", work.crew_list, name="crew_list"),
]

urlpatterns = [*common, path("", include((portal_patterns, "vendor")))]
