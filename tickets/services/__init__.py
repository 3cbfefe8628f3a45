"""Every write to tickets' data (STYLE.md section 3): calendars.py for business calendars and holidays, desk.py for
teams, tickets and comments. Callers use `services.<entity>_<verb>`."""

from .calendars import *  # noqa: F403
from .console import *  # noqa: F403
from .desk import *  # noqa: F403
from .intake import *  # noqa: F403
from .pending import *  # noqa: F403
from .replies import *  # noqa: F403
