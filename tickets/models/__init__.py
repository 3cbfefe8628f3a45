"""The data of tickets (STYLE.md section 2): sla.py holds business calendars and SLA policies, desk.py teams,
tickets, their status history, comments and attachments, clocks.py the SLA clocks and events, console.py saved
views and macros."""

from .clocks import CLOCK_UNIQUE, EVENT_UNIQUE, SLAClock, SLAEvent
from .console import MACRO_NAME_UNIQUE, SAVED_VIEW_UNIQUE, Macro, SavedView
from .desk import (
    TEAM_NAME_UNIQUE,
    Team,
    TeamUserObjectPermission,
    Ticket,
    TicketAttachment,
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
    "CLOCK_UNIQUE",
    "EVENT_UNIQUE",
    "MACRO_NAME_UNIQUE",
    "SAVED_VIEW_UNIQUE",
    "HOLIDAY_UNIQUE",
    "MIDNIGHT",
    "TEAM_NAME_UNIQUE",
    "BusinessCalendar",
    "BusinessHours",
    "EscalationRule",
    "Holiday",
    "Macro",
    "SLAClock",
    "SLAEvent",
    "SavedView",
    "SLACondition",
    "SLAPolicy",
    "SLATarget",
    "Team",
    "TeamUserObjectPermission",
    "Ticket",
    "TicketAttachment",
    "TicketComment",
    "TicketStatusChange",
]
