"""Every write to leads and pipeline stages: create, edit, move across the pipeline, convert into an account with
its contact, delete, and the follow-up reminders. Each in one transaction, on a locked row, recording
crm.lead.* events in the outbox."""

from __future__ import annotations

import re
from datetime import date, datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.choices import Audience
from omni.exceptions import Conflict, InvalidTransition
from omni.models import User
from omni.services import fields_set

from .. import events, selectors
from ..choices import AccountKind, AccountStatus, ContactRole, LeadSource
from ..models import Account, AccountContact, Contact, Lead, LeadStage, Quote, Reseller
from .accounts import account_create, contact_create, contact_link_account

__all__ = [
    "lead_convert",
    "lead_create",
    "lead_delete",
    "lead_follow_up_remind",
    "lead_move",
    "lead_update",
    "leadstage_create",
    "leadstage_delete",
    "leadstage_update",
]

CURRENCY = re.compile(r"^[A-Z]{3}$")


def _emit(verb: str, lead_id, by: User | None) -> None:
    # An outbox row in this transaction: sent after commit, even if the broker is down then.
    events.lead_changed(verb, lead_id, by_id=by.pk if by else None)


def _check_owner(lead: Lead) -> None:
    owner = lead.owner
    if owner is not None and not (owner.audience == Audience.STAFF and owner.is_staff and owner.is_active):
        raise ValidationError({"owner": [_("The owner must be an active staff user.")]})


def _check_stage(stage: LeadStage) -> None:
    if not stage.is_active:
        raise ValidationError({"stage": [_("The stage %(s)s is switched off.") % {"s": stage.name}]})


def _clean(lead: Lead) -> None:
    lead.currency = (lead.currency or "").upper()
    if not CURRENCY.match(lead.currency):
        raise ValidationError({"currency": [_("A three-letter ISO 4217 code, e.g. NGN.")]})
    _check_owner(lead)
    lead.full_clean(exclude=["number"])


def _enter_stage(lead: Lead, stage: LeadStage, lost_reason: str | None, now: datetime) -> None:
    """Put the lead in `stage`: a lost stage needs a reason (kept while the lead stays lost); leaving the lost
    stages clears it, so a revived lead does not carry an old reason."""
    _check_stage(stage)
    reason = (lost_reason if lost_reason is not None else lead.lost_reason or "").strip()
    if stage.is_lost and not reason:
        raise ValidationError({"lost_reason": [_("Say why the lead was lost.")]})
    lead.stage, lead.stage_changed_at = stage, now
    lead.lost_reason = reason if stage.is_lost else ""


@transaction.atomic
def lead_create(*, by: User | None = None, **fields) -> Lead:
    """Capture a lead: the first open stage unless `stage` is given; owned by its creator when they are staff and
    no owner is given. A reseller user's lead belongs to their reseller with source "reseller", whatever they send.
    ValidationError keyed by field."""
    if by is not None and by.audience == Audience.RESELLER:
        reseller = Reseller.objects.filter(portal_users__user=by).first()
        if reseller is None:
            raise ValidationError({"reseller": [_("You belong to no reseller.")]})
        for name in ("owner", "owner_id", "reseller_id", "stage", "stage_id", "notes"):
            fields.pop(name, None)  # the reseller proposes; staff assign and qualify
        fields.update(reseller=reseller, source=LeadSource.RESELLER)
    elif by is not None and by.audience == Audience.STAFF and "owner" not in fields and "owner_id" not in fields:
        fields["owner"] = by
    stage = fields.pop("stage", None)
    if stage is None and fields.get("stage_id"):
        stage = LeadStage.objects.filter(pk=fields.pop("stage_id")).first()
        if stage is None:
            raise ValidationError({"stage": [_("No such stage.")]})
    fields.pop("stage_id", None)
    lost_reason = fields.pop("lost_reason", None)
    stage = stage or selectors.lead_stage_first_open()
    if stage is None:
        raise ValidationError({"stage": [_("No open pipeline stage exists; add one in the admin.")]})
    lead = Lead(created_by=by if by is not None and by.pk else None)
    fields_set(lead, fields)
    _enter_stage(lead, stage, lost_reason, timezone.now())
    _clean(lead)
    lead._history_user = by
    lead.save()
    _emit("created", lead.pk, by)
    return lead


@transaction.atomic
def lead_update(*, lead_id: UUID, by: User | None = None, **fields) -> Lead:
    """Change a lead's fields; a `stage` change follows lead_move's rules. Locks the row; saving unchanged values
    writes nothing. A converted lead keeps its stage (409 on a change)."""
    lead = Lead.objects.select_for_update().select_related("stage").get(pk=lead_id)
    stage = fields.pop("stage", None)
    if stage is None and "stage_id" in fields:
        stage = LeadStage.objects.filter(pk=fields.pop("stage_id")).first() or lead.stage
    lost_reason = fields.pop("lost_reason", None)
    changed = fields_set(lead, fields)
    if stage is not None and stage.pk != lead.stage_id:
        _refuse_converted_move(lead)
        _enter_stage(lead, stage, lost_reason, timezone.now())
        changed.append("stage")
    elif lost_reason is not None and lost_reason.strip() != lead.lost_reason:
        if lead.stage.is_lost and not lost_reason.strip():
            raise ValidationError({"lost_reason": [_("Say why the lead was lost.")]})
        lead.lost_reason = lost_reason.strip() if lead.stage.is_lost else ""
        changed.append("lost_reason")
    if not changed:
        return lead
    _clean(lead)
    lead._history_user = by
    lead.save()
    _emit("updated", lead.pk, by)
    return lead


def _refuse_converted_move(lead: Lead) -> None:
    if lead.converted_at is not None:
        msg = _("Lead %(number)s was converted; it stays in %(stage)s.") % {"number": lead.number, "stage": lead.stage}
        raise InvalidTransition(msg, fields={"stage": [msg]})


@transaction.atomic
def lead_move(*, lead_id: UUID, stage_id: UUID, by: User | None = None, lost_reason: str = "") -> Lead:
    """Move a lead to another stage of the pipeline (the board's drag and drop). A lost stage needs
    `lost_reason` (400 keyed lost_reason); a switched-off stage is a 400 keyed stage; a converted lead cannot
    move (409). Locks the row; moving to the stage it is in changes nothing."""
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    stage = LeadStage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise ValidationError({"stage": [_("No such stage.")]})
    if stage.pk == lead.stage_id:
        return lead  # a double drop or a retried request
    _refuse_converted_move(lead)
    _enter_stage(lead, stage, lost_reason, timezone.now())
    lead._history_user = by
    lead.save(update_fields=["stage", "stage_changed_at", "lost_reason", "updated_at"])
    _emit("updated", lead.pk, by)
    return lead


def _account_fields(lead: Lead, given: dict) -> dict:
    person = lead.full_name
    fields = {
        "name": lead.company or person,
        "kind": AccountKind.BUSINESS if lead.company else AccountKind.RESIDENTIAL,
        # Sold, not yet installed: provisioning activates it.
        "status": AccountStatus.PROSPECT,
        "email": lead.email,
        "phone": lead.phone or "",
        "service_address": lead.service_address,
        "location": lead.location,
        "reseller": lead.reseller,
    }
    fields.update({key: value for key, value in given.items() if value not in (None, "")})
    return fields


def _contact_for(lead: Lead, account: Account, contact_id: UUID | None, by: User | None) -> Contact:
    """The lead's person on `account`: the contact given, else one of the account's live contacts with the lead's
    email or phone, else a new contact; linked to the account (primary unless the account has one)."""
    has_primary = AccountContact.objects.filter(account=account, role=ContactRole.PRIMARY).exists()
    role = ContactRole.OTHER if has_primary else ContactRole.PRIMARY
    if contact_id is not None:
        contact = Contact.objects.live().filter(pk=contact_id).first()
        if contact is None:
            raise ValidationError({"contact": [_("No such contact: %(id)s.") % {"id": contact_id}]})
    else:
        candidates = selectors.contact_duplicates_of(email=lead.email, phone=selectors.phone_e164(lead.phone))
        contact = next((c for c in candidates if c.account_links.filter(account=account).exists()), None)
    if contact is None:
        return contact_create(
            by=by,
            first_name=lead.first_name,
            last_name=lead.last_name,
            email=lead.email,
            phone=lead.phone or "",
            accounts=[(account.pk, role)],
        )
    if not AccountContact.objects.filter(account=account, contact=contact).exists():
        contact_link_account(contact_id=contact.pk, account_id=account.pk, role=role)
    return contact


@transaction.atomic
def lead_convert(
    *,
    lead_id: UUID,
    by: User | None = None,
    account_id: UUID | None = None,
    contact_id: UUID | None = None,
    **account_fields,
) -> Lead:
    """Turn a lead into a customer, in one transaction on the locked lead: a new account from the lead (name from
    the company or the person, business when there is a company, its address, location and reseller;
    `account_fields` override them) with the person as its primary contact, or, with `account_id`, the person
    joins that existing account. The lead keeps the account and the contact, the time and who converted it, and
    moves to the first won stage; its quotes move to the account too. Converting a converted lead is a Conflict
    (409) and creates nothing; two conversions at once: the second waits for the lock, then gets that Conflict."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("reseller").get(pk=lead_id)
    if lead.converted_at is not None:
        msg = _("Lead %(number)s was already converted.") % {"number": lead.number}
        raise Conflict(msg, fields={"lead": [msg]})
    won = selectors.lead_stage_first_won()
    if won is None:
        raise ValidationError({"stage": [_("No won stage exists; add one in the admin.")]})
    if account_id is not None:
        account = Account.objects.live().filter(pk=account_id).first()
        if account is None:
            raise ValidationError({"account": [_("No such account: %(id)s.") % {"id": account_id}]})
    else:
        account = account_create(by=by, **_account_fields(lead, account_fields))
    contact = _contact_for(lead, account, contact_id, by)
    now = timezone.now()
    lead.account, lead.contact, lead.converted_at, lead.converted_by = account, contact, now, by
    lead.stage, lead.stage_changed_at, lead.lost_reason = won, now, ""
    lead._history_user = by
    lead.save()
    # The lead's quotes follow it to the account (the customer sees them in the portal, their answer stays valid).
    Quote.objects.filter(lead=lead, account__isnull=True).update(account=account, updated_at=now)
    Quote.objects.filter(lead=lead, contact__isnull=True).update(contact=contact)
    _emit("converted", lead.pk, by)
    return lead


@transaction.atomic
def lead_delete(*, lead_id: UUID, by: User | None = None) -> None:
    """Delete a lead that was never converted and has no quotes (both are records to keep: 409)."""
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    if lead.converted_at is not None:
        raise Conflict(_("A converted lead is kept with its account; it cannot be deleted."))
    lead._history_user = by
    try:
        with transaction.atomic():
            lead.delete()
    except ProtectedError:
        raise Conflict(_("This lead has quotes; it cannot be deleted.")) from None


# ---- stages --------------------------------------------------------------------------------------------------


def _stage_save(stage: LeadStage) -> LeadStage:
    # The case-insensitive unique name is an expression constraint: full_clean would report it unkeyed.
    if LeadStage.objects.filter(name__iexact=stage.name.strip()).exclude(pk=stage.pk).exists():
        raise ValidationError({"name": [_("Another stage is called %(name)s.") % {"name": stage.name}]})
    stage.full_clean()
    stage.save()
    return stage


@transaction.atomic
def leadstage_create(**fields) -> LeadStage:
    """A new pipeline stage. ValidationError keyed by field (a name used by another stage, won and lost both)."""
    stage = LeadStage()
    fields_set(stage, fields)
    return _stage_save(stage)


@transaction.atomic
def leadstage_update(*, stage_id: UUID, **fields) -> LeadStage:
    """Rename, reorder or switch a stage; a stage that holds leads keeps its won/lost flag (409 otherwise: the
    leads in it would change meaning)."""
    stage = LeadStage.objects.select_for_update().get(pk=stage_id)
    flags = {name for name in ("is_won", "is_lost") if name in fields and fields[name] != getattr(stage, name)}
    if flags and stage.leads.exists():
        msg = _("The stage holds leads; move them before changing whether it is won or lost.")
        raise Conflict(msg, fields={sorted(flags)[0]: [msg]})
    if fields_set(stage, fields):
        _stage_save(stage)
    return stage


@transaction.atomic
def leadstage_delete(*, stage_id: UUID) -> None:
    """Delete a stage that holds no lead (409 otherwise: switch it off instead)."""
    stage = LeadStage.objects.select_for_update().get(pk=stage_id)
    try:
        with transaction.atomic():
            stage.delete()
    except ProtectedError:
        raise Conflict(_("The stage holds leads; move them or switch the stage off instead.")) from None


# ---- follow-up reminders ----------------------------------------------------------------------------------------

_table = Lead._meta.db_table
_stages = LeadStage._meta.db_table
# The CTE walks the partial index crm_lead_follow_up_due and locks at most `batch` rows (MATERIALIZED, as in
# tickets.services.pending); SKIP LOCKED lets a concurrent run take other rows. The UPDATE re-checks the condition,
# so a lead reminded by a run that has just committed is not returned twice. follow_up_reminded_on takes the date
# that was reminded: a new follow-up date is reminded again, the same one never.
_CLAIM = f"""
WITH due AS MATERIALIZED (
    SELECT l.id FROM {_table} l JOIN {_stages} s ON s.id = l.stage_id
    WHERE l.converted_at IS NULL AND l.owner_id IS NOT NULL AND NOT s.is_won AND NOT s.is_lost
      AND l.next_follow_up <= %(today)s AND l.follow_up_reminded_on IS DISTINCT FROM l.next_follow_up
    ORDER BY l.next_follow_up
    LIMIT %(batch)s
    FOR UPDATE OF l SKIP LOCKED
)
UPDATE {_table} AS t SET follow_up_reminded_on = t.next_follow_up
FROM due
WHERE t.id = due.id AND t.follow_up_reminded_on IS DISTINCT FROM t.next_follow_up
RETURNING t.id, t.number, t.first_name, t.last_name, t.company, t.next_follow_up, t.owner_id
"""


def lead_follow_up_remind(*, today: date | None = None, now: datetime | None = None, batch: int = 500) -> int:
    """Tell each owner about their open, unconverted leads whose next follow-up is today or past and not yet
    reminded for that date (crm.lead.follow_up_due, in-app and email), stamping follow_up_reminded_on in the same
    transaction. Set-based; idempotent: a second run, or two at once, remind nobody twice. Returns how many leads
    were reminded (at most `batch`); owners no longer active are skipped (the lead is still stamped)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, {"today": today, "batch": batch})
            rows = cursor.fetchall()
        if not rows:
            return 0
        owners = User.objects.filter(is_active=True, is_staff=True).in_bulk({row[6] for row in rows})
        for lead_id, number, first, last, company, follow_up, owner_id in rows:
            owner = owners.get(owner_id)
            if owner is None:
                continue
            row = {
                "id": str(lead_id),
                "number": number,
                "full_name": f"{first} {last}".strip(),
                "company": company,
                "next_follow_up": follow_up.isoformat(),
            }
            events.lead_follow_up_due(row, owner=owner, now=now)
    return len(rows)
