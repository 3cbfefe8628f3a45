"""Dispatch runs in the staff console (issue 14, item 6): /dispatch/runs/ lists them and starts one (the Celery
task workforce.tasks.dispatch_run_execute solves it), /dispatch/runs/<id>/ follows its progress (htmx polling
while queued or running), then shows the proposal (each technician's route on a map, the assignments, the
unassigned work with the rule that excluded it, the total travel) with Apply and Discard. Applying goes through
services.dispatch.dispatch_run_apply, in one transaction: a stale proposal is refused with the reason shown."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.vary import vary_on_headers

from omni.exceptions import DomainError
from workforce.choices import DispatchRunKind, DispatchRunStatus, Solver
from workforce.models import DispatchRun, SchedulingPolicy, ServiceTerritory
from workforce.services import dispatch as dispatch_services

from ...htmx import wants_partial
from ..helpers import staff_view

LIST = "staff/dispatch/runs.html"
DETAIL = "staff/dispatch/run.html"
VIEW = "workforce.view_dispatchrun"
ADD = "workforce.add_dispatchrun"
CHANGE = "workforce.change_dispatchrun"
PAGE_SIZE = 20
POLL = (DispatchRunStatus.QUEUED, DispatchRunStatus.RUNNING)


class RunForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    territory = forms.ModelChoiceField(
        ServiceTerritory.objects.order_by("name"), label=gettext_lazy("Territory"), required=False
    )
    policy = forms.ModelChoiceField(
        SchedulingPolicy.objects.order_by("name"),
        label=gettext_lazy("Policy"),
        required=False,
        help_text=gettext_lazy("Default: the territory's default policy."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DispatchRunKind.choices, initial="global")
    solver = forms.ChoiceField(label=gettext_lazy("Solver"), choices=Solver.choices, initial=Solver.VROOM)
    time_limit_s = forms.IntegerField(label=gettext_lazy("Time limit (s)"), min_value=1, max_value=240, initial=10)


def _runs_page(request, form: RunForm, status: int = 200):
    runs = (
        DispatchRun.objects.select_related("territory", "policy", "created_by")
        .annotate(assigned=Count("assignments"))
        .order_by("-created_at")
    )
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav_dispatch": True,
        "page": page,
        "form": form,
        "can_start": request.user.has_perm(ADD),
    }
    partial = wants_partial(request) and request.method == "GET"  # the pages' links swap the table only
    return render(request, LIST + ("#run-table" if partial else ""), context, status=status)


@staff_view(VIEW)
@vary_on_headers("HX-Request")
def dispatch_runs(request):
    form = RunForm(initial={"date": timezone.localdate(), "time_limit_s": 10})
    return _runs_page(request, form)


@staff_view([VIEW, ADD], methods=("POST",))
def dispatch_run_start(request):
    """Queues a run (its task is sent after commit) and shows it; a bad field is a 400 naming it."""
    form = RunForm(request.POST)
    if not form.is_valid():
        return _runs_page(request, form, status=400)
    data = form.cleaned_data
    try:
        run = dispatch_services.dispatch_run_create(
            date=data["date"],
            territory=data["territory"],
            policy=data["policy"],
            solver=data["solver"],
            time_limit_s=data["time_limit_s"],
            kind=data["kind"],
            by=request.user,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
        return _runs_page(request, form, status=400)
    return redirect("staff:dispatch_run_detail", pk=run.pk)


def _routes(assignments, zone) -> list[dict]:
    """Per technician (in order of first appearance): home base, then the proposed jobs in order ([lat, lon]);
    `assignments` come ordered by technician and start."""
    routes: dict = {}
    for row in assignments:
        technician = row.technician
        route = routes.get(technician.pk)
        if route is None:
            home = technician.home_base
            route = routes[technician.pk] = {
                "technician": str(technician.pk),
                "name": str(technician),
                "home": [round(home.y, 6), round(home.x, 6)] if home else None,
                "stops": [],
            }
        location = row.work_order.location
        route["stops"].append(
            {
                "at": [round(location.y, 6), round(location.x, 6)] if location else None,
                "number": row.work_order.number,
                "start": row.start.astimezone(zone).strftime("%H:%M"),
                "change": row.change,
            }
        )
    return list(routes.values())


def _detail(request, run_id, *, message: str = "", level: str = "status", status: int = 200):
    run = get_object_or_404(
        DispatchRun.objects.select_related("territory", "policy", "created_by", "applied_by"), pk=run_id
    )
    zone = ZoneInfo(run.territory.time_zone if run.territory else "UTC")
    assignments = []
    if run.status not in POLL:
        assignments = list(
            run.assignments.select_related("work_order", "technician__user").order_by("technician_id", "start")
        )
    context = {
        "nav_dispatch": True,
        "run": run,
        "zone": zone,
        "polling": run.status in POLL,
        "assignments": assignments,
        "routes": _routes(assignments, zone),
        "technicians": len({row.technician_id for row in assignments}),
        "message": message,
        "level": level,
        "can_apply": run.status == DispatchRunStatus.PROPOSED and request.user.has_perm(CHANGE),
        "can_discard": run.status in (DispatchRunStatus.PROPOSED, DispatchRunStatus.QUEUED, DispatchRunStatus.FAILED)
        and request.user.has_perm(CHANGE),
        "board_url": f"{reverse('staff:dispatch_board')}?day={run.date.isoformat()}"
        + (f"&territory={run.territory_id}" if run.territory_id else ""),
    }
    template = DETAIL + ("#run-body" if wants_partial(request) else "")
    return render(request, template, context, status=status)


@staff_view(VIEW)
@vary_on_headers("HX-Request")
def dispatch_run_detail(request, pk):
    return _detail(request, pk)


def _act(request, pk, action, done: str):
    get_object_or_404(DispatchRun.objects.only("pk"), pk=pk)
    try:
        action(run_id=pk, by=request.user)
    except ValidationError as exc:
        reason = " ".join(exc.messages)
        return _detail(request, pk, message=_("Refused: %(r)s") % {"r": reason}, level="alert", status=400)
    except DomainError as exc:
        return _detail(
            request, pk, message=_("Refused: %(r)s") % {"r": exc.message}, level="alert", status=exc.status_code
        )
    return _detail(request, pk, message=done)


@staff_view([VIEW, CHANGE], methods=("POST",))
def dispatch_run_apply(request, pk):
    """Applies the proposal in one transaction; refused (409 / 400, nothing changed) with the reason shown."""
    return _act(request, pk, dispatch_services.dispatch_run_apply, _("The proposal was applied."))


@staff_view([VIEW, CHANGE], methods=("POST",))
def dispatch_run_discard(request, pk):
    return _act(request, pk, dispatch_services.dispatch_run_discard, _("The run was discarded."))
