"""The events of workforce: the catalogue entries and the functions its services call, inside their transaction, to
record them in the outbox (as crm/events.py and tickets/events.py)."""

from notifications import outbox, registry
from notifications.choices import Channel
from notifications.models import OutboxEvent
from notifications.registry import DefaultTemplate
from omni.choices import Audience
from omni.hosts import portal_url

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
