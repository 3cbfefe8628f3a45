from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    BUSINESS = "business", _("Business")


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


# Allowed status changes; anything else is InvalidTransition (409).
ACCOUNT_TRANSITIONS: dict[str, set[str]] = {
    AccountStatus.PROSPECT: {AccountStatus.ACTIVE, AccountStatus.CLOSED},
    AccountStatus.ACTIVE: {AccountStatus.SUSPENDED, AccountStatus.CLOSED},
    AccountStatus.SUSPENDED: {AccountStatus.ACTIVE, AccountStatus.CLOSED},
    AccountStatus.CLOSED: {AccountStatus.ACTIVE},
}


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("Phone call")


class ContactRole(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    BILLING = "billing", _("Billing")
    TECHNICAL = "technical", _("Technical")
    AUTHORIZED = "authorized", _("Authorized")
    OTHER = "other", _("Other")


class LeadSource(models.TextChoices):
    WEBSITE = "website", _("Website")
    DOOR_TO_DOOR = "door_to_door", _("Door to door")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    REFERRAL = "referral", _("Referral")
    RESELLER = "reseller", _("Reseller")
    SOCIAL = "social", _("Social media")
    CAMPAIGN = "campaign", _("Campaign")
    OTHER = "other", _("Other")


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


# Allowed quote status changes (crm.services.quotes); anything else is InvalidTransition (409). Only drafts are
# editable; a sent quote is revised into a new draft version (the sent one is kept as it was sent).
QUOTE_TRANSITIONS: dict[str, set[str]] = {
    QuoteStatus.DRAFT: {QuoteStatus.SENT},
    QuoteStatus.SENT: {QuoteStatus.SENT, QuoteStatus.ACCEPTED, QuoteStatus.REJECTED, QuoteStatus.EXPIRED},
    QuoteStatus.ACCEPTED: set(),
    QuoteStatus.REJECTED: set(),
    QuoteStatus.EXPIRED: set(),
}


# The pipeline a fresh instance starts with (name, position, probability %, won, lost): created by migration 0003
# and again after a migrate or flush that left no stage at all (crm.apps), so the pipeline is never empty.
DEFAULT_LEAD_STAGES = (
    ("New", 10, 10, False, False),
    ("Contacted", 20, 20, False, False),
    ("Qualified", 30, 40, False, False),
    ("Quoted", 40, 60, False, False),
    ("Won", 50, 100, True, False),
    ("Lost", 60, 0, False, True),
)


# The omni-channel inbox ------------------------------------------------------------------------------------------


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WEBCHAT = "webchat", _("Web chat")


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    SNOOZED = "snoozed", _("Snoozed")
    RESOLVED = "resolved", _("Resolved")


class ConversationPriority(models.TextChoices):
    NONE = "none", _("None")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class MessageDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")  # from or to the customer, on the conversation's channel
    NOTE = "note", _("Private note")  # staff only, never sent
    ACTIVITY = "activity", _("Activity")  # "assigned to Ada", "resolved by Bob": written by the system


class MessageStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # inbound
    QUEUED = "queued", _("Queued")  # outbound, not yet accepted by the provider
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


# A delivery status only moves forward (a late "sent" report never undoes "read"); FAILED is final.
MESSAGE_STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
    MessageStatus.FAILED: 4,
}


# Inbox automation (crm.services.automation) ----------------------------------------------------------------------


class RuleEvent(models.TextChoices):
    CONVERSATION_CREATED = "conversation_created", _("Conversation created")
    MESSAGE_RECEIVED = "message_received", _("Message received")


class RuleMatch(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class AutomatedPurpose(models.TextChoices):
    AUTO_REPLY = "auto_reply", _("Business-hours auto-reply")
    CSAT = "csat", _("Satisfaction survey")


# field -> (operators, kind of value). Values: "channel" a channel id, "channel_kind" a ChannelKind, "email_domain"
# a domain (the contact's email after "@"), "message_body"/"subject" text (case-insensitive), "account_kind" an
# AccountKind ("none": no account), "business_hours" "open"/"closed", "label" a label id.
CONDITION_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "channel": (("is", "is_not"), "channel"),
    "channel_kind": (("is", "is_not"), "channel_kind"),
    "email_domain": (("is", "is_not"), "domain"),
    "message_body": (("contains", "not_contains"), "text"),
    "subject": (("contains", "not_contains"), "text"),
    "account_kind": (("is", "is_not"), "account_kind"),
    "business_hours": (("is",), "open_closed"),
    "label": (("present", "absent"), "label"),
}
# action -> kind of value ("none": takes no value).
ACTIONS: dict[str, str] = {
    "assign_team": "team",
    "assign_agent": "agent",
    "add_label": "label",
    "set_priority": "priority",
    "send_canned_reply": "canned_reply",
    "snooze": "hours",
    "resolve": "none",
}
