"""Every write to tickets' data (STYLE.md section 3): calendars.py for business calendars and holidays, desk.py for
teams, tickets and comments, sla.py for SLA clocks (called by desk.py), scan.py for the beat SLA scan and its
escalations, replies.py for replies with files and mentions, intake.py for tickets opened with files, pending.py
for reminders and auto-close of tickets waiting for the customer, console.py for saved views, bulk actions and
macros, conversations.py for tickets opened from an inbox conversation. Callers use `services.<entity>_<verb>`."""

from .calendars import *  # noqa: F403
from .console import *  # noqa: F403
from .conversations import *  # noqa: F403
from .desk import *  # noqa: F403
from .intake import *  # noqa: F403
from .pending import *  # noqa: F403
from .replies import *  # noqa: F403
from .scan import *  # noqa: F403
from .sla import *  # noqa: F403
