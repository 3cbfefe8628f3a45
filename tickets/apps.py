from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_SLA_READ = [
    "view_businesscalendar",
    "view_businesshours",
    "view_holiday",
    "view_slapolicy",
    "view_slacondition",
    "view_slatarget",
    "view_escalationrule",
]


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")
    # Role -> permission codenames ("<app_label>.<codename>") this app grants; omni.roles gathers every app's
    # after migrate (Admin gets every permission anyway). The API and the console check exactly these.
    # Calendars and SLA policies are configuration: agents and dispatchers read them (to see why a ticket is due
    # when it is), only Admin changes them.
    role_permissions = {
        "Agent": [f"tickets.{codename}" for codename in _SLA_READ],
        "Dispatcher": [f"tickets.{codename}" for codename in _SLA_READ],
    }
