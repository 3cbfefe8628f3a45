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


# Agents work tickets (their teams', or every team's with Admin's tickets.manage_all_tickets); dispatchers read
# them. Which teams' tickets each sees is the selectors' business (members and guardian object permissions).
_DESK_AGENT = [
    "view_ticket", "add_ticket", "change_ticket", "view_team", "view_ticketcomment", "add_ticketcomment",
    "view_ticketstatuschange", "view_ticketattachment", "add_ticketattachment", "view_slaclock", "view_slaevent",
    "view_macro", "view_savedview", "add_savedview", "change_savedview", "delete_savedview",
]  # fmt: skip
_DESK_READ = [
    "view_ticket", "view_team", "view_ticketcomment", "view_ticketstatuschange", "view_ticketattachment",
    "view_slaclock", "view_slaevent",
]  # fmt: skip


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")
    # Role -> permission codenames ("<app_label>.<codename>") this app grants; omni.roles gathers every app's
    # after migrate (Admin gets every permission anyway). The API and the console check exactly these.
    # Calendars and SLA policies are configuration: agents and dispatchers read them (to see why a ticket is due
    # when it is), only Admin changes them.
    role_permissions = {
        "Agent": [f"tickets.{codename}" for codename in [*_SLA_READ, *_DESK_AGENT]],
        "Dispatcher": [f"tickets.{codename}" for codename in [*_SLA_READ, *_DESK_READ]],
    }
