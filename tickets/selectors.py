"""Reads of tickets' data, one selector per audience (STYLE.md section 4). Out of scope is none(): a 404
upstream."""

import zoneinfo
from collections.abc import Iterable
from uuid import UUID

import orjson
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from crm.models import CustomerUser, ResellerUser
from omni.api.renderers import OrjsonRenderer
from omni.choices import Audience
from omni.models import User

from .business_time import CalendarSpec
from .choices import ConditionField
from .models import (
    BusinessCalendar,
    BusinessHours,
    EscalationRule,
    Holiday,
    SLACondition,
    SLAPolicy,
    SLATarget,
    Team,
    TeamUserObjectPermission,
    Ticket,
    TicketComment,
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
