"""The events of workforce: the catalogue entries and the functions its services call, inside their transaction, to
record them in the outbox (as crm/events.py and tickets/events.py)."""

from zoneinfo import ZoneInfo

from notifications import outbox, registry
from notifications import services as notifications
from notifications.choices import Channel
from notifications.models import OutboxEvent
from notifications.registry import DefaultTemplate
from omni.choices import Audience
from omni.hosts import portal_url

from . import selectors, selectors_field

PERMISSION = "workforce.view_workorder"
WORK_ORDER_PAYLOAD = (*selectors.WORK_ORDER_FIELDS, "location")
STATUS_PAYLOAD = ("old", "new", *WORK_ORDER_PAYLOAD)
SCHEDULED_PAYLOAD = ("appointment", "technician", "start", "end", *WORK_ORDER_PAYLOAD)

for key, description, payload, subject in (
    ("created", "A work order was created", WORK_ORDER_PAYLOAD, "Work order {{ number }} created"),
    (
        "scheduled",
        "A work order was booked with a technician (appointment, technician, start, end)",
        SCHEDULED_PAYLOAD,
        "Work order {{ number }} scheduled for {{ start }}",
    ),
    (
        "dispatched",
        "A work order was dispatched to its technician (appointment, technician, start, end)",
        SCHEDULED_PAYLOAD,
        "Work order {{ number }} dispatched for {{ start }}",
    ),
    (
        "status_changed",
        "A work order's status changed (old, new)",
        STATUS_PAYLOAD,
        "Work order {{ number }}: {{ old }} → {{ new }}",
    ),
    ("completed", "A work order was completed", WORK_ORDER_PAYLOAD, "Work order {{ number }} completed"),
):
    registry.register(
        f"workforce.work_order.{key}",
        description,
        payload=payload,
        channels=(),  # staff follow them on their preferences page
        templates={
            Channel.EMAIL: DefaultTemplate(subject=subject, text=subject + ".\n"),
            Channel.INAPP: DefaultTemplate(subject=subject),
        },
    )


def _record(event: str, work_order_id, extra: dict | None = None, *, by_id=None) -> None:
    data = {**(extra or {}), **selectors.work_order_payload(work_order_id)}
    outbox.event_record(event, data, permission=PERMISSION, by_id=by_id)


def work_order_created(work_order_id, *, by_id=None) -> None:
    _record("workforce.work_order.created", work_order_id, by_id=by_id)


def work_order_status_changed(work_order_id, *, old: str, new: str, by_id=None) -> None:
    _record("workforce.work_order.status_changed", work_order_id, {"old": old, "new": new}, by_id=by_id)


def work_order_completed(work_order_id, *, by_id=None) -> None:
    _record("workforce.work_order.completed", work_order_id, by_id=by_id)


def work_order_scheduled(work_order_id, *, appointment, by_id=None) -> None:
    extra = {
        "appointment": str(appointment.pk),
        "technician": str(appointment.technician_id),
        "start": appointment.scheduled.lower.isoformat(),
        "end": appointment.scheduled.upper.isoformat(),
    }
    _record("workforce.work_order.scheduled", work_order_id, extra, by_id=by_id)


def work_order_dispatched(work_order_id, *, appointment, by_id=None) -> None:
    extra = {
        "appointment": str(appointment.pk),
        "technician": str(appointment.technician_id),
        "start": appointment.scheduled.lower.isoformat(),
        "end": appointment.scheduled.upper.isoformat(),
    }
    _record("workforce.work_order.dispatched", work_order_id, extra, by_id=by_id)


# ---- the technician view: "on the way" to the customer (services.field) ------------------------------------------

EN_ROUTE = "workforce.work_order.en_route"
registry.register(
    EN_ROUTE,
    "The customer is told that the technician is on the way, with the ETA",
    payload=("number", "eta", "eta_local", "technician", "window_start", "window_end", "address"),
    channels=(Channel.EMAIL, Channel.SMS),
    webhooks=False,  # only notify() sends it, to the account's contacts: no outbox row
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Your technician is on the way ({{ number }})",
            text=(
                "Hello {{ recipient.name }},\n\n"
                "{{ technician }} is on the way for visit {{ number }} and should arrive around {{ eta_local }}.\n"
            ),
        ),
        Channel.SMS: DefaultTemplate(
            text="{{ technician }} is on the way ({{ number }}), arriving around {{ eta_local }}."
        ),
    },
)


# ---- customer visits (services.visits): the day-before reminder and the customer's cancellation ---------------

VISIT_PAYLOAD = (
    "id", "number", "work_type", "start", "end", "window_start", "window_end", "when", "technician", "address",
)  # fmt: skip

registry.register(
    "workforce.appointment.reminder",
    "A customer's contacts are reminded of tomorrow's visit (once per appointment and start)",
    payload=VISIT_PAYLOAD,
    channels=(Channel.EMAIL,),  # only notify() sends it (as tickets.ticket.pending_reminder): no webhook
    webhooks=False,
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Reminder: our technician visits you {{ when }}",
            text=(
                "Hello {{ recipient.name }},\n\n"
                "This is a reminder of your visit for {{ work_type }} ({{ number }}): {{ technician }} arrives "
                "{{ when }}{% if address %} at {{ address }}{% endif %}.\n\n"
                "To move or cancel the visit, use the portal before the technician is on the way:\n{{ url }}\n"
            ),
        ),
        Channel.SMS: DefaultTemplate(
            text="Reminder: {{ technician }} visits you {{ when }} ({{ number }}). Move or cancel: {{ url }}"
        ),
        Channel.INAPP: DefaultTemplate(subject="Visit {{ when }} ({{ number }})"),
    },
)
registry.register(
    "workforce.appointment.customer_cancelled",
    "A customer cancelled a visit on the portal (appointment, reason); the work order waits for a new booking",
    payload=("appointment", "technician", "start", "end", "reason", *WORK_ORDER_PAYLOAD),
    channels=(),  # dispatchers follow it on their preferences page
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Work order {{ number }}: the customer cancelled the visit",
            text="The customer cancelled the visit of {{ start }} for work order {{ number }}: {{ reason }}\n",
        ),
        Channel.INAPP: DefaultTemplate(subject="Work order {{ number }}: visit cancelled by the customer"),
    },
)


# --- jeopardy ----------------------------------------------------------------------------------------------------

AT_RISK_PAYLOAD = (
    "appointment", "technician", "start", "end", "eta", "projected_arrival", "at_risk_at", *WORK_ORDER_PAYLOAD,
)  # fmt: skip
registry.register(
    "workforce.appointment.at_risk",
    "An appointment is at risk: its ETA (or the technician's projected arrival) passes the arrival window's end",
    payload=AT_RISK_PAYLOAD,
    channels=(),  # dispatchers follow it on their preferences page
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Work order {{ number }} is at risk",
            text="{{ number }}: arrival {{ projected_arrival }} is after its window's end {{ window_end }}.\n",
        ),
        Channel.INAPP: DefaultTemplate(subject="Work order {{ number }} is at risk"),
    },
)


def work_order_en_route(work_order, *, appointment, technician_name: str, key: str) -> None:
    """In the caller's transaction: tell the account's contacts that the technician is on the way, once per
    `key` (one en-route transition)."""
    zone = ZoneInfo(appointment.technician.time_zone)
    eta = appointment.eta
    data = {
        "number": work_order.number,
        "eta": eta.isoformat(),
        "eta_local": eta.astimezone(zone).strftime("%H:%M"),
        "technician": technician_name,
        "window_start": work_order.window_start.isoformat() if work_order.window_start else None,
        "window_end": work_order.window_end.isoformat() if work_order.window_end else None,
        "address": work_order.address,
    }
    recipients = selectors_field.account_recipients(account_id=work_order.account_id)
    if recipients:
        notifications.notify(EN_ROUTE, recipients, data, idempotency_key=f"{EN_ROUTE}:{key}")


def appointment_reminder(appointment_id, *, data: dict, recipients: list, now=None) -> None:
    """Remind the account's contacts of a visit, once per appointment and start (the idempotency key names both,
    so a visit moved to another day is reminded again)."""
    notifications.notify(
        "workforce.appointment.reminder",
        recipients,
        data,
        url=portal_url(Audience.CUSTOMER, "customer:visit_detail", pk=appointment_id),
        idempotency_key=f"workforce.appointment.reminder:{appointment_id}:{data['start']}",
        now=now,
    )


def appointment_customer_cancelled(work_order_id, *, appointment, reason: str, by_id=None) -> None:
    extra = {
        "appointment": str(appointment.pk),
        "technician": str(appointment.technician_id),
        "start": appointment.scheduled.lower.isoformat(),
        "end": appointment.scheduled.upper.isoformat(),
        "reason": reason,
    }
    _record("workforce.appointment.customer_cancelled", work_order_id, extra, by_id=by_id)


def appointments_at_risk_record(rows: list[dict], *, now) -> None:
    """In the caller's transaction: one workforce.appointment.at_risk event per row (an appointment the jeopardy
    scan has just flagged, with its work order's id as `work_order` and its local `day`, the board the link
    opens), in one SELECT and one INSERT whatever their number. Due at once: the outbox sweep dispatches them
    after commit."""
    if not rows:
        return
    registry.get("workforce.appointment.at_risk")
    payloads = selectors.work_order_payloads([row["work_order"] for row in rows])
    board = portal_url(Audience.STAFF, "staff:dispatch_board")
    OutboxEvent.objects.bulk_create(
        OutboxEvent(
            event="workforce.appointment.at_risk",
            data={
                **selectors.as_json({key: value for key, value in row.items() if key not in ("work_order", "day")}),
                **payloads[str(row["work_order"])],
            },
            url=f"{board}?day={row['day'].isoformat()}",  # the board of the appointment's day
            permission=PERMISSION,
            next_attempt_at=now,
        )
        for row in rows
    )
