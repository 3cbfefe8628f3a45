"""The customer portal's host (see omni.middleware.HostRoutingMiddleware)."""

from django.urls import include, path

from omni.urls_common import urlpatterns as common

from . import views

portal_patterns = [
    path("", views.dashboard, name="dashboard"),
]

urlpatterns = [*common, path("", include((portal_patterns, "customer")))]
