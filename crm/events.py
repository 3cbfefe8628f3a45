"""The events crm emits (catalogue entries) and the functions its services call, inside their transaction, to
record them in the outbox (notifications.outbox: webhooks and follower notifications go out after commit)."""

from notifications import outbox, registry
from notifications.choices import Channel
from notifications.registry import DefaultTemplate
from omni.choices import Audience
from omni.db import TIMESTAMP_FIELDS
from omni.hosts import portal_url

from . import selectors
from .models import Account, Contact


def _catalogue(fields: tuple[str, ...]) -> tuple[str, ...]:
    # The event catalogue lists a payload's fields with the timestamps last.
    return (*[name for name in fields if name not in TIMESTAMP_FIELDS], *TIMESTAMP_FIELDS)


# The payloads are the API's staff view of the record (selectors.account_payload / contact_payload).
ACCOUNT_PAYLOAD = _catalogue(Account.STAFF_FIELDS)
CONTACT_PAYLOAD = _catalogue(Contact.STAFF_FIELDS)

_ACCOUNT_TEXT = "Account {{ number }} ({{ name }}) was {verb}.\n\n{{ url }}\n"
_CONTACT_TEXT = "Contact {{ full_name }} was {verb}.\n\n{{ url }}\n"

for verb, description in (
    ("created", "A customer account was created"),
    ("updated", "A customer account was changed"),
    ("deleted", "A customer account was deleted (restorable)"),
):
    registry.register(
        f"crm.account.{verb}",
        description,
        payload=ACCOUNT_PAYLOAD,
        channels=(),  # staff follow it on their preferences page (services.notify_followers)
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject=f"Account {{{{ number }}}} {verb}", text=_ACCOUNT_TEXT.replace("{verb}", verb)
            ),
            Channel.INAPP: DefaultTemplate(subject=f"Account {{{{ number }}}} {verb}: {{{{ name }}}}"),
        },
    )
for verb, description in (
    ("created", "A contact (person) was created"),
    ("updated", "A contact (person) was changed"),
    ("deleted", "A contact (person) was deleted or merged into another"),
):
    registry.register(
        f"crm.contact.{verb}",
        description,
        payload=CONTACT_PAYLOAD,
        channels=(),
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject=f"Contact {{{{ full_name }}}} {verb}", text=_CONTACT_TEXT.replace("{verb}", verb)
            ),
            Channel.INAPP: DefaultTemplate(subject=f"Contact {{{{ full_name }}}} {verb}"),
        },
    )


def account_url(account_id) -> str:
    """The account's page in the staff console (the link in notifications)."""
    return portal_url(Audience.STAFF, "staff:account_detail", pk=account_id)


def account_changed(verb: str, account_id, *, by_id=None) -> None:
    """In the caller's transaction: record crm.account.<verb> with the account as the API shows it to staff
    (webhooks), for the staff who follow the event except the one who made the change (`by_id`)."""
    outbox.event_record(
        f"crm.account.{verb}",
        selectors.account_payload(account_id),
        url=account_url(account_id),
        permission="crm.view_account",
        by_id=by_id,
    )


def contact_changed(verb: str, contact_id, *, by_id=None) -> None:
    """In the caller's transaction: record crm.contact.<verb> with the contact as the API shows it to staff
    (webhooks), for the staff who follow the event except the one who made the change (`by_id`)."""
    data = selectors.contact_payload(contact_id)
    outbox.event_record(
        f"crm.contact.{verb}",
        data,
        url=portal_url(Audience.STAFF, "staff:contact_detail", pk=data["id"]),
        permission="crm.view_contact",
        by_id=by_id,
    )


# Leads ----------------------------------------------------------------------------------------------------------
# The payload of crm.lead.* is the lead as the API shows it to staff (selectors.lead_payload, crm.api.leads.LeadOut).

LEAD_PAYLOAD = (
    "id", "number", "first_name", "last_name", "full_name", "company", "email", "phone", "service_address",
    "location", "source", "owner", "reseller", "stage", "stage_changed_at", "currency", "expected_monthly_value",
    "lost_reason", "next_follow_up", "follow_up_reminded_on", "notes", "account", "contact", "converted_at",
    "converted_by", "created_by", "created_at", "updated_at",
)  # fmt: skip
_LEAD_TEXT = "Lead {{ number }} ({{ full_name }}{% if company %}, {{ company }}{% endif %}) was {verb}.\n\n{{ url }}\n"

for verb, description in (
    ("created", "A lead was captured (staff, a reseller, the API)"),
    ("updated", "A lead was changed or moved to another pipeline stage"),
    ("converted", "A lead became an account with its contact (a new account or an existing one)"),
):
    registry.register(
        f"crm.lead.{verb}",
        description,
        payload=LEAD_PAYLOAD,
        channels=(),  # staff follow it on their preferences page
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject=f"Lead {{{{ number }}}} {verb}", text=_LEAD_TEXT.replace("{verb}", verb)
            ),
            Channel.INAPP: DefaultTemplate(subject=f"Lead {{{{ number }}}} {verb}: {{{{ full_name }}}}"),
        },
    )

LEAD_FOLLOW_UP_PAYLOAD = ("id", "number", "full_name", "company", "next_follow_up")
registry.register(
    "crm.lead.follow_up_due",
    "A lead you own is due for a follow-up (sent once per follow-up date)",
    payload=LEAD_FOLLOW_UP_PAYLOAD,
    channels=(Channel.INAPP, Channel.EMAIL),  # only notify() sends it, to the owner: no outbox row
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Follow up lead {{ number }} today",
            text="Hello {{ recipient.name }},\n\nLead {{ number }} ({{ full_name }}{% if company %}, {{ company }}"
            "{% endif %}) is due for a follow-up on {{ next_follow_up }}.\n\n{{ url }}\n",
        ),
        Channel.INAPP: DefaultTemplate(subject="Follow up lead {{ number }}: {{ full_name }}"),
    },
)


def lead_url(lead_id) -> str:
    """The lead's page in the staff console."""
    return portal_url(Audience.STAFF, "staff:lead_detail", pk=lead_id)


def lead_changed(verb: str, lead_id, *, by_id=None) -> None:
    """In the caller's transaction: record crm.lead.<verb> (created, updated, converted) for webhooks and the staff
    who follow it, except the one who made the change (`by_id`)."""
    data = selectors.lead_payload(lead_id)
    outbox.event_record(f"crm.lead.{verb}", data, url=lead_url(lead_id), permission="crm.view_lead", by_id=by_id)


def lead_follow_up_due(row: dict, *, owner, now=None) -> None:
    """In the caller's transaction: tell the lead's owner that its follow-up is due, once per lead and follow-up
    date (the idempotency key names both)."""
    from notifications import services as notifications
    from notifications.recipients import Recipient

    notifications.notify(
        "crm.lead.follow_up_due",
        [Recipient.for_user(owner)],
        {key: row[key] for key in LEAD_FOLLOW_UP_PAYLOAD},
        url=lead_url(row["id"]),
        idempotency_key=f"crm.lead.follow_up_due:{row['id']}:{row['next_follow_up']}",
        now=now,
    )


# Quotes ------------------------------------------------------------------------------------------------------
# crm.quote.<verb>: the domain events (webhooks; staff who follow them). crm.quote.offered: the email that takes a
# sent quote (its PDF attached) to the customer; people only, and mandatory (it is the quote, not a newsletter).

QUOTE_PAYLOAD = (
    "id",
    "number",
    "version",
    "revision_of",
    "status",
    "account",
    "lead",
    "contact",
    "title",
    "currency",
    "valid_until",
    "notes",
    "lines",
    "subtotal_one_off",
    "tax_one_off",
    "total_one_off",
    "subtotal_monthly",
    "tax_monthly",
    "total_monthly",
    "sent_at",
    "decided_at",
    "decided_name",
    "decided_ip",
    "rejection_reason",
    "created_at",
    "updated_at",
)
QUOTE_OFFERED = "crm.quote.offered"
_QUOTE_TEXT = "Quote {{ number }} (version {{ version }}) was {verb}.\n\n{{ url }}\n"

for verb, description in (
    ("sent", "A quote was sent to its customer"),
    ("accepted", "A customer accepted a quote"),
    ("rejected", "A customer rejected a quote"),
    ("expired", "A sent quote passed its validity date unanswered"),
):
    registry.register(
        f"crm.quote.{verb}",
        description,
        payload=QUOTE_PAYLOAD,
        channels=(),  # staff follow them on their preferences page
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject=f"Quote {{{{ number }}}} {verb}", text=_QUOTE_TEXT.replace("{verb}", verb)
            ),
            Channel.INAPP: DefaultTemplate(subject=f"Quote {{{{ number }}}} {verb}"),
        },
    )
registry.register(
    QUOTE_OFFERED,
    "A quote emailed to its customer, the PDF attached, with the link to accept or reject it",
    payload=("number", "version", "title", "organisation", "total_one_off", "total_monthly", "valid_until", "url"),
    channels=(Channel.EMAIL,),
    mandatory=True,
    webhooks=False,
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Quote {{ number }}{% if version > 1 %} (version {{ version }}){% endif %} from {{ organisation }}",
            text=(
                "Hello {{ recipient.name }},\n\n"
                "please find our quote {{ number }}{% if title %} ({{ title }}){% endif %} attached.\n\n"
                "One-off: {{ total_one_off }}\nMonthly: {{ total_monthly }}\n"
                "Valid until {{ valid_until }}.\n\n"
                "View, accept or reject it here:\n{{ url }}\n\n{{ organisation }}\n"
            ),
        ),
    },
)


def quote_email_context(quote) -> dict:
    """What the customer's email (crm.quote.offered) prints, as plain data."""
    from django.conf import settings

    from .money import money_text

    return {
        "number": quote.number,
        "version": quote.version,
        "title": quote.title,
        "organisation": settings.OMNI_ORGANISATION_NAME,
        "total_one_off": money_text(quote.total_one_off, quote.currency),
        "total_monthly": money_text(quote.total_monthly, quote.currency),
        "valid_until": quote.valid_until.isoformat(),
    }


def quote_changed(verb: str, quote_id, *, by_id=None) -> None:
    """In the caller's transaction: record crm.quote.<verb> (sent, accepted, rejected, expired) with the quote as
    the API shows it to staff, for webhooks and the staff who follow it (not the one who made the change)."""
    outbox.event_record(
        f"crm.quote.{verb}",
        selectors.quote_payload(quote_id),
        url=portal_url(Audience.STAFF, "staff:quote_detail", pk=quote_id),
        permission="crm.view_quote",
        by_id=by_id,
    )


# The omni-channel inbox -----------------------------------------------------------------------------------------
# Payloads: the conversation or message as the API shows it to staff (selectors.conversation_payload /
# message_payload). A message event carries the message with its conversation's number and status.

CONVERSATION_PAYLOAD = _catalogue(selectors.CONVERSATION_FIELDS)
MESSAGE_PAYLOAD = (*_catalogue(selectors.MESSAGE_FIELDS), "conversation_number", "channel", "channel_kind")

for name, description in (
    ("crm.conversation.created", "A conversation started (a customer wrote in, or staff started one)"),
    ("crm.conversation.assigned", "A conversation was assigned to an agent or a team"),
    ("crm.conversation.resolved", "A conversation was resolved"),
):
    registry.register(
        name,
        description,
        payload=CONVERSATION_PAYLOAD,
        channels=(),  # staff follow it on their preferences page
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject="Conversation {{ number }}: " + description.lower(), text="{{ subject }}\n\n{{ url }}\n"
            ),
            Channel.INAPP: DefaultTemplate(subject="Conversation {{ number }}: " + description.lower()),
        },
    )
for name, description in (
    ("crm.message.received", "A customer's message arrived on a channel"),
    ("crm.message.sent", "A reply went out on a conversation's channel"),
):
    registry.register(
        name,
        description,
        payload=MESSAGE_PAYLOAD,
        channels=(),
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject="{{ conversation_number }}: " + description.lower(), text="{{ body }}\n\n{{ url }}\n"
            ),
            Channel.INAPP: DefaultTemplate(subject="{{ conversation_number }}: " + description.lower()),
        },
    )


def conversation_url(conversation_id) -> str:
    """The conversation's page in the staff console."""
    return portal_url(Audience.STAFF, "staff:inbox_conversation", pk=conversation_id)


def conversation_changed(verb: str, conversation_id, *, by_id=None) -> None:
    """In the caller's transaction: record crm.conversation.<verb> (created, assigned, resolved)."""
    outbox.event_record(
        f"crm.conversation.{verb}",
        selectors.conversation_payload(conversation_id),
        url=conversation_url(conversation_id),
        permission="crm.view_conversation",
        by_id=by_id,
    )


def message_changed(verb: str, message_id, *, by_id=None) -> None:
    """In the caller's transaction: record crm.message.<verb> (received, sent)."""
    data = selectors.message_payload(message_id)
    conversation = selectors.conversation_payload(data["conversation"])
    data |= {
        "conversation_number": conversation["number"],
        "channel": conversation["channel"],
        "channel_kind": conversation["channel_kind"],
    }
    outbox.event_record(
        f"crm.message.{verb}",
        data,
        url=conversation_url(data["conversation"]),
        permission="crm.view_conversation",
        by_id=by_id,
    )


MENTION_PAYLOAD = ("conversation", "conversation_number", "note", "by", "body")
registry.register(
    "crm.conversation.mentioned",
    "A colleague mentioned you in a private note on a conversation",
    payload=MENTION_PAYLOAD,
    channels=(Channel.INAPP, Channel.EMAIL),  # only notify() sends it, to the people mentioned: no outbox row
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="{{ by }} mentioned you on {{ conversation_number }}",
            text="Hello {{ recipient.name }},\n\n{{ by }} mentioned you in a note on conversation "
            "{{ conversation_number }}:\n\n{{ body }}\n\n{{ url }}\n",
        ),
        Channel.INAPP: DefaultTemplate(subject="{{ by }} mentioned you on {{ conversation_number }}"),
    },
)


def conversation_mentioned(note, *, mentioned, by) -> None:
    """In the caller's transaction: tell each staff user mentioned in a private note (in-app and email, as their
    preferences say), once per note and person."""
    from notifications import services as notifications
    from notifications.recipients import Recipient

    conversation = note.conversation
    notifications.notify(
        "crm.conversation.mentioned",
        [Recipient.for_user(user) for user in mentioned],
        {
            "conversation": str(conversation.pk),
            "conversation_number": conversation.number,
            "note": str(note.pk),
            "by": by.get_full_name() or by.email,
            "body": note.body[:2000],
        },
        url=conversation_url(conversation.pk),
        idempotency_key=f"crm.conversation.mentioned:{note.pk}",
    )
