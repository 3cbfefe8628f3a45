"""The data of crm (STYLE.md section 2): accounts.py holds customer accounts, contacts, resellers and portal users;
inbox.py the omni-channel inbox (channels, conversations, messages, teams, labels, canned replies), automation.py
its rules, automated messages and satisfaction answers, inbox_ingest.py the inbound webhooks waiting to be
processed; sales.py leads, pipeline stages, quotes and their lines."""

from .accounts import LANGUAGE_CODES, Account, AccountContact, Contact, CustomerUser, Reseller, ResellerUser
from .automation import AutomatedMessage, CsatResponse, Rule, RuleRun
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
from .inbox_ingest import InboundWebhook, InboundWebhookKind
from .sales import Lead, LeadStage, Quote, QuoteLine

__all__ = [
    "CHANNEL_SECRETS",
    "LANGUAGE_CODES",
    "Account",
    "AccountContact",
    "AutomatedMessage",
    "CannedReply",
    "Channel",
    "Contact",
    "Conversation",
    "CsatResponse",
    "CustomerUser",
    "InboundWebhook",
    "InboundWebhookKind",
    "InboxAgent",
    "InboxTeam",
    "Label",
    "Lead",
    "LeadStage",
    "Message",
    "MessageAttachment",
    "Quote",
    "QuoteLine",
    "Reseller",
    "ResellerUser",
    "Rule",
    "RuleRun",
]
