"""The staff console's ticket pages: queues and list, saved views, bulk actions, the ticket page and its forms, the
SLA dashboard and report."""

from django.urls import path

from .views import tickets, tickets_detail, tickets_reports

urlpatterns = [
    path("tickets/", tickets.ticket_list, name="ticket_list"),
    path("tickets/bulk/", tickets.ticket_bulk, name="ticket_bulk"),
    path("tickets/views/", tickets.saved_view_create, name="ticket_view_create"),
    path("tickets/views/<uuid:pk>/delete/", tickets.saved_view_delete, name="ticket_view_delete"),
    path("tickets/dashboard/", tickets_reports.ticket_dashboard, name="ticket_dashboard"),
    path("tickets/sla-report/", tickets_reports.sla_report, name="ticket_sla_report"),
    path("tickets/<uuid:pk>/", tickets_detail.ticket_detail, name="ticket_detail"),
    path("tickets/<uuid:pk>/reply/", tickets_detail.ticket_reply, name="ticket_reply"),
    path("tickets/<uuid:pk>/status/", tickets_detail.ticket_status, name="ticket_status"),
    path("tickets/<uuid:pk>/edit/", tickets_detail.ticket_edit, name="ticket_edit"),
    path("tickets/<uuid:pk>/macro/", tickets_detail.ticket_macro, name="ticket_macro"),
]
