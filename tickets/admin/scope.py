"""The admin honours team access as the console and the API do: staff without tickets.manage_all_tickets see in
the admin only the tickets (and their comments, history, files, clocks and SLA events) that
selectors.ticket_list_visible_to gives them; Admin sees every row, deleted tickets included (to restore them)."""

from .. import selectors
from ..models.desk import ALL_TEAMS


class TicketScopeMixin:
    """`ticket_path`: the lookup from the admin's model to its ticket ("" for the ticket itself)."""

    ticket_path = "ticket"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.has_perm(f"tickets.{ALL_TEAMS}"):
            return rows
        visible = selectors.ticket_list_visible_to(user=request.user).values("pk")
        return rows.filter(**{f"{self.ticket_path}__in" if self.ticket_path else "pk__in": visible})
