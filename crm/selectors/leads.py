"""Reads of leads and pipeline stages, one selector per audience (staff with crm.view_lead; a reseller user their
reseller's leads; everyone else nothing), the duplicate check and the pipeline board."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from phonenumber_field.phonenumber import to_python as to_phone

from omni.api.fields import lonlat_geojson
from omni.choices import Audience
from omni.models import User

from ..models import Lead, LeadStage
from .accounts import _as_json, _audience_selector, contact_duplicates_of

__all__ = [
    "BOARD_CARDS",
    "BoardColumn",
    "lead_as_dict",
    "lead_board",
    "lead_duplicates_of",
    "lead_list_for_reseller",
    "lead_list_for_staff",
    "lead_list_visible_to",
    "lead_owner_choices",
    "lead_payload",
    "lead_stage_first_open",
    "lead_stage_first_won",
    "lead_stages_active",
    "phone_e164",
]


def _leads() -> QuerySet[Lead]:
    return Lead.objects.select_related("stage", "owner", "reseller", "account", "contact")


def lead_list_for_staff(*, user: User) -> QuerySet[Lead]:
    return _leads()


def lead_list_for_reseller(*, user: User) -> QuerySet[Lead]:
    return _leads().filter(reseller__portal_users__user=user)


def lead_list_visible_to(*, user: User) -> QuerySet[Lead]:
    """Staff: every lead (the permission is checked by the view); a reseller user: their reseller's leads;
    customers, vendors, anonymous and staff without staff access: none."""
    audiences = {Audience.STAFF: lead_list_for_staff, Audience.RESELLER: lead_list_for_reseller}
    selector = _audience_selector(user, audiences)
    return selector(user=user) if selector else Lead.objects.none()


# ---- stages --------------------------------------------------------------------------------------------------


def lead_stages_active() -> QuerySet[LeadStage]:
    """The board's columns, left to right."""
    return LeadStage.objects.filter(is_active=True).order_by("position", "name")


def lead_stage_first_open() -> LeadStage | None:
    """Where a new lead starts: the first active stage that is neither won nor lost."""
    return lead_stages_active().filter(is_won=False, is_lost=False).first()


def lead_stage_first_won() -> LeadStage | None:
    """Where a converted lead goes: the first active won stage (else any won stage)."""
    return (
        lead_stages_active().filter(is_won=True).first()
        or LeadStage.objects.filter(is_won=True).order_by("position").first()
    )


# ---- duplicates ----------------------------------------------------------------------------------------------


def lead_owner_choices() -> QuerySet[User]:
    """The users a lead may be owned by: active staff with staff access, by name (the console's and the API's
    owner choices)."""
    return User.objects.working_staff().order_by("full_name", "email")


def phone_e164(value) -> str:
    """A phone as E.164 text, or "" when it is empty or not a valid number."""
    number = to_phone(str(value or "").strip())
    return number.as_e164 if number and number.is_valid() else ""


def lead_duplicates_of(*, email: str = "", phone: str = "", exclude_id=None, limit: int = 10) -> dict:
    """Who else has this email (any case) or E.164 phone: {"contacts": live contacts, "leads": other leads, newest
    first}. Two queries at most; none when both are empty."""
    email, phone = (email or "").strip().lower(), phone_e164(phone)
    if not email and not phone:
        return {"contacts": [], "leads": []}
    contacts = list(contact_duplicates_of(email=email, phone=phone, limit=limit))
    condition = Q(pk__in=[])
    if email:
        condition |= Q(email__iexact=email)
    if phone:
        condition |= Q(phone=phone)
    leads = _leads().filter(condition)
    if exclude_id:
        leads = leads.exclude(pk=exclude_id)
    return {"contacts": contacts, "leads": list(leads.order_by("-created_at")[:limit])}


# ---- the pipeline board --------------------------------------------------------------------------------------

BOARD_CARDS = 50  # cards shown per column; the count and the totals cover every lead of the column


@dataclass
class BoardColumn:
    stage: LeadStage
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency -> sum of expected monthly values
    cards: list[Lead] = field(default_factory=list)

    @property
    def total_items(self) -> list[tuple[str, Decimal]]:
        return sorted(self.totals.items())


def lead_board(*, queryset: QuerySet[Lead], cards: int = BOARD_CARDS) -> list[BoardColumn]:
    """One column per active stage with its lead count, the sum of expected monthly values per currency and its
    first `cards` leads (most recently moved first). Three queries whatever the number of leads: the stages, one
    GROUP BY for counts and totals, one windowed query for the cards of every column."""
    columns = {stage.pk: BoardColumn(stage) for stage in lead_stages_active()}
    if not columns:
        return []
    scoped = queryset.filter(stage_id__in=list(columns))
    totals = (
        scoped.order_by()
        .values("stage_id", "currency")
        .annotate(n=Count("pk"), total=Sum("expected_monthly_value"))
        .values_list("stage_id", "currency", "n", "total")
    )
    for stage_id, currency, n, total in totals:
        column = columns[stage_id]
        column.count += n
        column.totals[currency] = total or Decimal("0.00")
    ranked = scoped.annotate(
        board_rank=Window(
            RowNumber(),
            partition_by=[F("stage_id")],
            order_by=[F("stage_changed_at").desc(nulls_last=True), F("created_at").desc(), F("id")],
        )
    ).filter(board_rank__lte=cards)
    for lead in ranked.order_by("stage_id", "board_rank"):
        columns[lead.stage_id].cards.append(lead)
    return list(columns.values())


# ---- the API's shape of a lead ---------------------------------------------------------------------------------


def lead_as_dict(lead: Lead, *, internal: bool) -> dict:
    """A lead (read through a selector: its stage, owner, reseller, account and contact joined) as the API shows
    it: `internal` (staff) adds the owner, notes, contact and who created and converted it. The serializers
    (crm.api.leads) and the crm.lead.* event payloads are this, so they cannot drift apart."""
    stage, reseller, account = lead.stage, lead.reseller, lead.account
    data = {
        "id": lead.pk,
        "number": lead.number,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "full_name": lead.full_name,
        "company": lead.company,
        "email": lead.email,
        "phone": str(lead.phone) if lead.phone else "",
        "service_address": lead.service_address,
        "location": lonlat_geojson(lead.location.x, lead.location.y) if lead.location else None,
        "source": lead.source,
        "owner": None,
        "reseller": {"id": reseller.pk, "name": reseller.name} if reseller else None,
        "stage": {"id": stage.pk, "name": stage.name, "is_won": stage.is_won, "is_lost": stage.is_lost},
        "stage_changed_at": lead.stage_changed_at,
        "currency": lead.currency,
        "expected_monthly_value": f"{lead.expected_monthly_value:.2f}",
        "lost_reason": lead.lost_reason,
        "next_follow_up": lead.next_follow_up,
        "follow_up_reminded_on": lead.follow_up_reminded_on,
        "notes": lead.notes,
        "account": {"id": account.pk, "number": account.number, "name": account.name} if account else None,
        "contact": None,
        "converted_at": lead.converted_at,
        "converted_by": lead.converted_by_id,
        "created_by": lead.created_by_id,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }
    if not internal:
        for name in ("owner", "follow_up_reminded_on", "notes", "contact", "converted_by", "created_by"):
            del data[name]
        return data
    owner, contact = lead.owner, lead.contact
    data["owner"] = {"id": owner.pk, "name": owner.get_full_name(), "email": owner.email} if owner else None
    data["contact"] = {"id": contact.pk, "full_name": contact.full_name} if contact else None
    return data


def lead_payload(lead_id) -> dict:
    """The lead as the API shows it to staff, as JSON data: the payload of crm.lead.* events."""
    return _as_json(lead_as_dict(_leads().get(pk=lead_id), internal=True))
