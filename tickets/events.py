"""The events of tickets: the catalogue entries and the functions its services call, inside their transaction, to
record them in the outbox (as crm/events.py). Business calendars are configuration and emit none. The SLA events
(tickets.sla.warning, .breached) are recorded by the scan in one INSERT for all the clocks it touched."""

import datetime

import orjson
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models

from notifications import outbox, registry
from notifications import services as notifications
from notifications.choices import Channel
from notifications.recipients import Recipient
from notifications.registry import DefaultTemplate
from omni.api.renderers import OrjsonRenderer
from omni.choices import Audience
from omni.db import TIMESTAMP_FIELDS
from omni.hosts import portal_url

from . import selectors
from .models import SLAClock, Ticket

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

# An SLA event is the ticket as the API shows it to staff, with the clock that warned or breached.
SLA_FIELDS = ("metric", "cycle", "level", "due_at", "breached_at")
SLA_PAYLOAD = (*SLA_FIELDS, *TICKET_PAYLOAD)
for key, description, subject in (
    ("tickets.sla.warning", "An SLA clock of a ticket reached its warning share", "is breaching soon"),
    ("tickets.sla.breached", "An SLA clock of a ticket passed its target (and each level after)", "breached"),
):
    registry.register(
        key,
        description,
        payload=SLA_PAYLOAD,
        channels=(),  # staff follow it on their preferences page; escalation rules name whom else to tell
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject=f"Ticket {{{{ number }}}}: {{{{ metric }}}} {subject}",
                text=f"Ticket {{{{ number }}}} ({{{{ subject }}}}): {{{{ metric }}}} {subject}, due {{{{ due_at }}}}."
                "\n\n{{ url }}\n",
            ),
            Channel.SMS: DefaultTemplate(text=f"{{{{ number }}}} {{{{ metric }}}} {subject}: {{{{ subject }}}}"),
            Channel.INAPP: DefaultTemplate(subject=f"Ticket {{{{ number }}}}: {{{{ metric }}}} {subject}"),
        },
    )

PERMISSION = "tickets.view_ticket"


def ticket_url(ticket_id) -> str:
    """The ticket's page in the staff console (the link staff notifications and webhooks carry)."""
    return portal_url(Audience.STAFF, "staff:ticket_detail", pk=ticket_id)


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


def _as_json(data):
    return orjson.loads(OrjsonRenderer().render(data))


def sla_payload(clock: SLAClock, *, level: int = 0) -> dict:
    """One clock's SLA event payload (escalation notifications)."""
    clock_data = {"metric": clock.metric, "cycle": clock.cycle, "level": level}
    clock_data |= _as_json({"due_at": clock.due_at, "breached_at": clock.breached_at})
    return {**clock_data, **selectors.ticket_payload(clock.ticket_id)}


def _sql_json(column: str, field) -> str:
    """The SQL of `column` as the API renders it (OrjsonRenderer): UUIDs as text, arrays as JSON arrays, times in
    RFC 3339 UTC with a Z and microseconds only when there are some (as orjson writes them)."""
    if isinstance(field, models.DateTimeField):
        utc = f"({column} AT TIME ZONE 'UTC')"
        micro = f"CASE WHEN mod(extract(microseconds FROM {column})::bigint, 1000000) <> 0"
        micro += f" THEN to_char({utc}, '.US') ELSE '' END"
        return f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') || {micro} || 'Z'"""
    if isinstance(field, models.ForeignKey | models.UUIDField):
        return f"{column}::text"
    if isinstance(field, ArrayField):
        return f"to_jsonb({column})"
    return column


def _outbox_sql() -> str:
    """One INSERT ... SELECT of tickets.sla.* events: each clock with its ticket as ticket_payload shows it, the
    JSON built by the database (no row goes to Python and back)."""
    pairs = [
        f"'{name}', {_sql_json('c.' + name, SLAClock._meta.get_field(name))}" for name in SLA_FIELDS if name != "level"
    ]
    pairs.append("'level', NULL")
    for name in selectors.TICKET_FIELDS:
        field = Ticket._meta.get_field(name)
        pairs.append(f"'{name}', {_sql_json('t.' + field.column, field)}")
    return f"""
INSERT INTO notifications_outboxevent (id, created_at, updated_at, event, data, url, permission, attempts,
                                       next_attempt_at, last_error)
SELECT gen_random_uuid(), %(now)s, %(now)s,
       k.event,
       jsonb_build_object({", ".join(pairs)}),
       %(url_start)s || t.id::text || %(url_end)s, %(permission)s, 0, %(now)s, ''
  FROM unnest(%(clocks)s::uuid[], %(events)s::text[]) AS k(clock_id, event)
  JOIN tickets_slaclock c ON c.id = k.clock_id
  JOIN tickets_ticket t ON t.id = c.ticket_id
"""


def sla_events_record(*, warned, breached, now: datetime.datetime) -> None:
    """In the caller's transaction: tickets.sla.warning for each warned clock and tickets.sla.breached for each
    breached one, in one INSERT whatever their number. They are due at once: the outbox sweep (every few
    seconds) dispatches them after commit."""
    if not warned and not breached:
        return
    placeholder = "00000000-0000-0000-0000-000000000000"
    url_start, _, url_end = ticket_url(placeholder).partition(placeholder)
    params = {
        "now": now,
        "clocks": [*warned, *breached],
        "events": ["tickets.sla.warning"] * len(warned) + ["tickets.sla.breached"] * len(breached),
        "url_start": url_start,
        "url_end": url_end,
        "permission": PERMISSION,
    }
    with connection.cursor() as cursor:
        cursor.execute(_outbox_sql(), params)
