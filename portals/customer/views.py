"""Customer portal pages. Every read goes through crm.selectors scoped to the signed-in customer."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm import selectors as crm_selectors
from omni.auth import audience_required
from tickets import selectors as ticket_selectors
from workforce import selectors_portal as visit_selectors


def _own_account(user):
    """The customer's one live account, or None (unlinked user, or the account was deleted)."""
    return crm_selectors.account_list_visible_to(user=user).first()


@require_GET
@audience_required
def dashboard(request):
    account = _own_account(request.user)
    open_tickets = ticket_selectors.ticket_open_count(user=request.user) if account else 0
    next_visit = None
    if account:
        upcoming, _past = visit_selectors.visit_split(visit_selectors.visit_list_for_customer(user=request.user))
        next_visit = upcoming.first()
        if next_visit is not None:
            next_visit.arrival = visit_selectors.visit_arrival(next_visit)
    context = {"nav_dashboard": True, "account": account, "open_tickets": open_tickets, "next_visit": next_visit}
    return render(request, "customer/dashboard.html", context)


@require_GET
@audience_required
def my_account(request):
    account = _own_account(request.user)
    contacts = crm_selectors.account_contacts(account=account) if account else []
    location = None
    if account is not None and account.location is not None:
        location = {"lat": account.location.y, "lon": account.location.x, "label": account.service_address}
    context = {
        "nav_my_account": True,
        "account": account,
        "contacts": contacts,
        "location": location,
    }
    return render(request, "customer/my_account.html", context)
