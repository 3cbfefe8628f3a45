"""Every write to tickets' data (STYLE.md section 3): calendars.py for business calendars and holidays, desk.py for
teams, tickets and comments, sla.py for SLA clocks (called by desk.py), scan.py for the beat SLA scan and its
escalations. Callers use `services.<entity>_<verb>`."""

from .calendars import *  # noqa: F403
from .desk import *  # noqa: F403
from .scan import *  # noqa: F403
from .sla import *  # noqa: F403
