"""The reseller portal's support pages: the tickets of the reseller's accounts (tickets.selectors), opening one on
one of those accounts, and the public conversation with its reply form. Another reseller's ticket is a 404."""

from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from crm import selectors as crm_selectors
from omni.auth import audience_required

from ..common import ticket_pages

NAV = {"nav_tickets": True, "ns": "reseller", "show_account": True}


def _accounts(request):
    """The reseller's live accounts, as the account choices of the filter and the form."""
    accounts = crm_selectors.account_list_visible_to(user=request.user)
    return accounts.select_related(None).only("id", "number", "name").order_by("name", "number")


@require_GET
@vary_on_headers("HX-Request")
@audience_required
def ticket_list(request):
    return ticket_pages.ticket_list(
        request, template="reseller/tickets/list.html", context=NAV, accounts=_accounts(request)
    )


@require_http_methods(["GET", "POST"])
@audience_required
def ticket_new(request):
    # ?account=<id> (the account page's "Open a ticket") preselects it; the form accepts only the reseller's.
    return ticket_pages.ticket_open(
        request,
        account_id=None,
        template="reseller/tickets/new.html",
        detail="reseller:ticket_detail",
        context=NAV,
        accounts=_accounts(request),
        initial={"account": request.GET.get("account")},
    )


@require_GET
@audience_required
def ticket_detail(request, pk):
    ticket = ticket_pages.visible_ticket(request, pk)
    return render(request, "reseller/tickets/detail.html", {**NAV, **ticket_pages.ticket_context(request, ticket)})


@require_POST
@vary_on_headers("HX-Request")
@audience_required
def ticket_reply(request, pk):
    return ticket_pages.ticket_reply(
        request, pk, template="reseller/tickets/detail.html", detail="reseller:ticket_detail", context=NAV
    )
