"""The field work on a work order (issue 14 items 2 and 8): checklist ticks, notes, photos, the customer's signature,
time entries, materials, the technician's status buttons, and the offline sync that replays a batch of them.

Every write runs in one transaction. Statuses change only through orders.work_order_transition (the status
machine, a 409 naming both statuses otherwise). The sync applies each operation once per (technician, key): the
SyncOperation row is inserted first, so a concurrent replay of the same key waits on the unique index and then
answers the stored result; every operation has its own transaction, so one refusal never undoes the others."""

import datetime
import hashlib
import json
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from uuid import UUID

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from omni.db import violated_constraint
from omni.exceptions import Conflict, DomainError
from omni.models import User
from tickets.services.replies import SIGNATURES

from .. import events, selectors_field
from ..choices import WORK_ORDER_CLOSED, AppointmentStatus, SyncOutcome, TimeEntryKind, WorkOrderStatus
from ..models import (
    TIME_ENTRY_NO_OVERLAP,
    Appointment,
    ChecklistItem,
    CustomerSignature,
    MaterialUsed,
    SyncOperation,
    Technician,
    TimeEntry,
    WorkOrder,
    WorkOrderNote,
    WorkOrderPhoto,
    WorkOrderStatusChange,
)
from .orders import work_order_transition

S = WorkOrderStatus
# the status buttons of the technician view, in the order a visit goes
FIELD_STATUSES = (S.EN_ROUTE, S.ON_SITE, S.COMPLETED, S.CANNOT_COMPLETE)
PHOTO_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
SYNC_MAX_OPERATIONS = 100
SYNC_KEY_LENGTH = (8, 100)
ETA_MAX_MINUTES = 12 * 60


def _work_order_open(work_order_id) -> WorkOrder:
    """The work order, locked; a completed or cancelled one is a Conflict (its field record is closed)."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order_id)
    if work_order.status in WORK_ORDER_CLOSED:
        raise Conflict(_("A %(status)s work order cannot be changed.") % {"status": work_order.status})
    return work_order


# --- checklist, notes, materials, time --------------------------------------------------------------------------


@transaction.atomic
def checklist_tick(*, item_id, done: bool, by: User | None = None, now: datetime.datetime | None = None):
    """Ticks (or unticks) one checklist item; the same answer twice changes nothing. A closed work order is 409."""
    item = ChecklistItem.objects.select_for_update().get(pk=item_id)
    _work_order_open(item.work_order_id)
    done = bool(done)
    if item.done == done:
        return item
    item.done, item.done_at, item.done_by = done, (now or timezone.now()) if done else None, by if done else None
    item.save(update_fields=["done", "done_at", "done_by", "updated_at"])
    return item


@transaction.atomic
def note_add(*, work_order_id, body: str, by: User | None = None) -> WorkOrderNote:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write the note.")]})
    WorkOrder.objects.select_for_update().get(pk=work_order_id)  # notes queue behind a transition of the same job
    return WorkOrderNote.objects.create(work_order_id=work_order_id, author=by, body=body)


def _quantity(value) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"quantity": [_("Give the quantity as a number.")]}) from None
    if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal("10000000"):
        raise ValidationError({"quantity": [_("The quantity is above zero.")]})
    return quantity.quantize(Decimal("0.001"))


@transaction.atomic
def material_add(*, work_order_id, item: str, quantity, unit: str = "pcs", by: User | None = None) -> MaterialUsed:
    """Material used on an open work order (free text item, quantity above zero, unit)."""
    item, unit = (item or "").strip(), (unit or "").strip() or "pcs"
    if not item:
        raise ValidationError({"item": [_("Name the material.")]})
    _work_order_open(work_order_id)
    material = MaterialUsed(
        work_order_id=work_order_id, item=item, quantity=_quantity(quantity), unit=unit, recorded_by=by
    )
    material.full_clean(exclude=["work_order"])
    material.save()
    return material


def _aware(value, field: str, *, required: bool = True) -> datetime.datetime | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: [_("Give the time.")]})
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValidationError({field: [_("Give a date and time like 2030-03-04T09:30:00+01:00.")]})
        value = parsed
    if timezone.is_naive(value):
        raise ValidationError({field: [_("Give a time with its offset.")]})
    return value


@transaction.atomic
def time_entry_add(
    *, technician: Technician, kind: str, start, end=None, work_order_id=None, note: str = ""
) -> TimeEntry:
    """A time entry [start, end) of the technician (an open end: still running). 400 naming the field for bad input;
    an overlap with another of their entries is a Conflict (409), decided by the exclusion constraint."""
    if kind not in TimeEntryKind.values:
        raise ValidationError({"kind": [_("Choose travel, work or break.")]})
    start, end = _aware(start, "start"), _aware(end, "end", required=False)
    if end is not None and end <= start:
        raise ValidationError({"end": [_("A time entry ends after it starts.")]})
    entry = TimeEntry(
        technician=technician,
        work_order_id=work_order_id,
        kind=kind,
        during=DateTimeTZRange(start, end, "[)"),
        note=(note or "").strip()[:200],
    )
    entry.full_clean(validate_constraints=False)  # the database decides overlaps, a racing writer included
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        if violated_constraint(exc) == TIME_ENTRY_NO_OVERLAP:
            message = _("This overlaps another of your time entries.")
            raise Conflict(message, fields={"start": [message]}) from exc
        raise
    return entry


# --- photos and the signature -----------------------------------------------------------------------------------


def _image_check(upload: UploadedFile, field: str, extensions=PHOTO_EXTENSIONS) -> str:
    """The upload's extension, after the size, type and signature checks (tickets' attachment rules): a
    ValidationError keyed `field` naming the file and the reason otherwise."""
    limit = settings.WORKFORCE_PHOTO_MAX_BYTES
    name = upload.name or ""
    extension = PurePath(name).suffix.lower().lstrip(".")
    if upload.size > limit:
        raise ValidationError(
            {
                field: [
                    _("%(name)s is %(size)s; the limit is %(limit)s.")
                    % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
                ]
            }
        )
    if extension not in extensions:
        raise ValidationError(
            {
                field: [
                    _("%(name)s: .%(ext)s files are not accepted (allowed: %(allowed)s).")
                    % {"name": name, "ext": extension or "?", "allowed": ", ".join(extensions)}
                ]
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(SIGNATURES[extension]) or (extension == "webp" and b"WEBP" not in head):
        raise ValidationError({field: [_("%(name)s is not a real .%(ext)s file.") % {"name": name, "ext": extension}]})
    return extension


@contextmanager
def _files_removed_on_failure() -> Iterator[list]:
    """Files written inside the block are removed from storage when it fails (its transaction rolled back)."""
    written: list = []
    try:
        yield written
    except BaseException:
        for file in written:
            file.delete(save=False)
        raise


def photo_add(
    *,
    work_order_id,
    upload: UploadedFile,
    by: User | None = None,
    point: Point | None = None,
    taken_at: datetime.datetime | None = None,
) -> WorkOrderPhoto:
    """A photo of the job (jpg, png or webp up to WORKFORCE_PHOTO_MAX_BYTES, checked by its first bytes), with
    where and when it was taken; stored under a random name. 400 on `photo` otherwise."""
    _image_check(upload, "photo")
    taken_at = _aware(taken_at, "taken_at", required=False) or timezone.now()
    with _files_removed_on_failure() as written, transaction.atomic():
        _work_order_open(work_order_id)
        photo = WorkOrderPhoto(
            work_order_id=work_order_id,
            name=PurePath(upload.name).name[:255],
            content_type=mimetypes.guess_type(upload.name)[0] or "application/octet-stream",
            size=upload.size,
            point=point,
            taken_at=taken_at,
            uploaded_by=by,
        )
        photo.file.save(upload.name, upload, save=False)
        written.append(photo.file)
        photo.save()
    return photo


def signature_save(
    *, work_order_id, image: UploadedFile, signer_name: str, by: User | None = None, signed_at=None
) -> CustomerSignature:
    """The customer's signature (a PNG, as a canvas gives it) with the signer's name; signing again replaces it."""
    signer_name = (signer_name or "").strip()[:200]
    if not signer_name:
        raise ValidationError({"signer_name": [_("Who signed?")]})
    _image_check(image, "signature", extensions=("png",))
    signed_at = _aware(signed_at, "signed_at", required=False) or timezone.now()
    with _files_removed_on_failure() as written, transaction.atomic():
        _work_order_open(work_order_id)
        signature = CustomerSignature.objects.select_for_update().filter(work_order_id=work_order_id).first()
        old_file = signature.image.name if signature else None
        signature = signature or CustomerSignature(work_order_id=work_order_id)
        signature.signer_name, signature.signed_at, signature.captured_by = signer_name, signed_at, by
        signature.image.save("signature.png", image, save=False)
        written.append(signature.image)
        signature.save()
        if old_file:
            storage = signature.image.storage
            transaction.on_commit(lambda: storage.delete(old_file))
    return signature


# --- the status buttons -----------------------------------------------------------------------------------------


def _live_appointment(work_order_id, technician: Technician | None) -> Appointment | None:
    live = Appointment.objects.filter(work_order_id=work_order_id).exclude(status=AppointmentStatus.CANCELLED)
    if technician is not None:
        live = live.filter(technician=technician)
    return live.select_related("technician__user").first()


@transaction.atomic
def field_status_set(
    *,
    work_order_id,
    to: str,
    by: User | None = None,
    technician: Technician | None = None,
    eta_minutes=None,
    completion_notes: str = "",
    reason: str = "",
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """A status button of the technician view, through work_order_transition (409 naming both statuses when the
    status machine refuses):
    - en route: the appointment's ETA is now + `eta_minutes` (default: its travel time, else 30) and the account's
      contacts are told (workforce.work_order.en_route), once per en-route transition;
    - completed: needs `completion_notes` (400) and every checklist item done (400 on `checklist`);
    - cannot complete: needs a `reason` (400), kept in the status history.
    Pressing a button of the status the job already has changes nothing."""
    if to not in FIELD_STATUSES:
        raise ValidationError({"to": [_("Choose en route, on site, completed or cannot complete.")]})
    now = now or timezone.now()
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order_id)
    if work_order.status == to:
        return work_order  # a retried button
    note = ""
    if to == S.COMPLETED:
        completion_notes = (completion_notes or "").strip()
        if not completion_notes:
            raise ValidationError({"completion_notes": [_("Write the completion notes.")]})
    if to == S.CANNOT_COMPLETE:
        note = (reason or "").strip()
        if not note:
            raise ValidationError({"reason": [_("Say why the job cannot be completed.")]})
    if to == S.EN_ROUTE:
        try:
            minutes = None if eta_minutes in (None, "") else int(eta_minutes)
        except (TypeError, ValueError):
            raise ValidationError({"eta_minutes": [_("Give the minutes to arrival as a number.")]}) from None
        if minutes is not None and not 0 <= minutes <= ETA_MAX_MINUTES:
            raise ValidationError({"eta_minutes": [_("Minutes to arrival are between 0 and 720.")]})
    work_order = work_order_transition(work_order_id=work_order_id, to=to, by=by, note=note)
    if to == S.COMPLETED:
        work_order.completion_notes = completion_notes
        work_order.save(update_fields=["completion_notes", "updated_at"])
    if to == S.EN_ROUTE:
        appointment = _live_appointment(work_order_id, technician)
        if appointment is not None:
            if minutes is None:
                minutes = appointment.travel_before_minutes or 30
            appointment.eta = now + datetime.timedelta(minutes=minutes)
            appointment.save(update_fields=["eta", "updated_at"])
            change = WorkOrderStatusChange.objects.filter(work_order=work_order, new=S.EN_ROUTE).latest("at")
            name = appointment.technician.user.get_full_name() or _("Your technician")
            events.work_order_en_route(work_order, appointment=appointment, technician_name=name, key=str(change.pk))
    return work_order


# --- the offline sync -------------------------------------------------------------------------------------------


class _Replay(Exception):
    """The key was met before (or is being applied by a concurrent request, which the unique index waits for)."""


def _digest(operation: dict) -> str:
    payload = {k: v for k, v in operation.items() if k != "key"}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _uuid(value, field: str) -> UUID:
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Not a valid id.")]}) from None


class _NotFound(Exception):
    pass


def _job(technician: Technician, value, field: str = "work_order") -> WorkOrder:
    work_order = selectors_field.work_order_for_technician(technician=technician, work_order_id=_uuid(value, field))
    if work_order is None:
        raise _NotFound
    return work_order


def _apply(technician: Technician, by: User, operation: dict) -> tuple[dict, WorkOrder | None]:
    """Apply one operation (its access checked: a job that is not the technician's is _NotFound)."""
    op = operation.get("op")
    if op == "status":
        work_order = _job(technician, operation.get("work_order"))
        work_order = field_status_set(
            work_order_id=work_order.pk,
            to=operation.get("to"),
            by=by,
            technician=technician,
            eta_minutes=operation.get("eta_minutes"),
            completion_notes=operation.get("completion_notes") or "",
            reason=operation.get("reason") or "",
        )
        return {"work_order_status": work_order.status}, work_order
    if op == "checklist":
        item = ChecklistItem.objects.filter(pk=_uuid(operation.get("item"), "item")).first()
        if item is None:
            raise _NotFound
        work_order = _job(technician, item.work_order_id, "item")
        item = checklist_tick(item_id=item.pk, done=bool(operation.get("done")), by=by)
        return {"item": str(item.pk), "done": item.done}, work_order
    if op == "note":
        work_order = _job(technician, operation.get("work_order"))
        note = note_add(work_order_id=work_order.pk, body=operation.get("body") or "", by=by)
        return {"note": str(note.pk)}, work_order
    if op == "material":
        work_order = _job(technician, operation.get("work_order"))
        material = material_add(
            work_order_id=work_order.pk,
            item=operation.get("item") or "",
            quantity=operation.get("quantity"),
            unit=operation.get("unit") or "",
            by=by,
        )
        return {"material": str(material.pk)}, work_order
    if op == "time_entry":
        work_order = _job(technician, operation["work_order"]) if operation.get("work_order") else None
        entry = time_entry_add(
            technician=technician,
            kind=operation.get("kind") or "",
            start=operation.get("start"),
            end=operation.get("end"),
            work_order_id=work_order.pk if work_order else None,
            note=operation.get("note") or "",
        )
        return {"time_entry": str(entry.pk)}, work_order
    raise ValidationError({"op": [_("Unknown operation %(op)s.") % {"op": str(op)[:30]}]})


def _status_now(technician: Technician, operation: dict) -> dict:
    """A refused status button's job as it stands, so the page can show the status it really has."""
    try:
        work_order = _job(technician, operation.get("work_order"))
    except (_NotFound, ValidationError):
        return {}
    return {"work_order_status": work_order.status}


def _error(outcome: str, status: int, detail: str, fields: dict | None = None) -> dict:
    return {"outcome": outcome, "status": status, "detail": detail, "fields": fields or {}}


def _sync_one(technician: Technician, by: User, operation, now: datetime.datetime) -> dict:
    if not isinstance(operation, dict):
        return _error(SyncOutcome.INVALID, 400, _("An operation is an object."), {"operations": ["not an object"]})
    key = operation.get("key")
    low, high = SYNC_KEY_LENGTH
    if not isinstance(key, str) or not low <= len(key) <= high:
        message = _("Each operation needs an idempotency key of %(low)d to %(high)d characters.") % {
            "low": low,
            "high": high,
        }
        return _error(SyncOutcome.INVALID, 400, message, {"key": [message]})
    digest = _digest(operation)
    try:
        with transaction.atomic():
            record = SyncOperation(
                technician=technician,
                key=key,
                op=str(operation.get("op") or "")[:30],
                digest=digest,
                outcome=SyncOutcome.APPLIED,
                created_at=now,
            )
            try:
                with transaction.atomic():
                    record.save(force_insert=True)  # a concurrent request with this key waits here, then fails
            except IntegrityError as exc:
                if violated_constraint(exc) == "workforce_syncop_key_unique":
                    raise _Replay from exc
                raise
            try:
                with transaction.atomic():  # a refusal undoes the operation's writes, not the key's row
                    result, work_order = _apply(technician, by, operation)
                result = {"outcome": SyncOutcome.APPLIED, "status": 200, **result}
                record.work_order = work_order
            except _NotFound:
                result = _error(SyncOutcome.NOT_FOUND, 404, _("Not one of your jobs."))
            except ValidationError as exc:
                fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
                result = _error(SyncOutcome.INVALID, 400, detail, fields)
            except DomainError as exc:
                result = _error(SyncOutcome.REFUSED, exc.status_code, exc.message, exc.fields)
            if result["outcome"] != SyncOutcome.APPLIED and operation.get("op") == "status":
                result.update(_status_now(technician, operation))
            record.outcome, record.result = result["outcome"], result
            record.save(update_fields=["outcome", "result", "work_order"])
    except _Replay:
        stored = SyncOperation.objects.get(technician=technician, key=key)
        if stored.digest != digest:
            message = _("This idempotency key was used for another operation.")
            return {"key": key, **_error(SyncOutcome.REFUSED, 409, message, {"key": [message]}), "replayed": True}
        return {"key": key, **stored.result, "replayed": True}
    return {"key": key, **result, "replayed": False}


def sync_apply(*, technician: Technician, by: User, operations, now: datetime.datetime | None = None) -> list[dict]:
    """Apply the technician view's queued operations in order, each at most once per idempotency key (a replay
    answers the stored result). Operations: status {work_order, to, eta_minutes?, completion_notes?, reason?},
    checklist {item, done}, note {work_order, body}, material {work_order, item, quantity, unit}, time_entry
    {kind, start, end?, work_order?, note?}. Returns one result per operation: outcome applied / refused /
    invalid / not_found with an HTTP-like status, the detail and the fields."""
    if not isinstance(operations, list) or not operations:
        raise ValidationError({"operations": [_("Send a list of operations.")]})
    if len(operations) > SYNC_MAX_OPERATIONS:
        raise ValidationError({"operations": [_("At most %(n)d operations per request.") % {"n": SYNC_MAX_OPERATIONS}]})
    now = now or timezone.now()
    return [_sync_one(technician, by, operation, now) for operation in operations]
