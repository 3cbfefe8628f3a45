"""Tickets waiting for the customer (issue 10, item 4): one reminder after TICKETS_PENDING_REMIND_DAYS days in
pending customer, then closed by the system TICKETS_PENDING_CLOSE_DAYS days after the reminder. A reply from the
customer reopens the ticket (services.comment_add), and every status move clears reminded_at, so a ticket that
waits again is reminded again.

Both are beat scans (tickets.tasks) and safe to run twice or at once: the reminder claims its tickets in one
`UPDATE ... RETURNING` whose condition (reminded_at IS NULL) a concurrent run re-checks on the locked row, and
each closing re-reads its ticket under a row lock."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Account, Contact
from notifications.recipients import Recipient

from .. import events
from ..choices import TicketStatus
from ..models import Ticket
from .desk import ticket_transition

__all__ = ["pending_autoclose", "pending_remind"]


def remind_days() -> int:
    return settings.TICKETS_PENDING_REMIND_DAYS


def close_days() -> int:
    return settings.TICKETS_PENDING_CLOSE_DAYS


_table = Ticket._meta.db_table
# The CTE walks the partial index tickets_ticket_pending (status, status_changed_at) and locks at most `batch` rows
# (MATERIALIZED: as an `IN (subquery)` the planner may run it more than once and claim past the limit); SKIP LOCKED
# lets a concurrent run take other rows instead of waiting. The UPDATE re-checks the condition on each locked row,
# so a row another run has just reminded (and committed) is not returned twice.
_CLAIM = f"""
WITH due AS MATERIALIZED (
    SELECT id FROM {_table}
    WHERE status = %(pending)s AND deleted_at IS NULL AND reminded_at IS NULL AND status_changed_at <= %(cutoff)s
    ORDER BY status_changed_at
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
)
UPDATE {_table} AS t SET reminded_at = %(now)s
FROM due
WHERE t.id = due.id AND t.status = %(pending)s AND t.reminded_at IS NULL
RETURNING t.id, t.number, t.subject, t.status_changed_at, t.contact_id, t.account_id
"""


def _recipients(rows: list[tuple]) -> dict:
    """Each claimed ticket's recipient: its contact (live, with their language and time zone), else the account's
    email (key crm.account:<id>), so a ticket opened without a contact still warns someone before it closes."""
    contacts = Contact.objects.live().in_bulk([row[4] for row in rows if row[4]])
    accounts = Account.objects.only("id", "name", "email").in_bulk([row[5] for row in rows])
    recipients = {}
    for ticket_id, _number, _subject, _changed, contact_id, account_id in rows:
        contact = contacts.get(contact_id)
        if contact is not None:
            recipients[ticket_id] = Recipient(
                key=f"crm.contact:{contact.pk}",
                name=contact.full_name,
                email=contact.email,
                phone=str(contact.phone or ""),
                language=contact.language or "",
                time_zone=contact.time_zone or "",
            )
        else:
            account = accounts[account_id]
            recipients[ticket_id] = Recipient(key=f"crm.account:{account.pk}", name=account.name, email=account.email)
    return recipients


def pending_remind(*, now: datetime | None = None, after_days: int | None = None, batch: int = 500) -> int:
    """Remind the customer once about each ticket in pending customer for at least `after_days` days (default
    TICKETS_PENDING_REMIND_DAYS) and not yet reminded: reminded_at is set and the reminder recorded
    (tickets.ticket.pending_reminder) in one transaction. Idempotent; two runs at once remind each ticket once.
    Returns how many tickets were reminded (at most `batch`)."""
    now = now or timezone.now()
    after_days = remind_days() if after_days is None else after_days
    params = {"now": now, "cutoff": now - timedelta(days=after_days), "pending": TicketStatus.PENDING_CUSTOMER}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, {**params, "batch": batch})
            rows = cursor.fetchall()
        if not rows:
            return 0
        recipients = _recipients(rows)
        for ticket_id, number, subject, changed, _contact, _account in rows:
            events.ticket_pending_reminder(
                ticket_id,
                number=number,
                subject=subject,
                waiting_since=changed,
                close_days=close_days(),
                recipient=recipients[ticket_id],
                now=now,
            )
    return len(rows)


def pending_autoclose(*, now: datetime | None = None, after_days: int | None = None, batch: int = 500) -> int:
    """Close (system, by=None) each ticket still pending customer `after_days` days (default
    TICKETS_PENDING_CLOSE_DAYS) after its reminder, through ticket_transition with a status-change note; each in
    its own transaction, re-read under a row lock, so a ticket the customer answered meanwhile is left alone.
    Idempotent. Returns how many were closed."""
    now = now or timezone.now()
    after_days = close_days() if after_days is None else after_days
    due = Ticket.objects.live().filter(
        status=TicketStatus.PENDING_CUSTOMER, reminded_at__lte=now - timedelta(days=after_days)
    )
    ids = list(due.order_by("reminded_at").values_list("pk", flat=True)[:batch])
    note = _("Closed automatically: no reply from the customer %(days)d days after the reminder.") % {
        "days": after_days
    }
    closed = 0
    for ticket_id in ids:
        with transaction.atomic():
            # skip_locked: a ticket being answered or moved right now is left for the next run.
            still_due = due.filter(pk=ticket_id).select_for_update(skip_locked=True).values_list("pk", flat=True)
            if not list(still_due):
                continue
            ticket_transition(ticket_id=ticket_id, to=TicketStatus.CLOSED, by=None, resolution=note)
            closed += 1
    return closed
