"""The dispatch board (/dispatch/): a day's Gantt of technicians x hours, the unassigned work orders beside it and
the day's routes on a map. A block dropped on a row is posted to dispatch_drop (htmx), which moves or books it
through the workforce services and answers the board again: with the change, or unchanged (the block back where
it was) and the reason it was refused."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.vary import vary_on_headers

from omni.exceptions import DomainError
from workforce import services
from workforce.models import Appointment, Technician, WorkOrder
from workforce.selectors_board import dispatch_board as board_read

from ...htmx import wants_partial
from ..helpers import INVALID, staff_view

TEMPLATE = "staff/dispatch/board.html"
VIEW = "workforce.view_dispatchrun"  # dispatching, not a technician's read of their own day


class BoardFilters(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    territory = forms.UUIDField(label=gettext_lazy("Territory"), required=False)
    skill = forms.SlugField(label=gettext_lazy("Skill"), required=False)


class DropForm(forms.Form):
    """A drop (`start` from the drag) or the keyboard's move form (`item` = "appointment:<id>" or
    "work_order:<id>", `at` a time of the board's day in the technician's time zone)."""

    technician = forms.ModelChoiceField(Technician.objects.filter(active=True).select_related("user"))
    start = forms.DateTimeField(required=False)
    day = forms.DateField(required=False)
    at = forms.TimeField(required=False)
    appointment = forms.ModelChoiceField(Appointment.objects.select_related("work_order"), required=False)
    work_order = forms.ModelChoiceField(WorkOrder.objects.all(), required=False)

    def __init__(self, data):
        data = data.copy()
        kind, _sep, pk = data.pop("item", [""])[0].partition(":")
        if kind in ("appointment", "work_order"):
            data[kind] = pk
        super().__init__(data)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if (data.get("appointment") is None) == (data.get("work_order") is None):
            raise ValidationError({"appointment": _("Give an appointment or a work order.")})
        if data.get("start") is None:
            if data.get("at") is None or data.get("day") is None:
                raise ValidationError({"start": _("Give the start (or a day and a time).")})
            zone = ZoneInfo(data["technician"].time_zone)
            data["start"] = datetime.combine(data["day"], data["at"], tzinfo=zone)
        return data


def _errors_text(form) -> str:
    return "; ".join(f"{name}: {' '.join(texts)}" for name, texts in form.errors.items())


def _render(request, data, *, message: str = "", level: str = "status", status: int = 200, partial: bool):
    """The board for `data`'s filters (GET or the drop's POST); a bad filter is a 400 naming it."""
    filters = BoardFilters(data)
    if not filters.is_valid():
        return HttpResponse(_errors_text(filters), status=400, content_type="text/plain; charset=utf-8")
    day = filters.cleaned_data["day"] or timezone.localdate()
    board = board_read(
        day=day, territory_id=filters.cleaned_data["territory"], skill_code=filters.cleaned_data["skill"]
    )
    context = {
        "nav_dispatch": True,
        "board": board,
        "day": day,
        "territory": str(filters.cleaned_data["territory"] or ""),
        "skill": filters.cleaned_data["skill"] or "",
        "message": message,
        "level": level,
        "can_move": request.user.has_perm("workforce.change_appointment"),
        "can_optimise": request.user.has_perm("workforce.add_dispatchrun"),
    }
    template = TEMPLATE + ("#dispatch-board" if partial else "")
    return render(request, template, context, status=status)


@staff_view(VIEW)
@vary_on_headers("HX-Request")
def dispatch_board(request):
    return _render(request, request.GET, partial=wants_partial(request))


@staff_view([VIEW, "workforce.change_appointment"], methods=("POST",))
def dispatch_drop(request):
    """Moves an appointment, or books a work order, on a technician's row from `start`. Answers the board: 200 with
    the change; 409 (an overlap, a status that cannot move) or 422 (outside a shift, time off, a missing skill,
    an excluded technician) unchanged, with the reason; 400 naming a malformed field."""
    partial = wants_partial(request)  # the place form without JavaScript gets the whole page
    form = DropForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_errors_text(form), status=400, content_type="text/plain; charset=utf-8")
    data = form.cleaned_data
    technician, appointment, work_order = data["technician"], data["appointment"], data["work_order"]
    number = appointment.work_order.number if appointment else work_order.number
    try:
        placed = services.appointment_place(
            technician=technician,
            start=data["start"],
            appointment_id=appointment.pk if appointment else None,
            work_order_id=work_order.pk if work_order else None,
            by=request.user,
        )
    except ValidationError as exc:
        reason = " ".join(exc.messages)
        message = _("%(number)s not placed: %(reason)s") % {"number": number, "reason": reason}
        return _render(request, request.POST, message=message, level="alert", status=INVALID, partial=partial)
    except DomainError as exc:
        message = _("%(number)s not placed: %(reason)s") % {"number": number, "reason": exc.message}
        return _render(request, request.POST, message=message, level="alert", status=exc.status_code, partial=True)
    zone = ZoneInfo(technician.time_zone)
    message = _("%(number)s placed with %(technician)s at %(start)s.") % {
        "number": number,
        "technician": technician,
        "start": placed.scheduled.lower.astimezone(zone).strftime("%H:%M"),
    }
    return _render(request, request.POST, message=message, partial=partial)
