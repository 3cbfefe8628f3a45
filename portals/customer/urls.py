"""The customer portal's host (see omni.middleware.HostRoutingMiddleware)."""

from django.urls import include, path

from omni.urls_common import urlpatterns as common

from . import tickets, views

# No account id in any URL: a customer user sees exactly the account they are linked to.
portal_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("account/", views.my_account, name="my_account"),
    path("tickets/", tickets.ticket_list, name="ticket_list"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<uuid:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<uuid:pk>/reply/", tickets.ticket_reply, name="ticket_reply"),
]

urlpatterns = [*common, path("", include((portal_patterns, "customer")))]
