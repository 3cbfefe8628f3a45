"""The reseller portal's host (see omni.middleware.HostRoutingMiddleware)."""

from django.urls import include, path

from omni.urls_common import urlpatterns as common

from . import leads, quotes, tickets, views

portal_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/<uuid:pk>/", views.account_detail, name="account_detail"),
    path("accounts/", views.account_list, name="account_list"),
    path("tickets/", tickets.ticket_list, name="ticket_list"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<uuid:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<uuid:pk>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/new/", leads.lead_new, name="lead_new"),
    path("leads/<uuid:pk>/", leads.lead_detail, name="lead_detail"),
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/<uuid:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<uuid:pk>/pdf/", quotes.quote_pdf, name="quote_pdf"),
]

urlpatterns = [*common, path("", include((portal_patterns, "reseller")))]
