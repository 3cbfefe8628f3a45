"""The customer portal's host (see omni.middleware.HostRoutingMiddleware)."""

from django.urls import include, path

from omni.urls_common import urlpatterns as common

from . import views

# No account id in any URL: a customer user sees exactly the account they are linked to.
portal_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("account/", views.my_account, name="my_account"),
]

urlpatterns = [*common, path("", include((portal_patterns, "customer")))]
