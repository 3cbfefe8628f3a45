"""Reseller portal pages: the accounts of the signed-in user's reseller, read through crm.selectors."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from crm import selectors as crm_selectors
from crm.choices import AccountStatus
from omni.auth import audience_required
from tickets import selectors as ticket_selectors

from ..htmx import wants_partial
from .filters import ResellerAccountFilterSet

PAGE_SIZE = 25


@require_GET
@audience_required
def dashboard(request):
    counts = crm_selectors.account_counts_by_status(user=request.user)
    statuses = [
        {"value": value, "label": label, "count": counts.get(value, 0)} for value, label in AccountStatus.choices
    ]
    context = {
        "nav_dashboard": True,
        "reseller": crm_selectors.reseller_list_visible_to(user=request.user).first(),
        "statuses": statuses,
        "total": sum(counts.values()),
        "open_tickets": ticket_selectors.ticket_open_count(user=request.user),
    }
    return render(request, "reseller/dashboard.html", context)


@require_GET
@vary_on_headers("HX-Request")
@audience_required
def account_list(request):
    queryset = crm_selectors.account_list_visible_to(user=request.user).order_by("name", "number")
    filters = ResellerAccountFilterSet(request.GET or None, queryset=queryset)
    valid = filters.is_valid() if filters.is_bound else True
    # Invalid filters: the form shows field and reason, the table stays empty (422, swapped by htmx-config).
    page = Paginator(filters.qs if valid else queryset.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "reseller/account_list.html" + ("#account-table" if wants_partial(request) else "")
    context = {"nav_accounts": True, "filters": filters, "page": page, "valid": valid}
    return render(request, template, context, status=200 if valid else 422)


@require_GET
@audience_required
def account_detail(request, pk):
    # Scoped by the selector: another reseller's account is a 404, never a 403 that confirms it exists.
    account = get_object_or_404(crm_selectors.account_list_visible_to(user=request.user), pk=pk)
    contacts = crm_selectors.account_contacts(account=account)
    return render(
        request, "reseller/account_detail.html", {"nav_accounts": True, "account": account, "contacts": contacts}
    )
