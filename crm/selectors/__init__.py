"""Every read of crm's data, one selector per audience (STYLE.md section 4): accounts.py for accounts, contacts and
resellers, inbox.py for conversations and messages, leads.py for leads and the pipeline board, quotes.py for quotes."""

from .accounts import *  # noqa: F403
from .automation import *  # noqa: F403
from .inbox import *  # noqa: F403
from .inbox_reports import *  # noqa: F403
from .leads import *  # noqa: F403
from .quotes import *  # noqa: F403
