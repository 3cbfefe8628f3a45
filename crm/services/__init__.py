"""Every write to crm's data (STYLE.md section 3): accounts.py for accounts, contacts and portal users, resellers.py
for resellers (and vendors) as partner organisations, inbox.py for the omni-channel inbox's messages,
conversations.py for its conversations' state, inbox_config.py for channels, teams, labels and canned replies,
inbox_email.py and inbox_ingest.py for inbound email and webhooks, automation/ for rules, round-robin and CSAT,
leads.py for leads, pipeline stages and conversion, quotes.py for quotes, their lines, totals, sending and
acceptance. Callers use `services.<entity>_<verb>`."""

from .accounts import *  # noqa: F403
from .automation import *  # noqa: F403
from .conversations import *  # noqa: F403
from .inbox import *  # noqa: F403
from .inbox_config import *  # noqa: F403
from .inbox_email import *  # noqa: F403
from .inbox_ingest import *  # noqa: F403
from .leads import *  # noqa: F403
from .quotes import *  # noqa: F403
from .resellers import *  # noqa: F403
