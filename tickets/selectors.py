"""Reads of tickets' data, one selector per audience (STYLE.md section 4). Out of scope is none(): a 404
upstream."""

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import orjson
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import CustomerUser, ResellerUser
from omni.api.renderers import OrjsonRenderer
from omni.choices import Audience
from omni.db import parse_timestamps, timestamps_as_text
from omni.models import User

from .business_time import CalendarSpec
from .choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    PRIORITY_RANK,
    ClockState,
    ConditionField,
    SLAState,
    TicketPriority,
)
from .models import (
    BusinessCalendar,
    BusinessHours,
    EscalationRule,
    Holiday,
    Macro,
    SavedView,
    SLAClock,
    SLACondition,
    SLAEvent,
    SLAPolicy,
    SLATarget,
    Team,
    TeamUserObjectPermission,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketStatusChange,
)
from .models.desk import ALL_TEAMS, TEAM_FULL, TEAM_READ

CALENDAR_FIELDS = ("id", "name", "time_zone", "country", "ical_url", "ical_synced_at", "created_at", "updated_at")


def _calendars() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.prefetch_related(
        Prefetch("hours", queryset=BusinessHours.objects.order_by("weekday", "start")),
        Prefetch("holidays", queryset=Holiday.objects.order_by("date")),
    )


def calendar_list_for_staff(*, user: User) -> QuerySet[BusinessCalendar]:
    return _calendars()


def calendar_list_visible_to(*, user: User) -> QuerySet[BusinessCalendar]:
    """Active staff see every calendar (their role's view_businesscalendar is checked by the API and the
    admin); portal users none."""
    if not (user.is_authenticated and user.is_active):
        return BusinessCalendar.objects.none()
    if user.audience == Audience.STAFF and not user.is_staff:
        return BusinessCalendar.objects.none()  # staff access switched off
    selector = {Audience.STAFF: calendar_list_for_staff}.get(user.audience)
    return selector(user=user) if selector else BusinessCalendar.objects.none()


def sla_policy_list_visible_to(*, user: User) -> QuerySet[SLAPolicy]:
    """Active staff see every policy with its conditions, targets and escalation rules (view_slapolicy is checked
    by the API); portal users none."""
    if not (user.is_authenticated and user.is_active and user.audience == Audience.STAFF and user.is_staff):
        return SLAPolicy.objects.none()
    return SLAPolicy.objects.select_related("calendar").prefetch_related(
        Prefetch("conditions", queryset=SLACondition.objects.order_by("field")),
        Prefetch("targets", queryset=SLATarget.objects.order_by("metric")),
        Prefetch("escalations", queryset=EscalationRule.objects.order_by("metric", "level", "kind")),
    )


def calendar_spec(*, calendar_id: UUID) -> CalendarSpec:
    """The calendar as business_time computes with it, in three queries (the calendar, its hours, its holidays)
    whatever their number. BusinessCalendar.DoesNotExist when there is none."""
    calendar = BusinessCalendar.objects.only("time_zone").get(pk=calendar_id)
    ranges: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    for weekday, start, end in BusinessHours.objects.filter(calendar_id=calendar_id).values_list(
        "weekday", "start", "end"
    ):
        end_minute = end.hour * 60 + end.minute or 24 * 60  # an end of 00:00 is the day's end
        ranges[weekday].append((start.hour * 60 + start.minute, end_minute))
    holidays = Holiday.objects.filter(calendar_id=calendar_id).values_list("date", flat=True)
    return CalendarSpec(
        zone=zoneinfo.ZoneInfo(calendar.time_zone),
        hours={day: tuple(sorted(day_ranges)) for day, day_ranges in ranges.items()},
        holidays=frozenset(holidays),
    )


def _condition_matches(condition: SLACondition, facts: dict[str, set[str]]) -> bool:
    return bool(set(condition.values) & facts[condition.field])


def sla_policy_for(
    *, priority: str, category: str = "", channel: str = "", account_kind: str = "", tags: Iterable[str] = ()
) -> SLAPolicy | None:
    """The SLA policy a ticket with these attributes gets: the first active policy by position whose conditions
    all match (a condition matches when the ticket's value, or one of its tags, is among its values; category and
    tags compare case-insensitively); None when none does. Two queries (policies, their conditions) whatever
    their number."""
    facts = {
        ConditionField.PRIORITY: {priority},
        ConditionField.CATEGORY: {category.strip().lower()},
        ConditionField.CHANNEL: {channel},
        ConditionField.ACCOUNT_KIND: {account_kind},
        ConditionField.TAG: {tag.strip().lower() for tag in tags},
    }
    policies = SLAPolicy.objects.filter(active=True).select_related("calendar").prefetch_related("conditions")
    for policy in policies.order_by("position"):
        if all(_condition_matches(condition, facts) for condition in policy.conditions.all()):
            return policy
    return None


# ---- teams and tickets ---------------------------------------------------------------------------------------

# The API's ticket fields (TicketOut) and the payload of tickets.ticket.* events; the SLA dues and state are
# kept on the ticket by the SLA services and the scan.
TICKET_FIELDS = (
    "id", "number", "account", "contact", "subject", "description", "category", "priority", "status", "team",
    "assignee", "tags", "first_response_due", "resolution_due", "sla_state", "created_at", "updated_at",
)  # fmt: skip
COMMENT_FIELDS = ("id", "ticket", "author", "body", "public", "created_at")


# ticket_rows: the related rows by id (`<name>_id` columns), the times read as text (omni.db.timestamps_as_text)
TICKET_RELATED = ("account", "contact", "team", "assignee")
TICKET_TIMES = ("first_response_due", "resolution_due", "created_at", "updated_at")
_TICKET_COLUMNS = {name: f"{name}_id" if name in TICKET_RELATED else name for name in TICKET_FIELDS}


def ticket_rows(queryset: QuerySet[Ticket]) -> list[dict]:
    """A page of tickets as plain dicts, shaped exactly like the API's TicketOut (one query, no model instances):
    what the API list answers (PERFORMANCE.md, point 1); the detail and writes keep the serializer."""
    columns = [column for name, column in _TICKET_COLUMNS.items() if name not in TICKET_TIMES]
    out = []
    for row in queryset.values(*columns, **timestamps_as_text(*TICKET_TIMES)):
        parse_timestamps(row, *TICKET_TIMES)
        out.append({name: row[column] for name, column in _TICKET_COLUMNS.items()})
    return out


def _active(user: User) -> str | None:
    """The user's audience when they may read at all: signed in, active, and staff with staff access on."""
    if not (user.is_authenticated and user.is_active):
        return None
    if user.audience == Audience.STAFF and not user.is_staff:
        return None
    return user.audience


def team_list_visible_to(*, user: User) -> QuerySet[Team]:
    """Staff see every team (the API checks view_team); portal users none."""
    if _active(user) != Audience.STAFF:
        return Team.objects.none()
    return Team.objects.prefetch_related("members")


def _team_access(user: User, codenames: tuple[str, ...]) -> Q:
    """Tickets of the teams the user is a member of, or holds one of these guardian permissions on."""
    granted = TeamUserObjectPermission.objects.filter(
        content_object=OuterRef("team_id"), user=user, permission__codename__in=codenames
    )
    member = Team.members.through.objects.filter(team_id=OuterRef("team_id"), user_id=user.pk)
    return Q(Exists(member)) | Q(Exists(granted))


def _tickets() -> QuerySet[Ticket]:
    return Ticket.objects.live().select_related("account", "contact", "team", "assignee")


def ticket_list_for_staff(*, user: User) -> QuerySet[Ticket]:
    """Admin (tickets.manage_all_tickets) sees every ticket; other staff the tickets without a team (the intake
    queue), those assigned to them, and those of teams they are members of or hold read or full access to. Staff
    whose role lacks tickets.view_ticket see none (the API and the console refuse them first)."""
    if user.has_perm(f"tickets.{ALL_TEAMS}"):
        return _tickets()
    if not user.has_perm("tickets.view_ticket"):
        return Ticket.objects.none()
    return _tickets().filter(Q(team__isnull=True) | Q(assignee=user) | _team_access(user, (TEAM_READ, TEAM_FULL)))


def ticket_list_for_customer(*, user: User) -> QuerySet[Ticket]:
    return _tickets().filter(Exists(CustomerUser.objects.filter(user=user, account_id=OuterRef("account_id"))))


def ticket_list_for_reseller(*, user: User) -> QuerySet[Ticket]:
    memberships = ResellerUser.objects.filter(user=user, reseller_id=OuterRef("account__reseller_id"))
    return _tickets().filter(account__deleted_at__isnull=True).filter(Exists(memberships))


def ticket_list_visible_to(*, user: User) -> QuerySet[Ticket]:
    """The tickets this user may read, by audience; vendors and anyone inactive none (out of scope is a 404)."""
    selector = {
        Audience.STAFF: ticket_list_for_staff,
        Audience.CUSTOMER: ticket_list_for_customer,
        Audience.RESELLER: ticket_list_for_reseller,
    }.get(_active(user))
    return selector(user=user) if selector else Ticket.objects.none()


def ticket_open_count(*, user: User) -> int:
    """How many of the tickets the user sees are still open (neither resolved nor closed): the portals'
    dashboards."""
    return ticket_list_visible_to(user=user).exclude(status__in=DONE_STATUSES).count()


def ticket_can_work(*, user: User, ticket: Ticket) -> bool:
    """May this staff user change the ticket: Admin, the assignee, anyone on an unteamed ticket, a member of its
    team or a holder of full access (read-only access reads only)."""
    if user.has_perm(f"tickets.{ALL_TEAMS}") or ticket.team_id is None or ticket.assignee_id == user.pk:
        return True
    return Ticket.objects.filter(pk=ticket.pk).filter(_team_access(user, (TEAM_FULL,))).exists()


def comment_list_visible_to(*, user: User, ticket_id) -> QuerySet[TicketComment]:
    """The comments of a ticket the user may read: staff every one, portal users the public ones only."""
    comments = TicketComment.objects.filter(ticket__in=ticket_list_visible_to(user=user).filter(pk=ticket_id))
    if _active(user) != Audience.STAFF:
        comments = comments.filter(public=True)
    return comments.select_related("author").order_by("created_at", "id")


def attachment_list_visible_to(*, user: User) -> QuerySet[TicketAttachment]:
    """The files the user may download: those of the tickets they see; portal users only public ones (never a
    file on an internal note). A download view looks the file up here, so another account's file is a 404."""
    attachments = TicketAttachment.objects.filter(ticket__in=ticket_list_visible_to(user=user))
    if _active(user) != Audience.STAFF:
        attachments = attachments.filter(public=True)
    return attachments.select_related("uploaded_by").order_by("created_at", "id")


def _as_json(data):
    return orjson.loads(OrjsonRenderer().render(data))


def ticket_payload(ticket_id) -> dict:
    """The ticket as the API shows it to staff: the payload of tickets.ticket.* events."""
    columns = [Ticket._meta.get_field(name).attname for name in TICKET_FIELDS]
    row = Ticket.objects.filter(pk=ticket_id).values(*columns).get()
    return _as_json({name: row[Ticket._meta.get_field(name).attname] for name in TICKET_FIELDS})


def comment_payload(comment_id) -> dict:
    """The comment as the API shows it to staff: the payload of tickets.comment.created."""
    columns = [TicketComment._meta.get_field(name).attname for name in COMMENT_FIELDS]
    row = TicketComment.objects.filter(pk=comment_id).values(*columns).get()
    return _as_json({name: row[TicketComment._meta.get_field(name).attname] for name in COMMENT_FIELDS})


# ---- the staff console: queues, search, timeline, SLA reports -------------------------------------------------

BREACHING_SOON = timedelta(hours=1)
# Queue key -> label; "all" is every visible ticket, the others the open (unresolved) ones.
TICKET_QUEUES = {
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "teams": _("My teams"),
    "breaching": _("Breaching soon"),
    "breached": _("Breached"),
    "all": _("All"),
}


def _queue_conditions(*, user: User, now: datetime) -> dict[str, Q]:
    """Each queue's condition over the user's visible tickets (the console's tabs and their counts)."""
    soon = now + BREACHING_SOON
    open_ = Q(status__in=OPEN_STATUSES)
    member = Team.members.through.objects.filter(team_id=OuterRef("team_id"), user_id=user.pk)
    return {
        "mine": open_ & Q(assignee_id=user.pk),
        "unassigned": open_ & Q(assignee__isnull=True),
        "teams": open_ & Q(Exists(member)),
        "breaching": open_
        & Q(sla_state__in=[SLAState.RUNNING, SLAState.WARNING])
        # a first-response due left on a ticket already answered is not a due any more
        & (Q(first_response_due__lte=soon, first_response_at__isnull=True) | Q(resolution_due__lte=soon)),
        "breached": open_ & Q(sla_state=SLAState.BREACHED),
        "all": Q(),
    }


def ticket_queue(*, user: User, queue: str, now: datetime | None = None) -> QuerySet[Ticket]:
    """The tickets of one console queue (a key of TICKET_QUEUES; unknown keys: all) the user may read."""
    conditions = _queue_conditions(user=user, now=now or timezone.now())
    return ticket_list_visible_to(user=user).filter(conditions.get(queue, Q()))


def ticket_queue_counts(*, user: User, now: datetime | None = None) -> dict[str, int]:
    """How many tickets each queue holds for the user: one query (conditional aggregation over the visible
    tickets), whatever the number of tickets."""
    conditions = _queue_conditions(user=user, now=now or timezone.now())
    counts = ticket_list_visible_to(user=user).aggregate(
        **{key: Count("pk", filter=condition) if condition else Count("pk") for key, condition in conditions.items()}
    )
    return {key: counts[key] or 0 for key in TICKET_QUEUES}


def ticket_search(queryset: QuerySet[Ticket], text: str, *, notes: bool = True) -> QuerySet[Ticket]:
    """Tickets matching `text` (web search syntax: words, "phrases", -not, or) in the subject, description and
    public replies (search_vector) or, with `notes` (staff only: portals and portal users' API calls pass False),
    the internal notes (notes_vector), annotated with `rank` (subject hits weigh most; notes half of replies)."""
    query = SearchQuery(text, config="english", search_type="websearch")
    rank = Coalesce(SearchRank(F("search_vector"), query), Value(0.0))
    if not notes:
        return queryset.filter(search_vector=query).annotate(rank=rank)
    rank = rank + 0.5 * Coalesce(SearchRank(F("notes_vector"), query), Value(0.0))
    return queryset.filter(Q(search_vector=query) | Q(notes_vector=query)).annotate(rank=rank)


def ticket_for_console(*, user: User) -> QuerySet[Ticket]:
    """The staff ticket page's ticket: the visible ones, with the parent and follow-up links joined."""
    return ticket_list_visible_to(user=user).select_related("parent", "follow_up_of")


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "comment", "status" or "sla"
    at: datetime
    item: object


def ticket_timeline(*, ticket: Ticket) -> list[TimelineEntry]:
    """The ticket's replies and internal notes (with their files and mentions), status changes and SLA events,
    oldest first: five queries whatever their number. The caller has checked the ticket is visible (staff)."""
    comments = TicketComment.objects.filter(ticket=ticket).select_related("author")
    comments = comments.prefetch_related(
        Prefetch("attachments", queryset=TicketAttachment.objects.order_by("created_at", "id")),
        Prefetch("mentions", queryset=User.objects.only("id", "email", "full_name")),
    )
    changes = TicketStatusChange.objects.filter(ticket=ticket).select_related("by")
    sla_events = SLAEvent.objects.filter(clock__ticket=ticket).select_related("clock", "rule")
    entries = [TimelineEntry("comment", comment.created_at, comment) for comment in comments]
    entries += [TimelineEntry("status", change.at, change) for change in changes]
    entries += [TimelineEntry("sla", event.at, event) for event in sla_events]
    order = {"status": 0, "comment": 1, "sla": 2}  # a status change and its reply in one transaction: change first
    return sorted(entries, key=lambda entry: (entry.at, order[entry.kind]))


def saved_view_list_for(*, user: User) -> QuerySet[SavedView]:
    """The user's own saved ticket views and the shared ones of others."""
    return SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner").order_by("name", "pk")


def macro_list_active() -> QuerySet[Macro]:
    return Macro.objects.filter(active=True).order_by("name")


def open_tickets_by_priority(*, user: User) -> dict[str, int]:
    """Open tickets the user may read, per priority (every priority present, 0 when none): one query."""
    rows = (
        ticket_list_visible_to(user=user)
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("priority")
        .annotate(n=Count("pk"))
    )
    counts = {row["priority"]: row["n"] for row in rows}
    return {priority: counts.get(priority, 0) for priority in TicketPriority.values}


def _decided_clocks(*, user: User) -> QuerySet[SLAClock]:
    """Clocks of the user's visible tickets that have an outcome: met on time, or breached (met late or not)."""
    visible = ticket_list_visible_to(user=user).values("pk")
    return SLAClock.objects.filter(ticket__in=visible, state__in=[ClockState.MET, ClockState.BREACHED])


def _percent(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


def sla_compliance_by_week(*, user: User, weeks: int = 12, now: datetime | None = None) -> list[dict]:
    """Per week (Monday first, the current time zone) of the last `weeks`: clocks decided that week (met, or
    breached at their due time) and the share met on time. One grouped query; weeks without clocks are listed with
    0 and percent None."""
    now = timezone.localtime(now or timezone.now())
    this_monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    start = this_monday - timedelta(weeks=weeks - 1)
    rows = (
        _decided_clocks(user=user)
        .annotate(decided_at=Coalesce("breached_at", "met_at"))
        .filter(decided_at__gte=start)
        .annotate(week=TruncWeek("decided_at"))
        .order_by()
        .values("week")
        .annotate(total=Count("pk"), met=Count("pk", filter=Q(state=ClockState.MET)))
    )
    by_week = {timezone.localtime(row["week"]).date(): row for row in rows}
    result = []
    for index in range(weeks):
        week = (start + timedelta(weeks=index)).date()
        row = by_week.get(week, {"total": 0, "met": 0})
        result.append(
            {"week": week, "total": row["total"], "met": row["met"], "percent": _percent(row["met"], row["total"])}
        )
    return result


def sla_report(*, user: User, since: datetime | None = None) -> dict[str, list[dict]]:
    """% of SLA clocks met on time per policy, per priority and per team (and per combination), over the user's
    visible tickets' decided clocks (started at or after `since` when given). One grouped query: the three
    breakdowns are sums over its rows."""
    clocks = _decided_clocks(user=user)
    if since is not None:
        clocks = clocks.filter(started_at__gte=since)
    rows = list(
        clocks.order_by()
        .values("policy__name", "ticket__priority", "ticket__team__name")
        .annotate(total=Count("pk"), met=Count("pk", filter=Q(state=ClockState.MET)))
        .order_by("policy__name", "ticket__priority", "ticket__team__name")
    )

    def rollup(key: str) -> list[dict]:
        sums: dict = {}
        for row in rows:
            total, met = sums.get(row[key], (0, 0))
            sums[row[key]] = (total + row["total"], met + row["met"])
        return [
            {"key": name, "total": total, "met": met, "breached": total - met, "percent": _percent(met, total)}
            for name, (total, met) in sorted(sums.items(), key=lambda item: (item[0] is None, str(item[0] or "")))
        ]

    by_priority = {row["key"]: row for row in rollup("ticket__priority")}
    return {
        "policy": rollup("policy__name"),
        "priority": [by_priority[p] for p in sorted(by_priority, key=lambda p: -PRIORITY_RANK.get(p, 0))],
        "team": rollup("ticket__team__name"),
        "rows": [
            {
                "policy": row["policy__name"],
                "priority": row["ticket__priority"],
                "team": row["ticket__team__name"],
                "total": row["total"],
                "met": row["met"],
                "percent": _percent(row["met"], row["total"]),
            }
            for row in rows
        ],
    }
