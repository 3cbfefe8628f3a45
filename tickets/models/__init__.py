"""The data of tickets (STYLE.md section 2): sla.py holds business calendars and SLA policies, desk.py teams,
tickets, their status history and comments."""

from .desk import (
    TEAM_NAME_UNIQUE,
    Team,
    TeamUserObjectPermission,
    Ticket,
    TicketComment,
    TicketStatusChange,
)
from .sla import (
    CALENDAR_NAME_UNIQUE,
    HOLIDAY_UNIQUE,
    MIDNIGHT,
    BusinessCalendar,
    BusinessHours,
    EscalationRule,
    Holiday,
    SLACondition,
    SLAPolicy,
    SLATarget,
)

__all__ = [
    "CALENDAR_NAME_UNIQUE",
    "HOLIDAY_UNIQUE",
    "MIDNIGHT",
    "TEAM_NAME_UNIQUE",
    "BusinessCalendar",
    "BusinessHours",
    "EscalationRule",
    "Holiday",
    "SLACondition",
    "SLAPolicy",
    "SLATarget",
    "Team",
    "TeamUserObjectPermission",
    "Ticket",
    "TicketComment",
    "TicketStatusChange",
]
