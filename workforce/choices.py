"""Choices of the workforce app; each is backed by a CheckConstraint on its column (STYLE.md section 2)."""

from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _


class TechnicianKind(TextChoices):
    EMPLOYEE = "employee", _("Employee")
    CONTRACTOR = "contractor", _("Contractor")
    VENDOR = "vendor", _("Vendor crew")


class MembershipKind(TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    RELOCATION = "relocation", _("Relocation")


class ShiftKind(TextChoices):
    REGULAR = "regular", _("Regular")
    ON_CALL = "on_call", _("On call")
    OVERTIME = "overtime", _("Overtime")


class TimeOffStatus(TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class WorkOrderPriority(TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class WorkOrderStatus(TextChoices):
    NEW = "new", _("New")
    SCHEDULED = "scheduled", _("Scheduled")
    DISPATCHED = "dispatched", _("Dispatched")
    EN_ROUTE = "en_route", _("En route")
    ON_SITE = "on_site", _("On site")
    COMPLETED = "completed", _("Completed")
    CANNOT_COMPLETE = "cannot_complete", _("Cannot complete")
    CANCELLED = "cancelled", _("Cancelled")


S = WorkOrderStatus
WORK_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.NEW, S.DISPATCHED, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.SCHEDULED, S.EN_ROUTE, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ON_SITE, S.DISPATCHED, S.CANNOT_COMPLETE}),
    S.ON_SITE: frozenset({S.COMPLETED, S.CANNOT_COMPLETE}),
    S.COMPLETED: frozenset(),
    S.CANNOT_COMPLETE: frozenset({S.NEW, S.SCHEDULED}),
    S.CANCELLED: frozenset(),
}
WORK_ORDER_CLOSED = frozenset({S.COMPLETED, S.CANCELLED})


class AppointmentStatus(TextChoices):
    BOOKED = "booked", _("Booked")
    DISPATCHED = "dispatched", _("Dispatched")
    EN_ROUTE = "en_route", _("En route")
    ON_SITE = "on_site", _("On site")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


LIVE = ~Q(status=AppointmentStatus.CANCELLED)


class TimeEntryKind(TextChoices):
    TRAVEL = "travel", _("Travel")
    WORK = "work", _("Work")
    BREAK = "break", _("Break")


class SyncOutcome(TextChoices):
    """How one operation of the technician view's sync ended (stored with its idempotency key)."""

    APPLIED = "applied", _("Applied")
    REFUSED = "refused", _("Refused")  # a rule said no (409): a transition not allowed, an overlap
    INVALID = "invalid", _("Invalid")  # bad input (400), naming the field
    NOT_FOUND = "not_found", _("Not found")  # not one of the technician's jobs (404)


class TerritoryRule(TextChoices):
    HARD = "hard", _("Hard boundary")
    SOFT = "soft", _("Soft boundary")


class Solver(TextChoices):
    VROOM = "vroom", _("VROOM")
    GREEDY = "greedy", _("Greedy insertion")


class DispatchRunStatus(TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PROPOSED = "proposed", _("Proposed")
    APPLIED = "applied", _("Applied")
    DISCARDED = "discarded", _("Discarded")
    FAILED = "failed", _("Failed")


class DispatchRunKind(TextChoices):
    GLOBAL = "global", _("Global (the horizon's unscheduled work)")
    IN_DAY = "in_day", _("In-day (the rest of the day, booked work included)")


class AssignmentChange(TextChoices):
    NEW = "new", _("New booking")
    MOVE = "move", _("Moved")
    KEEP = "keep", _("Unchanged")
    PINNED = "pinned", _("Pinned or started (kept)")
