"""The customer portal's visits (issue 14, item 9): the technician visits of the customer's own account, upcoming
and past, each with its arrival window, the technician's first name and its status; cancelling one with a reason
and moving it to another free time of the same technician, both only before the technician is on the way.

Reads go through workforce.selectors_portal (another account's visit is a 404), writes through
workforce.services.visits. Bad input is 422 with the form's errors; a refused change (the technician is on the
way, the time was taken meanwhile) is 409 with the reason."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omni.auth import audience_required
from omni.exceptions import DomainError
from workforce import selectors_portal as selectors
from workforce.services import visits as services

from ..common.ticket_pages import add_service_errors
from .views import _own_account

NAV = {"nav_visits": True}
PAGE_SIZE = 25
INVALID = 422


class VisitCancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you cancel the visit?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("It helps us book a better time with you."),
    )


class VisitRescheduleForm(forms.Form):
    start = forms.DateTimeField(label=gettext_lazy("New time"))


def _visit(request, pk):
    return get_object_or_404(selectors.visit_list_for_customer(user=request.user), pk=pk)


def _with_arrival(visits):
    for visit in visits:
        visit.arrival = selectors.visit_arrival(visit)
    return visits


@require_GET
@audience_required
def visit_list(request):
    """Upcoming visits (soonest first, all of them) and a page of past ones (latest first): three queries."""
    account = _own_account(request.user)
    if account is None:
        return render(request, "customer/visits/list.html", {**NAV, "account": None})
    upcoming, past = selectors.visit_split(selectors.visit_list_for_customer(user=request.user))
    page = Paginator(past, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_arrival(list(page.object_list))
    context = {**NAV, "account": account, "upcoming": _with_arrival(list(upcoming)), "page": page}
    return render(request, "customer/visits/list.html", context)


def _detail(request, visit, *, form=None, error="", status=200):
    visit.arrival = selectors.visit_arrival(visit)
    context = {
        **NAV,
        "visit": visit,
        "changeable": selectors.visit_changeable(visit),
        "form": form or VisitCancelForm(),
        "error": error,
    }
    return render(request, "customer/visits/detail.html", context, status=status)


@require_GET
@audience_required
def visit_detail(request, pk):
    return _detail(request, _visit(request, pk))


@require_POST
@audience_required
def visit_cancel(request, pk):
    visit = _visit(request, pk)
    form = VisitCancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, visit, form=form, status=INVALID)
    try:
        services.visit_cancel(appointment_id=visit.pk, reason=form.cleaned_data["reason"], by=request.user)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _detail(request, visit, form=form, status=INVALID)
    except DomainError as exc:  # the technician is on the way (409)
        return _detail(request, _visit(request, pk), form=form, error=exc.message, status=exc.status_code)
    messages.success(request, _("The visit is cancelled. We will contact you to book a new one."))
    return redirect("customer:visit_detail", pk=visit.pk)


def _days(slots):
    """The offered times grouped by day (the instance's time zone), for the page."""
    local = [(timezone.localtime(slot.start), slot) for slot in slots]
    return [(day, [slot for _, slot in group]) for day, group in groupby(local, key=lambda pair: pair[0].date())]


@require_http_methods(["GET", "POST"])
@audience_required
def visit_reschedule(request, pk):
    """GET: the technician's free times of the next 7 days (services.visits.reschedule_options). POST `start`:
    move the visit there (services.visits.visit_reschedule), then back to the visit (PRG)."""
    visit = _visit(request, pk)
    form, error, status = VisitRescheduleForm(request.POST or None), "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                moved = services.visit_reschedule(
                    appointment_id=visit.pk, start=form.cleaned_data["start"], by=request.user
                )
            except ValidationError as exc:  # outside the shifts or the allowed range (400 from the service)
                add_service_errors(form, exc)
                status = INVALID
            except DomainError as exc:  # taken meanwhile, or the technician is on the way (409)
                error, status = exc.message, exc.status_code
            else:
                when = formats.date_format(timezone.localtime(moved.scheduled.lower), "DATETIME_FORMAT")
                messages.success(request, _("Your visit is moved to %(when)s.") % {"when": when})
                return redirect("customer:visit_detail", pk=visit.pk)
        else:
            status = INVALID
        visit = _visit(request, pk)
    changeable = selectors.visit_changeable(visit)
    visit.arrival = selectors.visit_arrival(visit)
    context = {
        **NAV,
        "visit": visit,
        "changeable": changeable,
        "days": _days(services.reschedule_options(visit)) if changeable else [],
        "form": form,
        "error": error,
    }
    return render(request, "customer/visits/reschedule.html", context, status=status)
