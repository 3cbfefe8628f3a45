from django.db import models
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    """Python's date.weekday(): Monday is 0."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class HolidaySource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    SEEDED = "seeded", _("Seeded from the holidays package")
    ICAL = "ical", _("Imported from the iCal feed")


class TicketPriority(models.TextChoices):
    """Ticket priorities (issue 10), here first because SLA policies match on them."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketSource(models.TextChoices):
    """The channel a ticket came in by; SLA policies match on it."""

    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    API = "api", _("API")
    SYSTEM = "system", _("System")


class ConditionField(models.TextChoices):
    """What an SLA policy's condition looks at on a ticket."""

    PRIORITY = "priority", _("Priority")
    CATEGORY = "category", _("Category")
    CHANNEL = "channel", _("Channel")
    ACCOUNT_KIND = "account_kind", _("Account kind")
    TAG = "tag", _("Tag")


class SLAMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class EscalationKind(models.TextChoices):
    WARN = "warn", _("Warning, at a share of the target")
    BREACH = "breach", _("Breach, at the target")
    AFTER_BREACH = "after_breach", _("After the breach, by an offset")


class EscalationAction(models.TextChoices):
    NOTIFY_USER = "notify_user", _("Notify a user")
    NOTIFY_TEAM = "notify_team", _("Notify a team")
    REASSIGN = "reassign", _("Reassign to a user")
    REASSIGN_TEAM = "reassign_team", _("Move to a team")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority")


class ClockState(models.TextChoices):
    """An SLA clock's state (DOMAIN.md C.5). Running clocks have a due time; paused ones keep the business time
    that was left; met and breached are final for the cycle (a breached clock can still be met late: met_at)."""

    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


class SLAState(models.TextChoices):
    """A ticket's SLA at a glance (Ticket.sla_state, kept by the SLA services and the scan): the worst of its
    current clocks. Empty when no policy applies."""

    NONE = "", _("No SLA")
    RUNNING = "running", _("Running")
    WARNING = "warning", _("Breaching soon")
    PAUSED = "paused", _("Paused")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING_CUSTOMER = "pending_customer", _("Pending customer")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Resolved and closed tickets are done; the others still need the desk (queues, open counts, portal filters).
DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
OPEN_STATUSES = tuple(status for status in TicketStatus.values if status not in DONE_STATUSES)
# Priorities ranked from the lowest (1) up: sorting, and escalations that only ever raise.
PRIORITY_RANK = {value: rank for rank, value in enumerate(TicketPriority.values, start=1)}

# The one table of allowed moves (services.ticket_transition). Closed is final: a follow-up is a new ticket
# (follow_up_of). Resolved may reopen (a customer reply does it by itself) or close.
TICKET_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset({TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.ON_HOLD,
                                 TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.OPEN: frozenset({TicketStatus.PENDING_CUSTOMER, TicketStatus.ON_HOLD, TicketStatus.RESOLVED,
                                  TicketStatus.CLOSED}),
    TicketStatus.PENDING_CUSTOMER: frozenset({TicketStatus.OPEN, TicketStatus.ON_HOLD, TicketStatus.RESOLVED,
                                              TicketStatus.CLOSED}),
    TicketStatus.ON_HOLD: frozenset({TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED,
                                     TicketStatus.CLOSED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}  # fmt: skip


class TeamAccess(models.TextChoices):
    """What a staff user who is not a member may do with a team's tickets (a guardian object permission)."""

    FULL = "full", _("Full: read and work the tickets")
    READ = "read", _("Read only")
    NONE = "none", _("None")
