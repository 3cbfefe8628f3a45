"""The customer portal's support pages: the tickets of the customer's own account (tickets.selectors), opening one,
and the public conversation with its reply form. No account id in any URL; another account's ticket is a 404."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from omni.auth import audience_required

from ..common import ticket_pages
from .views import _own_account

NAV = {"nav_tickets": True, "ns": "customer"}


@require_GET
@vary_on_headers("HX-Request")
@audience_required
def ticket_list(request):
    return ticket_pages.ticket_list(request, template="customer/tickets/list.html", context=NAV)


@require_http_methods(["GET", "POST"])
@audience_required
def ticket_new(request):
    account = _own_account(request.user)
    if account is None:
        if request.method == "POST":
            raise Http404
        return render(request, "customer/tickets/new.html", {**NAV, "account": None})
    context = {**NAV, "account": account}
    return ticket_pages.ticket_open(
        request,
        account_id=account.pk,
        template="customer/tickets/new.html",
        detail="customer:ticket_detail",
        context=context,
    )


@require_GET
@audience_required
def ticket_detail(request, pk):
    ticket = ticket_pages.visible_ticket(request, pk)
    return render(request, "customer/tickets/detail.html", {**NAV, **ticket_pages.ticket_context(request, ticket)})


@require_POST
@vary_on_headers("HX-Request")
@audience_required
def ticket_reply(request, pk):
    return ticket_pages.ticket_reply(
        request, pk, template="customer/tickets/detail.html", detail="customer:ticket_detail", context=NAV
    )
