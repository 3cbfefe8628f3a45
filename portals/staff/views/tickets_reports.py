"""The staff console's SLA dashboard (compliance per week, open tickets by priority, as charts) and SLA report (%
met per policy, priority and team). Both read only the user's visible tickets (tickets.selectors)."""

import datetime

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import selectors
from tickets.choices import TicketPriority

from ..helpers import staff_view

CHART_HEIGHT = 100  # the SVG's viewBox units: percentages map 1:1 onto bar heights
PRIORITY_COLORS = {
    TicketPriority.LOW: "#64748b",
    TicketPriority.NORMAL: "#0284c7",
    TicketPriority.HIGH: "#ea580c",
    TicketPriority.URGENT: "#dc2626",
}


def _week_bars(weeks: list[dict]) -> list[dict]:
    """One bar per week for the SVG chart: x position, height (the % met) and colour (red under 80%)."""
    width = 100 / max(len(weeks), 1)
    bars = []
    for index, week in enumerate(weeks):
        percent = week["percent"]
        height = percent or 0
        if percent is None:
            color = "#94a3b8"  # no targets decided that week
        else:
            color = "#059669" if percent >= 90 else "#d97706" if percent >= 80 else "#dc2626"
        bars.append(
            {
                **week,
                "x": index * width + width * 0.15,
                "width": width * 0.7,
                "y": CHART_HEIGHT - height,
                "height": height,
                "color": color,
            }
        )
    return bars


def _priority_bars(counts: dict[str, int]) -> list[dict]:
    biggest = max(counts.values(), default=0)
    return [
        {
            "priority": priority,
            "label": TicketPriority(priority).label,
            "count": counts[priority],
            "width": round(100 * counts[priority] / biggest) if biggest else 0,
            "color": PRIORITY_COLORS[priority],
        }
        for priority in reversed(TicketPriority.values)  # urgent first
    ]


@staff_view("tickets.view_ticket")
def ticket_dashboard(request):
    """SLA compliance per week (last 12 weeks) and open tickets by priority: two grouped queries."""
    weeks = selectors.sla_compliance_by_week(user=request.user)
    counts = selectors.open_tickets_by_priority(user=request.user)
    decided = sum(week["total"] for week in weeks)
    met = sum(week["met"] for week in weeks)
    context = {
        "weeks": _week_bars(weeks),
        "overall": round(100 * met / decided, 1) if decided else None,
        "decided": decided,
        "priorities": _priority_bars(counts),
        "open_total": sum(counts.values()),
        "nav_tickets": True,
    }
    return render(request, "staff/tickets/dashboard.html", context)


def _since(request) -> tuple[datetime.date | None, str]:
    raw = (request.GET.get("since") or "").strip()
    if not raw:
        return None, ""
    try:
        return datetime.date.fromisoformat(raw), ""
    except ValueError:
        return None, _("since: enter a date as YYYY-MM-DD.")


@staff_view("tickets.view_ticket")
def sla_report(request):
    """% of SLA clocks met on time per policy, priority and team (one grouped query), for clocks started since
    `?since=` (a date) when given; a bad date is a 400 naming `since`."""
    since, error = _since(request)
    start = None
    if since is not None:
        start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    report = selectors.sla_report(user=request.user, since=start) if not error else None
    labels = dict(TicketPriority.choices)
    for key, rows in (report or {}).items():
        for row in rows:
            if key != "rows":
                row["label"] = labels.get(row["key"], row["key"]) if key == "priority" else row["key"]
    context = {"report": report, "since": request.GET.get("since", ""), "error": error, "nav_tickets": True}
    return render(request, "staff/tickets/sla_report.html", context, status=400 if error else 200)
