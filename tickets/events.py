"""The events of tickets: the catalogue entries and the functions its services call, inside their transaction, to
record them in the outbox (as crm/events.py). Business calendars are configuration and emit none. The SLA events
(tickets.sla.warning, .breached) are recorded by the scan in one INSERT for all the clocks it touched."""

import datetime

import orjson
from django.db import connection

from notifications import outbox, registry
from notifications.choices import Channel
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


OUTBOX_SQL = """
INSERT INTO notifications_outboxevent (id, created_at, updated_at, event, data, url, permission, attempts,
                                       next_attempt_at, last_error)
SELECT gen_random_uuid(), %(now)s, %(now)s, e->>'event', e->'data', e->>'url', %(permission)s, 0, %(now)s, ''
  FROM jsonb_array_elements(%(rows)s::jsonb) AS e
"""


def _as_json(data):
    return orjson.loads(OrjsonRenderer().render(data))


def ticket_payloads(ticket_ids) -> dict:
    """ticket_payload of many tickets in one query: id -> payload."""
    columns = {name: Ticket._meta.get_field(name).attname for name in selectors.TICKET_FIELDS}
    rows = Ticket.objects.filter(pk__in=list(ticket_ids)).order_by().values(*columns.values())
    payloads = _as_json([{name: row[column] for name, column in columns.items()} for row in rows])  # one render
    return {payload["id"]: payload for payload in payloads}


def sla_payload(clock: SLAClock, *, level: int = 0) -> dict:
    """One clock's SLA event payload (escalation notifications)."""
    clock_data = {"metric": clock.metric, "cycle": clock.cycle, "level": level}
    clock_data |= _as_json({"due_at": clock.due_at, "breached_at": clock.breached_at})
    return {**clock_data, **selectors.ticket_payload(clock.ticket_id)}


def clock_tickets(clock_ids) -> list:
    if not clock_ids:
        return []
    clocks = SLAClock.objects.filter(pk__in=list(clock_ids)).order_by()
    return list(clocks.values_list("ticket_id", flat=True).distinct())


def sla_events_record(*, warned, breached, now: datetime.datetime) -> None:
    """In the caller's transaction: tickets.sla.warning for each warned clock and tickets.sla.breached for each
    breached one, in three queries whatever their number (the clocks, their tickets, one INSERT). They are due at
    once: the outbox sweep (every few seconds) dispatches them after commit."""
    kinds = {**dict.fromkeys(warned, "tickets.sla.warning"), **dict.fromkeys(breached, "tickets.sla.breached")}
    if not kinds:
        return
    fields = [name for name in SLA_FIELDS if name != "level"]
    clocks = list(SLAClock.objects.filter(pk__in=list(kinds)).values("id", "ticket_id", *fields))
    tickets = ticket_payloads({clock["ticket_id"] for clock in clocks})
    placeholder = "00000000-0000-0000-0000-000000000000"
    url = ticket_url(placeholder)  # reversed once: a reverse() per row would cost more than the scan's SQL
    rendered = _as_json([{name: clock[name] for name in fields} for clock in clocks])
    rows = []
    for clock, data in zip(clocks, rendered, strict=True):
        ticket_id = str(clock["ticket_id"])
        rows.append(
            {
                "event": kinds[clock["id"]],
                "data": {**data, "level": None, **tickets[ticket_id]},  # level: escalation notifications only
                "url": url.replace(placeholder, ticket_id),
            }
        )
    # One parameter, unpacked by the server: thousands of rows cost one short statement, not 10 parameters each.
    with connection.cursor() as cursor:
        cursor.execute(OUTBOX_SQL, {"rows": orjson.dumps(rows).decode(), "permission": PERMISSION, "now": now})
