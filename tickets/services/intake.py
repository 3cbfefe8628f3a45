"""Tickets opened by portal users (customers and resellers): the account must be one the user sees, the contact is
the customer's own contact on it, a follow-up names a closed ticket of that account, and the files come with the
ticket in one transaction (replies.attachments_check's limits; a refused file leaves no ticket behind)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from crm import selectors as crm_selectors
from crm.models import Contact, CustomerUser
from omni.choices import Audience
from omni.models import User

from .. import selectors
from ..choices import TicketSource, TicketStatus
from ..models import Ticket
from .desk import ticket_create
from .replies import attachments_check, attachments_store, files_removed_on_failure

__all__ = ["ticket_open"]


def _own_contact_id(user: User, account_id: UUID) -> UUID | None:
    """The customer user's contact when it is live and linked to the account; None for anyone else."""
    if user.audience != Audience.CUSTOMER:
        return None
    contact_id = CustomerUser.objects.filter(user=user, account_id=account_id).values_list("contact_id", flat=True)
    contact_id = next(iter(contact_id), None)
    if contact_id is None:
        return None
    linked = Contact.objects.live().filter(pk=contact_id, account_links__account_id=account_id).exists()
    return contact_id if linked else None


def ticket_open(
    *,
    account_id: UUID,
    by: User,
    subject: str,
    files: Sequence[UploadedFile] = (),
    follow_up_of_id: UUID | None = None,
    source: str = TicketSource.PORTAL,
    **fields,
) -> Ticket:
    """Open a ticket on an account `by` sees (400 naming `account` otherwise), with its files, in one transaction.
    The contact is the customer's own contact on the account, if any. A follow-up must name a closed ticket of the
    same account that `by` sees (400 naming `follow_up_of`). Files break replies.attachments_check's rules: 400
    naming `files`, nothing written."""
    files = list(files)
    attachments_check(files)
    if not crm_selectors.account_list_visible_to(user=by).live().filter(pk=account_id).exists():
        raise ValidationError({"account": [_("Choose one of your accounts.")]})
    if follow_up_of_id is not None:
        closed = selectors.ticket_list_visible_to(user=by).filter(
            pk=follow_up_of_id, account_id=account_id, status=TicketStatus.CLOSED
        )
        if not closed.exists():
            raise ValidationError({"follow_up_of": [_("A follow-up names a closed ticket of the same account.")]})
    with files_removed_on_failure() as stored, transaction.atomic():
        ticket = ticket_create(
            account_id=account_id,
            subject=subject,
            by=by,
            source=source,
            contact_id=_own_contact_id(by, account_id),
            follow_up_of_id=follow_up_of_id,
            **fields,
        )
        if files:
            attachments_store(files, ticket_id=ticket.pk, comment=None, by=by, stored=stored)
    return ticket
