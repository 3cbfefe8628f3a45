"""Every write to accounts and contacts: validation, transactions, row locks. Resellers are partner organisations,
written by omni.services.partner_* as vendors are (a reseller with accounts cannot be deleted: they protect it)."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.choices import Audience
from omni.exceptions import Conflict, InvalidTransition
from omni.models import User
from omni.services import (
    fields_set,
    invitation_resend,
    partner_user_create,
    portal_user_create,
    soft_delete,
    soft_restore,
    tags_clean,
)

from .. import events
from ..choices import ACCOUNT_TRANSITIONS, AccountStatus, ContactRole
from ..models import Account, AccountContact, Contact, CustomerUser, Reseller
from .resellers import reseller_check_assignable


def _emit_account(verb: str, account_id, by: User | None = None) -> None:
    # An outbox row in this transaction: sent after commit, even if the broker is down then.
    events.account_changed(verb, account_id, by_id=by.pk if by else None)


def _emit_contact(verb: str, contact_id, by: User | None = None) -> None:
    events.contact_changed(verb, contact_id, by_id=by.pk if by else None)


def _check_transition(current: str, to: str) -> None:
    if to not in AccountStatus.values:
        raise ValidationError({"status": [_("Unknown status %(s)s.") % {"s": to}]})
    if to != current and to not in ACCOUNT_TRANSITIONS[current]:
        msg = _("The status cannot change from %(old)s to %(new)s.") % {
            "old": AccountStatus(current).label,
            "new": AccountStatus(to).label,
        }
        raise InvalidTransition(msg, fields={"status": [msg]})


@transaction.atomic
def account_create(*, by: User | None = None, **fields) -> Account:
    """Create an account (the number comes from a sequence) and its first history row, in one transaction.
    ValidationError keyed by field."""
    fields["tags"] = tags_clean(fields.get("tags"))
    account = Account()
    fields_set(account, fields)
    reseller_check_assignable(reseller_id=account.reseller_id)
    account.full_clean(exclude=["number"])
    account._history_user = by
    account.save()
    _emit_account("created", account.pk, by)
    return account


@transaction.atomic
def account_update(*, account_id: UUID, by: User | None = None, **fields) -> Account:
    """Change fields of an account; a status change must be an allowed transition (409 otherwise).
    Locks the row; saving unchanged values writes nothing."""
    account = Account.objects.select_for_update().get(pk=account_id)
    if "tags" in fields:
        fields["tags"] = tags_clean(fields["tags"])
    if "status" in fields:
        _check_transition(account.status, fields["status"])
    changed = fields_set(account, fields)
    if not changed:
        return account
    if {"reseller", "reseller_id"} & set(changed):
        reseller_check_assignable(reseller_id=account.reseller_id)
    account.full_clean(exclude=["number"])
    account._history_user = by
    account.save()
    _emit_account("updated", account.pk, by)
    return account


def account_transition(*, account_id: UUID, to: str, by: User | None = None) -> Account:
    return account_update(account_id=account_id, by=by, status=to)


def account_delete(*, account_id: UUID, by: User | None = None) -> Account:
    """Soft delete: the account leaves every list and portal but can be restored. Idempotent."""
    return soft_delete(Account, pk=account_id, by=by, on_change=lambda row: _emit_account("deleted", row.pk, by))


def account_restore(*, account_id: UUID, by: User | None = None) -> Account:
    """Bring a deleted account back into lists and portals. Idempotent."""
    return soft_restore(Account, pk=account_id, by=by, on_change=lambda row: _emit_account("updated", row.pk, by))


def _replace_links(contact: Contact, links: list[tuple[UUID, str]]) -> bool:
    """Make the contact's links exactly `links`; True when anything changed."""
    wanted: dict[UUID, str] = {}
    for account_id, role in links:
        if role not in ContactRole.values:
            raise ValidationError({"accounts": [_("Unknown role %(r)s.") % {"r": role}]})
        wanted[account_id] = role
    existing = {link.account_id: link for link in contact.account_links.all()}
    found = set(Account.objects.live().filter(pk__in=wanted).values_list("pk", flat=True))
    missing = set(wanted) - found
    if missing:
        raise ValidationError({"accounts": [_("No such account: %(ids)s.") % {"ids": ", ".join(map(str, missing))}]})
    changed = False
    for account_id, link in existing.items():
        if account_id not in wanted:
            link.delete()
            changed = True
        elif link.role != wanted[account_id]:
            link.role = wanted[account_id]
            link.save(update_fields=["role", "updated_at"])
            changed = True
    new = [AccountContact(account_id=a, contact=contact, role=r) for a, r in wanted.items() if a not in existing]
    AccountContact.objects.bulk_create(new)
    return changed or bool(new)


@transaction.atomic
def contact_create(*, by: User | None = None, accounts: list[tuple[UUID, str]] | None = None, **fields) -> Contact:
    """Create a contact and link it to accounts with roles, in one transaction."""
    contact = Contact()
    fields_set(contact, fields)
    contact.full_clean()
    contact._history_user = by
    contact.save()
    if accounts:
        _replace_links(contact, accounts)
    _emit_contact("created", contact.pk, by)
    return contact


@transaction.atomic
def contact_update(
    *, contact_id: UUID, by: User | None = None, accounts: list[tuple[UUID, str]] | None = None, **fields
) -> Contact:
    """Change a contact; `accounts`, when given, replaces its account links. Locks the row."""
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    changed = bool(fields_set(contact, fields))
    if changed:
        contact.full_clean()
        contact._history_user = by
        contact.save()
    if accounts is not None:
        changed = _replace_links(contact, accounts) or changed
    if changed:
        _emit_contact("updated", contact.pk, by)
    return contact


@transaction.atomic
def contact_link_account(*, contact_id: UUID, account_id: UUID, role: str = ContactRole.PRIMARY) -> AccountContact:
    """Link a contact to an account, or change the role of an existing link. Idempotent. Locks the contact, so a
    concurrent merge of that contact waits (and the link moves with it) instead of failing on the unique link."""
    if role not in ContactRole.values:
        raise ValidationError({"role": [_("Unknown role %(r)s.") % {"r": role}]})
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    if contact.is_deleted:
        msg = _("This contact is deleted; restore it first.")
        raise Conflict(msg, fields={"contact": [msg]})
    if not Account.objects.live().filter(pk=account_id).exists():
        raise ValidationError({"account": [_("No such account: %(id)s.") % {"id": account_id}]})
    link, created = AccountContact.objects.get_or_create(
        contact_id=contact_id, account_id=account_id, defaults={"role": role}
    )
    if not created and link.role != role:
        link.role = role
        link.save(update_fields=["role", "updated_at"])
        created = True
    if created:
        _emit_contact("updated", contact_id)
    return link


@transaction.atomic
def contact_unlink_account(*, contact_id: UUID, account_id: UUID) -> None:
    deleted, _rows = AccountContact.objects.filter(contact_id=contact_id, account_id=account_id).delete()
    if deleted:
        _emit_contact("updated", contact_id)


def contact_delete(*, contact_id: UUID, by: User | None = None) -> Contact:
    """Soft delete (restorable); its account links stay. Idempotent."""
    return soft_delete(Contact, pk=contact_id, by=by, on_change=lambda row: _emit_contact("deleted", row.pk, by))


def _refuse_merged(contact: Contact) -> None:
    if contact.merged_into_id:
        raise Conflict(_("This contact was merged into another; it cannot be restored."))


def contact_restore(*, contact_id: UUID, by: User | None = None) -> Contact:
    """Bring a deleted contact back. Conflict (409) for one merged into another: it stays deleted. Idempotent."""
    return soft_restore(
        Contact, pk=contact_id, by=by, refuse=_refuse_merged, on_change=lambda row: _emit_contact("updated", row.pk, by)
    )


MERGE_FILL_FIELDS = ["last_name", "email", "phone", "time_zone", "notes"]


@transaction.atomic
def contact_merge(*, survivor_id: UUID, duplicate_ids: list[UUID], by: User | None = None) -> Contact:
    """Merge duplicates into the survivor: account links and portal users move over, blank fields are filled,
    other emails and phones are kept, and each duplicate is soft-deleted with `merged_into` set.
    Locks every row involved in primary-key order (no deadlock with a concurrent merge)."""
    ids = [i for i in dict.fromkeys(duplicate_ids) if i != survivor_id]
    if not ids:
        raise ValidationError({"duplicates": [_("Choose at least one other contact to merge.")]})
    locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[survivor_id, *ids]).order_by("pk")}
    if survivor_id not in locked or len(locked) != len(ids) + 1:
        raise ValidationError({"duplicates": [_("A contact to merge does not exist.")]})
    survivor = locked[survivor_id]
    if survivor.is_deleted:
        raise Conflict(_("The surviving contact is deleted; restore it first."), fields={"survivor": ["deleted"]})
    if any(locked[i].merged_into_id not in (None, survivor_id) for i in ids):
        # A concurrent merge took it first: merging it again would re-point merged_into and hide that merge.
        msg = _("A contact to merge was already merged into another contact.")
        raise Conflict(msg, fields={"duplicates": [msg]})
    ids = [i for i in ids if locked[i].merged_into_id is None]  # merged here before: a repeat changes nothing
    if not ids:
        return survivor
    emails, phones = list(survivor.other_emails), list(survivor.other_phones)
    linked = set(survivor.account_links.values_list("account_id", flat=True))
    now = timezone.now()
    for dup in (locked[i] for i in ids):
        for name in MERGE_FILL_FIELDS:
            if not getattr(survivor, name) and getattr(dup, name):
                setattr(survivor, name, getattr(dup, name))
        emails += [dup.email, *dup.other_emails]
        phones += [str(dup.phone) if dup.phone else "", *dup.other_phones]
        # Links to accounts the survivor already has keep the survivor's role.
        AccountContact.objects.filter(contact=dup, account_id__in=linked).delete()
        moved = AccountContact.objects.filter(contact=dup)
        linked |= set(moved.values_list("account_id", flat=True))
        moved.update(contact=survivor, updated_at=now)
        CustomerUser.objects.filter(contact=dup).update(contact=survivor, updated_at=now)
        dup.merged_into, dup.deleted_at = survivor, now
        dup._history_user = by
        dup.save(update_fields=["merged_into", "deleted_at", "updated_at"])
        _emit_contact("deleted", dup.pk, by)
    survivor.other_emails = [e for e in emails if e]
    survivor.other_phones = [p for p in phones if p]
    survivor.full_clean()  # also drops repeats and the primary email/phone from the other_* lists
    survivor._history_user = by
    survivor.save()
    _emit_contact("updated", survivor.pk, by)
    return survivor


@transaction.atomic
def customer_user_create(
    *, account_id: UUID, email: str, password: str | None = None, full_name: str = "", contact_id: UUID | None = None
) -> User:
    """A customer portal user who sees exactly one account. Conflict (409) when the email is taken."""
    account = Account.objects.live().filter(pk=account_id).first()
    if account is None:
        raise ValidationError({"account": [_("No such account: %(id)s.") % {"id": account_id}]})
    user = portal_user_create(email=email, password=password, full_name=full_name, audience=Audience.CUSTOMER)
    CustomerUser.objects.create(user=user, account=account, contact_id=contact_id)
    return user


def customer_invitation_resend(*, account_id: UUID, user_id: UUID) -> User:
    """Send the portal invitation of one of this account's users again. Conflict (409) once they have chosen a
    password or are deactivated (omni.services.invitation_resend)."""
    membership = CustomerUser.objects.filter(account_id=account_id, user_id=user_id).first()
    if membership is None:
        raise ValidationError({"user": [_("No such portal user on this account.")]})
    return invitation_resend(user_id=membership.user_id)


def reseller_user_create(*, reseller_id: UUID, email: str, password: str | None = None, full_name: str = "") -> User:
    """A reseller portal user: sees the accounts of their reseller (omni.services.partner_user_create)."""
    return partner_user_create(Reseller, partner_id=reseller_id, email=email, password=password, full_name=full_name)
