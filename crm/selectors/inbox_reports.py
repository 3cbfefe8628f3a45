"""The inbox's reports (issue 11, part 6): conversations per channel per day, first response and resolution times
(median and p90) per team and per agent, and CSAT per agent and team when the automation part provides it.

The cohort. Every figure is over the conversations *created* in [start, end) (not merged into another), optionally
on one channel, so the tables of a period add up: a conversation counts once, in the period it began.

First response time: from the conversation's first inbound customer message to the first outbound message a
staff member wrote (`author` set, kind "message") at or after it. Automatic answers (business-hours auto-reply,
CSAT survey: no author), private notes and activity lines do not count, so an auto-reply never hides a slow human;
a conversation staff started (no inbound yet) has no first response time, and one still waiting has none either
(it is counted as `conversations` but not `responded`). `Conversation.first_reply_at - created_at` was not used:
it is stamped by any reply, including the opening message of a staff-started conversation (0 s), and it measures
from the row's creation rather than from the customer's message.

Resolution time: `resolved_at - created_at` of the conversations resolved now (a reopened conversation has no
`resolved_at` until it is resolved again).

Teams and agents are the conversation's current team and assignee; conversations without one form the row whose
key is None ("No team", "Unassigned").

Each table is one set-based query: PostgreSQL's percentile_cont (continuous: p90 of 60, 120, 180, 240, 300 s is
276 s) over a CTE whose per-conversation first-message times come from the (conversation, created_at) index."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDate

from omni.models import User

from ..choices import MessageDirection, MessageKind
from ..models import Channel, Conversation, InboxTeam, Message
from .automation import csat_results

__all__ = [
    "ReportPeriod",
    "inbox_report_csat",
    "inbox_report_daily",
    "inbox_report_times",
    "report_period",
]

REPORT_DAYS = 30  # the default period: the last 30 days, today included, in TIME_ZONE
REPORT_MAX_DAYS = 366


@dataclass(frozen=True)
class ReportPeriod:
    """Days `first`..`last` (inclusive) in the instance's TIME_ZONE, as the aware instants [start, end)."""

    first: date
    last: date

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def report_period(*, first: date | None = None, last: date | None = None, now: datetime | None = None) -> ReportPeriod:
    """The period asked for; missing ends default to the last REPORT_DAYS days up to today (TIME_ZONE)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = (now or datetime.now(tz=zone)).astimezone(zone).date()
    last = last or (today if first is None else max(first, min(today, first + timedelta(days=REPORT_DAYS - 1))))
    first = first or last - timedelta(days=REPORT_DAYS - 1)
    return ReportPeriod(first=first, last=last)


def _cohort(period: ReportPeriod, channel_id=None):
    conversations = Conversation.objects.filter(
        merged_into=None, created_at__gte=period.start, created_at__lt=period.end
    )
    return conversations.filter(channel_id=channel_id) if channel_id else conversations


def inbox_report_daily(*, period: ReportPeriod, channel_id=None) -> dict:
    """Conversations per channel per day of the period: {"channels": [{id, name, kind}], "days": [{day,
    counts: {channel id: n}, total}], "totals": {channel id: n}, "total": n}. Two queries (channels, counts)."""
    rows = (
        _cohort(period, channel_id)
        .annotate(day=TruncDate("created_at", tzinfo=period.zone))
        .order_by()
        .values("day", "channel_id")
        .annotate(n=Count("pk"))
    )
    counts: dict[date, dict] = {}
    totals: dict = {}
    for row in rows:
        counts.setdefault(row["day"], {})[row["channel_id"]] = row["n"]
        totals[row["channel_id"]] = totals.get(row["channel_id"], 0) + row["n"]
    channels = Channel.objects.order_by("kind", "name").values("id", "name", "kind")
    channels = [c for c in channels if c["id"] in totals or (channel_id and str(c["id"]) == str(channel_id))]
    days = [
        {"day": day, "counts": counts.get(day, {}), "total": sum(counts.get(day, {}).values())} for day in period.days
    ]
    return {"channels": channels, "days": days, "totals": totals, "total": sum(totals.values())}


_GROUPS = {
    "team": ("c.team_id", f"LEFT JOIN {InboxTeam._meta.db_table} g ON g.id = t.key", "g.name"),
    "agent": (
        "c.assignee_id",
        f"LEFT JOIN {User._meta.db_table} g ON g.id = t.key",
        "COALESCE(NULLIF(g.full_name, ''), g.email)",
    ),
}


def inbox_report_times(*, period: ReportPeriod, by: str, channel_id=None) -> list[dict]:
    """Per team (`by="team"`) or agent (`by="agent"`): conversations, responded, resolved, and the median and p90 of
    the first response and resolution times in seconds (None when nothing to measure). One query; rows by name,
    the None key (no team, unassigned) last."""
    key, join, name = _GROUPS[by]
    message = Message._meta.db_table
    channel_sql = "AND c.channel_id = %(channel)s" if channel_id else ""
    sql = f"""
        WITH cohort AS (
            SELECT {key} AS key, c.created_at, c.resolved_at, fi.at AS first_in,
                   (SELECT MIN(m.created_at) FROM {message} m
                     WHERE m.conversation_id = c.id AND m.kind = %(kind)s AND m.direction = %(outbound)s
                       AND m.author_id IS NOT NULL AND m.created_at >= fi.at) AS first_out
              FROM {Conversation._meta.db_table} c
              LEFT JOIN LATERAL (
                  SELECT MIN(m.created_at) AS at FROM {message} m
                   WHERE m.conversation_id = c.id AND m.kind = %(kind)s AND m.direction = %(inbound)s
              ) fi ON TRUE
             WHERE c.merged_into_id IS NULL AND c.created_at >= %(start)s AND c.created_at < %(end)s {channel_sql}
        ), per_key AS (
            SELECT key,
                   COUNT(*) AS conversations,
                   COUNT(first_out) AS responded,
                   COUNT(resolved_at) AS resolved,
                   percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
                       ORDER BY EXTRACT(EPOCH FROM first_out - first_in)::float8) AS first_response,
                   percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
                       ORDER BY EXTRACT(EPOCH FROM resolved_at - created_at)::float8) AS resolution
              FROM cohort GROUP BY key
        )
        SELECT t.key, {name} AS name, t.conversations, t.responded, t.resolved, t.first_response, t.resolution
          FROM per_key t {join}
         ORDER BY t.key IS NULL, LOWER({name}), t.key
    """
    params = {
        "kind": MessageKind.MESSAGE,
        "inbound": MessageDirection.INBOUND,
        "outbound": MessageDirection.OUTBOUND,
        "start": period.start,
        "end": period.end,
        "channel": channel_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for key_, name_, conversations, responded, resolved, first_response, resolution in rows:
        first_response, resolution = first_response or [None, None], resolution or [None, None]
        result.append(
            {
                "key": key_,
                "name": name_ or "",
                "conversations": conversations,
                "responded": responded,
                "resolved": resolved,
                "first_response_median": first_response[0],
                "first_response_p90": first_response[1],
                "resolution_median": resolution[0],
                "resolution_p90": resolution[1],
            }
        )
    return result


def _csat_row(row: dict, key: str) -> dict:
    return {
        "key": row.get(key),
        "name": row.get("name") or row.get("email") or "",
        "count": row.get("count", row.get("responses")),
        "average": row.get("average"),
        "satisfied_pct": row.get("satisfied_pct"),
    }


def inbox_report_csat(*, period: ReportPeriod) -> dict:
    """CSAT per agent and per team (crm.selectors.automation.csat_results, local dates, both included):
    {"overall": {count, average, satisfied_pct}, "agents": [...], "teams": [...]}, each row {key, name, count,
    average, satisfied_pct}."""
    data = csat_results(since=period.first, until=period.last)
    return {
        "overall": data.get("overall"),
        "agents": [_csat_row(row, "agent") for row in data.get("agents", [])],
        "teams": [_csat_row(row, "team") for row in data.get("teams", [])],
    }
