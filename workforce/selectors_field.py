"""Reads of the technician view (issue 14 item 8): the technician a staff user is, their day's appointments with
everything the page shows (a fixed number of queries), one of their jobs (another technician's is None: 404), and
the people of an account to tell when the technician is on the way. Kept beside selectors.py (one module per
subject, as services/)."""

import datetime
from zoneinfo import ZoneInfo

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Exists, OuterRef, Prefetch

from crm.models import Account, AccountContact
from notifications.recipients import Recipient
from omni.choices import Audience
from omni.models import User, live_q

from .choices import AppointmentStatus
from .models import (
    Appointment,
    ChecklistItem,
    MaterialUsed,
    Technician,
    TimeEntry,
    WorkOrder,
    WorkOrderNote,
    WorkOrderPhoto,
)


def technician_of(*, user: User) -> Technician | None:
    """The active Technician record of an active staff user, else None (the technician view answers 403)."""
    if not (user.is_authenticated and user.is_active and user.is_staff and user.audience == Audience.STAFF):
        return None
    return Technician.objects.filter(user=user, active=True).select_related("user").first()


def technician_today(technician: Technician, *, now: datetime.datetime) -> datetime.date:
    return now.astimezone(ZoneInfo(technician.time_zone)).date()


def _day_span(technician: Technician, day: datetime.date) -> DateTimeTZRange:
    zone = ZoneInfo(technician.time_zone)
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    return DateTimeTZRange(start, start + datetime.timedelta(days=1), "[)")


def appointment_list_for_technician_day(*, technician: Technician, day: datetime.date) -> list[Appointment]:
    """The technician's live appointments that meet their local `day`, in route order, each with its work order,
    account, work type, checklist, notes, photos, signature, materials and the technician's time entries on it.
    Eight queries for any number of appointments."""
    own_entries = TimeEntry.objects.filter(technician=technician).order_by("during")
    work_orders = WorkOrder.objects.select_related("account", "work_type", "signature").prefetch_related(
        Prefetch("checklist", queryset=ChecklistItem.objects.order_by("position")),
        Prefetch("notes", queryset=WorkOrderNote.objects.select_related("author").order_by("created_at")),
        Prefetch("photos", queryset=WorkOrderPhoto.objects.order_by("taken_at")),
        Prefetch("materials", queryset=MaterialUsed.objects.order_by("created_at")),
        Prefetch("time_entries", queryset=own_entries),
    )
    return list(
        Appointment.objects.filter(technician=technician, scheduled__overlap=_day_span(technician, day))
        .exclude(status=AppointmentStatus.CANCELLED)
        .prefetch_related(Prefetch("work_order", queryset=work_orders))
        .order_by("scheduled", "seq")
    )


def work_order_for_technician(*, technician: Technician, work_order_id) -> WorkOrder | None:
    """One of the technician's jobs (a live appointment with them), else None: another technician's job, or one
    that does not exist, is a 404 alike."""
    # one appointment must be both the technician's and live (not: some appointment theirs, none cancelled)
    live = Appointment.objects.filter(work_order=OuterRef("pk"), technician=technician).exclude(
        status=AppointmentStatus.CANCELLED
    )
    return WorkOrder.objects.filter(Exists(live), pk=work_order_id).select_related("account", "work_type").first()


def photo_for_technician(*, technician: Technician, photo_id) -> WorkOrderPhoto | None:
    photo = WorkOrderPhoto.objects.filter(pk=photo_id).first()
    if photo is None or work_order_for_technician(technician=technician, work_order_id=photo.work_order_id) is None:
        return None
    return photo


def contact_recipient(contact) -> Recipient:
    return Recipient(
        key=f"crm.contact:{contact.pk}",
        name=contact.full_name,
        email=contact.email,
        phone=str(contact.phone or ""),
        language=contact.language or "",
        time_zone=contact.time_zone or "",
    )


def account_recipients_many(accounts) -> dict:
    """For each account (loaded rows), in two queries at most: its live contacts as recipients (their email, phone,
    language and time zone), or, with none, the account's own email and phone (none if it has neither)."""
    accounts = list(accounts)
    found: dict = {}
    links = AccountContact.objects.filter(live_q("contact"), account_id__in=[account.pk for account in accounts])
    for link in links.select_related("contact").order_by("account_id", "role", "contact__last_name"):
        found.setdefault(link.account_id, []).append(contact_recipient(link.contact))
    for account in accounts:
        if account.pk not in found:
            own = Recipient(
                key=f"crm.account:{account.pk}", name=account.name, email=account.email, phone=str(account.phone or "")
            )
            found[account.pk] = [own] if account.email or account.phone else []
    return found


def account_recipients(*, account_id) -> list[Recipient]:
    """account_recipients_many of one account (by id)."""
    account = Account.objects.filter(pk=account_id).only("id", "name", "email", "phone").first()
    return account_recipients_many([account])[account.pk] if account is not None else []
