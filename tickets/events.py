"""The events of tickets: the catalogue entries and the functions its services call, inside their transaction, to
record them in the outbox (as crm/events.py). Business calendars are configuration and emit none; the SLA events
(tickets.sla.warning, .breached) join with the clocks."""

from notifications import outbox, registry
from notifications import services as notifications
from notifications.choices import Channel
from notifications.recipients import Recipient
from notifications.registry import DefaultTemplate
from omni.choices import Audience
from omni.db import TIMESTAMP_FIELDS
from omni.hosts import portal_url

from . import selectors

TICKET_PAYLOAD = (*[f for f in selectors.TICKET_FIELDS if f not in TIMESTAMP_FIELDS], "created_at", "updated_at")
STATUS_PAYLOAD = ("old", "new", *TICKET_PAYLOAD)
COMMENT_PAYLOAD = selectors.COMMENT_FIELDS

_TICKET_TEXT = "Ticket {{ number }} ({{ subject }}) was {verb}.\n\n{{ url }}\n"

for verb, description in (
    ("created", "A ticket was opened"),
    ("updated", "A ticket's fields were changed"),
):
    registry.register(
        f"tickets.ticket.{verb}",
        description,
        payload=TICKET_PAYLOAD,
        channels=(),  # staff follow it on their preferences page
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject=f"Ticket {{{{ number }}}} {verb}", text=_TICKET_TEXT.replace("{verb}", verb)
            ),
            Channel.INAPP: DefaultTemplate(subject=f"Ticket {{{{ number }}}} {verb}: {{{{ subject }}}}"),
        },
    )
registry.register(
    "tickets.ticket.status_changed",
    "A ticket's status changed (old, new)",
    payload=STATUS_PAYLOAD,
    channels=(),
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Ticket {{ number }} is now {{ new }}",
            text="Ticket {{ number }} ({{ subject }}) moved from {{ old }} to {{ new }}.\n\n{{ url }}\n",
        ),
        Channel.INAPP: DefaultTemplate(subject="Ticket {{ number }}: {{ old }} → {{ new }}"),
    },
)
registry.register(
    "tickets.comment.created",
    "A reply or internal note was added to a ticket",
    payload=COMMENT_PAYLOAD,
    channels=(),
    templates={
        Channel.EMAIL: DefaultTemplate(subject="New comment on a ticket", text="{{ body }}\n\n{{ url }}\n"),
        Channel.INAPP: DefaultTemplate(subject="New comment on a ticket"),
    },
)
registry.register(
    "tickets.comment.mentioned",
    "A staff user was mentioned in a reply or note",
    payload=COMMENT_PAYLOAD,
    channels=(Channel.INAPP, Channel.EMAIL),  # told directly: the person was named
    templates={
        Channel.EMAIL: DefaultTemplate(subject="You were mentioned on a ticket", text="{{ body }}\n\n{{ url }}\n"),
        Channel.INAPP: DefaultTemplate(subject="You were mentioned on a ticket"),
    },
)

PERMISSION = "tickets.view_ticket"


def ticket_url(ticket_id) -> str:
    """The ticket in the staff admin until the console's ticket page exists."""
    return portal_url(Audience.STAFF, "admin:tickets_ticket_change", object_id=ticket_id)


def ticket_changed(verb: str, ticket_id, *, by_id=None) -> None:
    """In the caller's transaction: record tickets.ticket.<verb> with the ticket as the API shows it to staff."""
    data = selectors.ticket_payload(ticket_id)
    outbox.event_record(f"tickets.ticket.{verb}", data, url=ticket_url(ticket_id), permission=PERMISSION, by_id=by_id)


def ticket_status_changed(ticket_id, *, old: str, new: str, by_id=None) -> None:
    data = {"old": old, "new": new, **selectors.ticket_payload(ticket_id)}
    outbox.event_record(
        "tickets.ticket.status_changed", data, url=ticket_url(ticket_id), permission=PERMISSION, by_id=by_id
    )


def comment_created(comment_id, *, by_id=None) -> None:
    data = selectors.comment_payload(comment_id)
    outbox.event_record(
        "tickets.comment.created", data, url=ticket_url(data["ticket"]), permission=PERMISSION, by_id=by_id
    )


def comment_mentioned(comment_id, users) -> None:
    """Tell each mentioned staff user (tickets.comment.mentioned), once per comment and person."""
    if not users:
        return
    data = selectors.comment_payload(comment_id)
    notifications.notify(
        "tickets.comment.mentioned",
        [Recipient.for_user(user) for user in users],
        data,
        url=ticket_url(data["ticket"]),
        idempotency_key=f"tickets.comment.mentioned:{comment_id}",
    )


# ---- pending customer: the reminder (services.pending_remind) -------------------------------------------------

registry.register(
    "tickets.ticket.pending_reminder",
    "A customer is reminded that a ticket waits for their reply",
    payload=("id", "number", "subject", "waiting_since", "close_days"),
    channels=(Channel.EMAIL,),  # only notify() sends it (as tickets.comment.mentioned): no outbox row, no webhook
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="We are waiting for your reply on ticket {{ number }}",
            text=(
                "Hello {{ recipient.name }},\n\n"
                "We are waiting for your reply on ticket {{ number }} ({{ subject }}). Please answer on the portal:\n"
                "{{ url }}\n\n"
                "If we do not hear from you within {{ close_days }} days, we will close the ticket. You can always "
                "open a follow-up from the portal.\n"
            ),
        ),
    },
)


def ticket_portal_url(ticket_id) -> str:
    """The ticket's page on the customer portal (the link customers get)."""
    return portal_url(Audience.CUSTOMER, "customer:ticket_detail", pk=ticket_id)


def ticket_pending_reminder(
    ticket_id, *, number: str, subject: str, waiting_since, close_days: int, recipient: Recipient, now=None
) -> None:
    """In the caller's transaction: remind the recipient (the ticket's contact) once per spell in pending customer
    (the idempotency key names the moment the ticket started waiting)."""
    notifications.notify(
        "tickets.ticket.pending_reminder",
        [recipient],
        {
            "id": str(ticket_id),
            "number": number,
            "subject": subject,
            "waiting_since": waiting_since.isoformat(),
            "close_days": close_days,
        },
        url=ticket_portal_url(ticket_id),
        idempotency_key=f"tickets.ticket.pending_reminder:{ticket_id}:{waiting_since.isoformat()}",
        now=now,
    )
