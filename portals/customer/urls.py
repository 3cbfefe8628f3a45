"""The customer portal's host (see omni.middleware.HostRoutingMiddleware)."""

from django.urls import include, path

from omni.urls_common import urlpatterns as common

from . import quotes, tickets, views, visits

# No account id in any URL: a customer user sees exactly the account they are linked to.
portal_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("account/", views.my_account, name="my_account"),
    path("tickets/", tickets.ticket_list, name="ticket_list"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<uuid:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<uuid:pk>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path("visits/", visits.visit_list, name="visit_list"),
    path("visits/<uuid:pk>/", visits.visit_detail, name="visit_detail"),
    path("visits/<uuid:pk>/cancel/", visits.visit_cancel, name="visit_cancel"),
    path("visits/<uuid:pk>/reschedule/", visits.visit_reschedule, name="visit_reschedule"),
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/<uuid:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<uuid:pk>/pdf/", quotes.quote_pdf, name="quote_pdf"),
    path("quotes/<uuid:pk>/accept/", quotes.quote_accept, name="quote_accept"),
    path("quotes/<uuid:pk>/reject/", quotes.quote_reject, name="quote_reject"),
    path("", include("portals.customer.urls_chat")),  # the chat with us (issue 11)
    path("", include("portals.customer.urls_notifications")),  # the contact's own channel choices (issue 11)
    # A lead's quote behind a signed, expiring link: no sign-in (crm.services.quote_link_token).
    path("q/<str:token>/", quotes.quote_link, name="quote_link"),
    path("q/<str:token>/pdf/", quotes.quote_link_pdf, name="quote_link_pdf"),
    path("q/<str:token>/accept/", quotes.quote_link_accept, name="quote_link_accept"),
    path("q/<str:token>/reject/", quotes.quote_link_reject, name="quote_link_reject"),
]

urlpatterns = [*common, path("", include((portal_patterns, "customer")))]
