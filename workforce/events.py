"""The events of workforce: the catalogue entries and the functions its services call, inside their transaction, to
record them in the outbox (as crm/events.py and tickets/events.py)."""

from notifications import outbox, registry
from notifications.choices import Channel
from notifications.registry import DefaultTemplate

from . import selectors

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
