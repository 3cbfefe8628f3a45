"""The inbox's reports in the staff console (issue 11, part 6): conversations per channel per day (stacked bars),
first response and resolution times (median and p90) per team and per agent, CSAT per agent and team; a period
(the last 30 days in TIME_ZONE unless chosen) and a channel filter; each table as CSV (`?format=csv&table=...`).

The definitions (cohort, first response, resolution) are in crm.selectors.inbox_reports. Bad filters are a 400
(422 to htmx) naming the field; the charts are inline SVG, as the SLA dashboard and notification statistics."""

from __future__ import annotations

import csv

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.vary import vary_on_headers

from crm import selectors
from crm.models import Channel

from ...htmx import wants_partial
from ..helpers import INVALID, staff_view

CHART_HEIGHT = 100  # the SVG's viewBox units
PALETTE = ["#0284c7", "#059669", "#d97706", "#7c3aed", "#dc2626", "#0891b2", "#65a30d", "#db2777", "#475569"]
TABLES = ("daily", "teams", "agents", "csat_agents", "csat_teams")


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("Until"), required=False)
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Channel"), queryset=Channel.objects.all(), required=False, to_field_name="pk"
    )
    format = forms.ChoiceField(choices=[("", "HTML"), ("csv", "CSV")], required=False)
    table = forms.ChoiceField(choices=[("", "")] + [(t, t) for t in TABLES], required=False)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and first > last:
            self.add_error("date_to", _("The end must not be before the start."))
        elif first and last and (last - first).days >= selectors.inbox_reports.REPORT_MAX_DAYS:
            self.add_error(
                "date_to",
                _("Choose at most %(days)d days.") % {"days": selectors.inbox_reports.REPORT_MAX_DAYS},
            )
        if cleaned.get("format") == "csv" and not cleaned.get("table"):
            self.add_error("table", _("Name the table to export: %(tables)s.") % {"tables": ", ".join(TABLES)})
        return cleaned


def duration(seconds: float | None) -> str:
    """A time span for people: "45 s", "4 min 36 s", "3 h 5 min", "2 d 4 h"; "—" when there is none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


def _daily_chart(daily: dict) -> list[dict]:
    """One column per day, one stacked rect per channel (heights scaled to the busiest day)."""
    colors = {channel["id"]: PALETTE[index % len(PALETTE)] for index, channel in enumerate(daily["channels"])}
    for channel in daily["channels"]:
        channel["color"] = colors[channel["id"]]
    biggest = max((day["total"] for day in daily["days"]), default=0) or 1
    width = 100 / max(len(daily["days"]), 1)
    columns = []
    for index, day in enumerate(daily["days"]):
        y, segments = CHART_HEIGHT, []
        for channel in daily["channels"]:
            count = day["counts"].get(channel["id"], 0)
            if not count:
                continue
            height = CHART_HEIGHT * count / biggest
            y -= height
            segments.append(
                {"name": channel["name"], "count": count, "color": channel["color"], "y": y, "height": height}
            )
        columns.append(
            {**day, "x": index * width + width * 0.1, "width": width * 0.8, "segments": segments,
             "cells": [day["counts"].get(channel["id"], 0) for channel in daily["channels"]]}
        )  # fmt: skip
    return columns


def _time_rows(rows: list[dict], none_label: str) -> list[dict]:
    """Display strings and bar widths (median and p90 as shares of the table's longest p90) for each row."""
    kinds = ("first_response", "resolution")
    longest = {kind: max((row[f"{kind}_p90"] or 0 for row in rows), default=0) or 1 for kind in kinds}
    for row in rows:
        row["label"] = row["name"] or none_label
        for kind in ("first_response", "resolution"):
            for stat in ("median", "p90"):
                value = row[f"{kind}_{stat}"]
                row[f"{kind}_{stat}_display"] = duration(value)
                row[f"{kind}_{stat}_width"] = round(100 * (value or 0) / longest[kind], 1)
    return rows


def _csat_rows(rows: list[dict], none_label: str) -> list[dict]:
    """A label and a bar width (the average out of 5) for each CSAT row."""
    for row in rows:
        row["label"] = row["name"] or none_label
        row["width"] = round(100 * (row["average"] or 0) / 5, 1)
    return rows


# ---- CSV ----------------------------------------------------------------------------------------------------------

TIME_COLUMNS = (
    "conversations", "responded", "resolved", "first_response_median_seconds", "first_response_p90_seconds",
    "resolution_median_seconds", "resolution_p90_seconds",
)  # fmt: skip


def _text(value) -> str:
    """A text cell; a leading =, +, - or @ is quoted so a spreadsheet never runs it as a formula."""
    value = "" if value is None else str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _number(value) -> str:
    """Numbers as Python writes them (a dot, no thousands separator, whatever the language); None is empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _csv_rows(table: str, context: dict) -> list[list[str]]:
    if table == "daily":
        daily = context["daily"]
        header = ["day", *[_text(channel["name"]) for channel in daily["channels"]], "total"]
        body = [
            [day["day"].isoformat(), *map(_number, day["cells"]), _number(day["total"])] for day in context["columns"]
        ]
        return [header, *body]
    if table in ("teams", "agents"):
        key = "team" if table == "teams" else "agent"
        header = [f"{key}_id", key, *TIME_COLUMNS]
        body = [
            [
                _text(row["key"] or ""),
                _text(row["name"]),
                *[_number(row[column.removesuffix("_seconds")]) for column in TIME_COLUMNS],
            ]
            for row in context[table]
        ]
        return [header, *body]
    csat = context["csat"] or {}
    key = "agent" if table == "csat_agents" else "team"
    header = [f"{key}_id", key, "responses", "average", "satisfied_pct"]
    body = [
        [_text(row["key"] or ""), _text(row["name"]), _number(row["count"]), _number(row["average"]),
         _number(row["satisfied_pct"])]
        for row in csat.get("agents" if table == "csat_agents" else "teams") or []
    ]  # fmt: skip
    return [header, *body]


def _csv_response(table: str, context: dict) -> HttpResponse:
    period = context["period"]
    filename = f"inbox-{table.replace('_', '-')}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerows(_csv_rows(table, context))
    return response


def _csv_link(request, table: str) -> str:
    query = request.GET.copy()
    query["format"], query["table"] = "csv", table
    return "?" + query.urlencode()


# ---- the page -----------------------------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@staff_view("crm.view_conversation")
def inbox_reports(request):
    """The reports page, its panel to htmx, or one table as CSV. Queries: channels (the filter), daily counts,
    team times, agent times (and the CSAT selectors when installed), whatever the number of conversations."""
    form = ReportFilterForm(request.GET)
    channels = list(Channel.objects.order_by("kind", "name").values_list("pk", "name"))
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    period = selectors.report_period(first=data.get("date_from"), last=data.get("date_to"))
    channel = data.get("channel")
    channel_id = channel.pk if channel else None
    context = {
        "form": form,
        "filters": form,  # filter_errors.html reads filters.errors
        "channels": [(str(pk), name) for pk, name in channels],
        "period": period,
        "nav_inbox": True,
    }
    if valid:
        daily = selectors.inbox_report_daily(period=period, channel_id=channel_id)
        context.update(
            daily=daily,
            columns=_daily_chart(daily),
            teams=_time_rows(
                selectors.inbox_report_times(period=period, by="team", channel_id=channel_id), _("No team")
            ),
            agents=_time_rows(
                selectors.inbox_report_times(period=period, by="agent", channel_id=channel_id), _("Unassigned")
            ),
            csat=selectors.inbox_report_csat(period=period),
            csv={table: _csv_link(request, table) for table in TABLES},
        )
        csat = context["csat"]
        if csat is not None:
            context["csat_tables"] = [
                (
                    _("Per agent"),
                    _("Agent"),
                    context["csv"]["csat_agents"],
                    _csat_rows(csat["agents"], _("Unassigned")),
                ),
            ]
            if csat["teams"] is not None:
                rows = _csat_rows(csat["teams"], _("No team"))
                context["csat_tables"].append((_("Per team"), _("Team"), context["csv"]["csat_teams"], rows))
        if data.get("format") == "csv":
            return _csv_response(data["table"], context)
    partial = wants_partial(request)
    template = "staff/inbox/reports/page.html" + ("#report-panel" if partial else "")
    return render(request, template, context, status=200 if valid else (INVALID if partial else 400))
