"""Notifications in the staff console: the delivery log, per-event statistics, templates with a test send, and
each staff member's own preferences (channels per event, quiet hours)."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from notifications import registry, rendering, selectors, services
from notifications.api.filters import STATISTICS_DAYS, DeliveryFilterSet, DeliveryStatisticsFilterSet
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Template
from notifications.recipients import Recipient
from notifications.selectors import (
    LIST_COLUMNS_DEFERRED,
    delivery_list_visible_to,
    delivery_statistics,
    status_legend,
)
from omni.api.pagination import cursor_page
from omni.auth import audience_required
from omni.exceptions import DomainError

from ...htmx import wants_partial
from ..helpers import INVALID

PAGE_SIZE = 50


# ---- delivery log -------------------------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@audience_required
@permission_required("notifications.view_delivery", raise_exception=True)
def delivery_list(request):
    """Every message sent to a person, newest first, paged by cursor (no count); filters by event, channel, status,
    dates and recipient."""
    queryset = delivery_list_visible_to(user=request.user).defer(*LIST_COLUMNS_DEFERRED)
    filters = DeliveryFilterSet(request.GET, queryset=queryset, request=request)
    valid = filters.is_valid()
    page = cursor_page(filters.qs if valid else queryset.none(), request, page_size=PAGE_SIZE)
    partial = wants_partial(request)
    context = {
        "filters": filters,
        "page": page,
        "events": registry.choices(),
        "channels": Channel.choices,
        "statuses": DeliveryStatus.choices,
        "nav_notifications": True,
        "tab": "deliveries",
    }
    template = "staff/notifications/deliveries.html" + ("#delivery-table" if partial else "")
    return render(request, template, context, status=200 if valid else (INVALID if partial else 400))


@require_GET
@audience_required
@permission_required("notifications.view_delivery", raise_exception=True)
def delivery_detail(request, pk):
    delivery = get_object_or_404(delivery_list_visible_to(user=request.user), pk=pk)
    context = {
        "delivery": delivery,
        "attempt_lines": [line for line in delivery.attempt_log_text.splitlines() if line.strip()],
        "nav_notifications": True,
        "tab": "deliveries",
    }
    return render(request, "staff/notifications/delivery_detail.html", context)


@require_POST
@audience_required
@permission_required("notifications.change_delivery", raise_exception=True)
def delivery_retry(request, pk):
    delivery = get_object_or_404(delivery_list_visible_to(user=request.user), pk=pk)
    try:
        services.delivery_retry(delivery_id=delivery.pk, by=request.user)
    except DomainError as exc:  # the rule is the service's: only a failed delivery is sent again
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The delivery is queued to be sent again."))
    return redirect("staff:notification_delivery", pk=delivery.pk)


# ---- statistics ---------------------------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@audience_required
@permission_required("notifications.view_delivery", raise_exception=True)
def statistics(request):
    """Deliveries per event and status (one GROUP BY query), as a table and bars; the last 30 days unless dates
    are chosen."""
    queryset = delivery_list_visible_to(user=request.user)
    filters = DeliveryStatisticsFilterSet(request.GET, queryset=queryset, request=request)
    valid = filters.is_valid()
    rows = delivery_statistics(filters.qs) if valid else []
    partial = wants_partial(request)
    context = {
        "filters": filters,
        "rows": rows,
        "legend": status_legend(),
        "default_from": filters.default_from,
        "default_days": STATISTICS_DAYS,
        "events": registry.choices(),
        "channels": Channel.choices,
        "nav_notifications": True,
        "tab": "statistics",
    }
    template = "staff/notifications/statistics.html" + ("#statistics-panel" if partial else "")
    return render(request, template, context, status=200 if valid else (INVALID if partial else 400))


# ---- templates ----------------------------------------------------------------------------------------------------


def _template_rows(templates) -> list[dict]:
    """One row per event and channel that has something to send: the app's shipped default and the
    languages edited in the admin."""
    edited: dict[tuple[str, str], list] = {}
    for template in templates:
        edited.setdefault((template.event, template.channel), []).append(template)
    rows = []
    for event in registry.all_events():
        channels = set(event.templates) | {channel for (key, channel) in edited if key == event.key}
        for channel in [c for c in Channel.values if c in channels]:
            rows.append(
                {
                    "event": event,
                    "channel": channel,
                    "channel_label": Channel(channel).label,
                    "shipped": channel in event.templates,
                    "edited": edited.get((event.key, channel), []),
                }
            )
    return rows


@require_GET
@audience_required
@permission_required("notifications.view_template", raise_exception=True)
def template_list(request):
    """What each event sends on each channel; a test send of each to yourself; editing is in the admin."""
    templates = Template.objects.only("id", "event", "channel", "language", "is_active").order_by("language")
    context = {
        "rows": _template_rows(templates),
        "nav_notifications": True,
        "tab": "templates",
    }
    return render(request, "staff/notifications/templates.html", context)


@require_POST
@audience_required
@permission_required("notifications.change_template", raise_exception=True)
def template_test_send(request):
    """Send the template in use for this event and channel (in your language) to yourself, now."""
    event, channel = request.POST.get("event", ""), request.POST.get("channel", "")
    errors, delivery = {}, None
    try:
        picked = rendering.pick_template(event=event, channel=channel, language=request.user.language)
    except LookupError as exc:
        errors, picked = {"event": [str(exc)]}, None
    if picked is None and not errors:
        errors = {"channel": [_("%(event)s has no %(channel)s template.") % {"event": event, "channel": channel}]}
    if picked is not None:
        subject, text, html, _language = picked
        try:
            delivery = services.template_test_send(
                user=request.user, event=event, channel=channel, subject=subject, text=text, html=html
            )
        except ValidationError as exc:
            errors = exc.message_dict
    if wants_partial(request):
        context = {"errors": errors, "delivery": delivery, "target": request.POST.get("target", "")}
        return render(request, "staff/notifications/_test_result.html", context, status=INVALID if errors else 200)
    if errors:
        messages.error(
            request, "; ".join(f"{name}: {reason}" for name, reasons in errors.items() for reason in reasons)
        )
    elif delivery.status == DeliveryStatus.SENT:
        messages.success(request, _("Test sent to %(address)s.") % {"address": delivery.address})
    else:
        messages.warning(
            request,
            _("Test %(status)s: %(reason)s") % {"status": delivery.get_status_display(), "reason": delivery.reason},
        )
    return redirect("staff:notification_templates")


# ---- my preferences -----------------------------------------------------------------------------------------------


def _time_zones(mine: str = ""):
    """Quiet hours' time zones: empty first, which is the person's own (My profile), else the instance's."""
    if mine:
        blank = gettext_lazy("Mine, from my profile (%(tz)s)") % {"tz": mine}
    else:
        blank = gettext_lazy("The instance's (%(tz)s)") % {"tz": settings.TIME_ZONE}
    return [("", blank)] + [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class QuietHoursForm(forms.Form):
    quiet_enabled = forms.BooleanField(label=gettext_lazy("Quiet hours"), required=False)
    quiet_start = forms.TimeField(
        label=gettext_lazy("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_end = forms.TimeField(
        label=gettext_lazy("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=_time_zones, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("quiet_enabled"):
            for name in ("quiet_start", "quiet_end"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Give a time, or switch quiet hours off."))
            start, end = cleaned.get("quiet_start"), cleaned.get("quiet_end")
            if start is not None and start == end:
                self.add_error("quiet_end", _("The quiet hours must end at another time than they start."))
        return cleaned

    def quiet(self):
        data = self.cleaned_data
        if not data.get("quiet_enabled"):
            return None
        return data["quiet_start"], data["quiet_end"], data.get("quiet_time_zone", "")


def _matrix_rows(matrix: dict, request) -> dict:
    """Cells aligned with the channel columns (None where the event has no such channel); after a refused
    POST, the choices as submitted rather than as stored."""
    posted = request.method == "POST"
    on = set(request.POST.getlist("on")) if posted else set()
    channel_on = set(request.POST.getlist("channel_on")) if posted else set()
    rows = []
    for row in matrix["events"]:
        by_channel = {cell["channel"]: cell for cell in row["cells"]}
        columns = []
        for channel in Channel.values:
            cell = by_channel.get(channel)
            if cell is not None:
                cell = {**cell, "value": f"{row['event'].key}|{channel}", "label": Channel(channel).label}
                if posted and not cell["locked"]:
                    cell["enabled"] = cell["value"] in on
            columns.append(cell)
        rows.append({"event": row["event"], "columns": columns})
    every = [
        {"channel": channel, "label": label, "enabled": (channel in channel_on) if posted else matrix["all"][channel]}
        for channel, label in Channel.choices
    ]
    return {"all": every, "events": rows}


@require_http_methods(["GET", "POST"])
@audience_required
def preferences(request):
    """My notification preferences: which channels each event reaches me on (mandatory ones stay on), a
    switch per channel for every event, and quiet hours that hold SMS and push until they end."""
    key = Recipient.for_user(request.user).key
    quiet = selectors.quiet_hours_get(recipient_key=key)
    initial = {"quiet_enabled": quiet is not None, "quiet_time_zone": ""}
    if quiet is not None:
        initial.update(quiet_start=quiet.start, quiet_end=quiet.end, quiet_time_zone=quiet.time_zone)
    form = QuietHoursForm(request.POST if request.method == "POST" else None, initial=initial)
    form.fields["quiet_time_zone"].choices = _time_zones(request.user.time_zone)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            enabled = set()
            for value in request.POST.getlist("on"):
                event, _sep, channel = value.partition("|")
                enabled.add((event, channel))
            muted = set(Channel.values) - set(request.POST.getlist("channel_on"))
            try:
                services.person_settings_save(recipient_key=key, muted=muted, enabled=enabled, quiet=form.quiet())
            except ValidationError as exc:
                for name, reasons in exc.message_dict.items():
                    for reason in reasons:
                        form.add_error(None, f"{name}: {reason}")
            else:
                messages.success(request, _("Your notification preferences are saved."))
                return redirect("staff:notification_preferences")
        status = INVALID
    context = {
        "matrix": _matrix_rows(selectors.preference_matrix(recipient_key=key), request),
        "channels": Channel.choices,
        "form": form,
        "nav_notifications": True,
        "tab": "preferences",
    }
    return render(request, "staff/notifications/preferences.html", context, status=status)
