"""The reseller portal's host (see omni.middleware.HostRoutingMiddleware)."""

from django.urls import include, path

from omni.urls_common import urlpatterns as common

from . import views

portal_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/<uuid:pk>/", views.account_detail, name="account_detail"),
    path("accounts/", views.account_list, name="account_list"),
]

urlpatterns = [*common, path("", include((portal_patterns, "reseller")))]
