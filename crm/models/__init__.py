"""The data of crm (STYLE.md section 2): accounts.py holds customer accounts, contacts, resellers and portal users;
inbox.py the omni-channel inbox; sales.py leads, pipeline stages, quotes and their lines."""

from .accounts import LANGUAGE_CODES, Account, AccountContact, Contact, CustomerUser, Reseller, ResellerUser
from .inbox import (
    CHANNEL_SECRETS,
    CannedReply,
    Channel,
    Conversation,
    InboxAgent,
    InboxTeam,
    Label,
    Message,
    MessageAttachment,
)
from .sales import Lead, LeadStage, Quote, QuoteLine

__all__ = [
    "LANGUAGE_CODES",
    "CHANNEL_SECRETS",
    "Account",
    "AccountContact",
    "CannedReply",
    "Channel",
    "Conversation",
    "InboxAgent",
    "InboxTeam",
    "Label",
    "Message",
    "MessageAttachment",
    "Contact",
    "CustomerUser",
    "Lead",
    "LeadStage",
    "Quote",
    "QuoteLine",
    "Reseller",
    "ResellerUser",
]

from .inbox_ingest import InboundWebhook, InboundWebhookKind

__all__ += ["InboundWebhook", "InboundWebhookKind"]
