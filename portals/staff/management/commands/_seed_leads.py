"""The sales part of the demo (seed_demo calls seed_leads): a dozen leads across the pipeline, some registered by
resellers, some due for a follow-up today, one lost with its reason and one converted into an account.

Idempotent: nothing is added once a demo lead exists (their emails end in @leads.<domain>). Leads go through the
services, so their stages, history and events are real."""

import datetime
from decimal import Decimal

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from crm import selectors, services
from crm.models import Account, Lead, LeadStage, Reseller
from omni.models import User

DEFAULT_STAGES = [  # as migration crm 0003
    ("New", 10, 10, False, False),
    ("Contacted", 20, 20, False, False),
    ("Qualified", 30, 40, False, False),
    ("Quoted", 40, 60, False, False),
    ("Won", 50, 100, True, False),
    ("Lost", 60, 0, False, True),
]
# first, last, company, phone, area (lon, lat), source, monthly value, stage, reseller index or None, follow-up days
LEADS = [
    ("Amaka", "Obi", "Obi Dental Clinic", "+2348035550101", (3.4219, 6.4281), "website", "45000", "New", None, 0),
    ("Segun", "Lawal", "", "+2348035550102", (3.4723, 6.4478), "door_to_door", "15000", "New", 0, 1),
    ("Chioma", "Eze", "Eze Logistics Ltd", "+2348035550103", (3.3711, 6.5095), "referral", "120000", "New", None, -1),
    ("Kunle", "Adeyemi", "", "+2348035550104", (3.3500, 6.5000), "phone", "12000", "Contacted", None, 0),
    ("Zainab", "Bello", "Bello Pharmacy", "+2348035550105", (3.3569, 6.6018), "reseller", "35000", "Contacted", 1, 3),
    ("Tope", "Akinola", "", "+2348035550106", (3.5852, 6.4698), "walk_in", "18000", "Qualified", None, 2),
    ("Ifeoma", "Nwosu", "Nwosu Tech Hub", "+2348035550107", (3.3889, 6.5556), "campaign", "250000", "Qualified", 0, 5),
    ("Femi", "Salami", "", "+2348035550108", (3.3833, 6.6167), "reseller", "20000", "Qualified", 2, 7),
    ("Bola", "Ogunleye", "Ogunleye Hotel", "+2348035550109", (3.2833, 6.4667), "social", "180000", "Quoted", None, 1),
    ("Uche", "Okonkwo", "", "+2348035550110", (3.3650, 6.5700), "door_to_door", "15000", "Quoted", 0, None),
    ("Kemi", "Balogun", "Balogun Bakery", "+2348035550111", (3.4347, 6.4549), "website", "30000", "Lost", None, None),
    ("Emeka", "Chukwu", "Chukwu Motors", "+2348035550112", (3.3500, 6.5833), "referral", "60000", "Won", None, None),
]


def seed_leads(*, domain: str) -> None:
    if Lead.objects.filter(email__endswith=f"@leads.{domain}").exists():
        return
    sales = User.objects.filter(email=f"sales@{domain}").first()
    resellers = list(Reseller.objects.order_by("name"))
    if not LeadStage.objects.exists():  # migration crm 0003 seeds them; a flushed test database has none
        for name, position, probability, won, lost in DEFAULT_STAGES:
            services.leadstage_create(name=name, position=position, probability=probability, is_won=won, is_lost=lost)
    stages = {stage.name: stage for stage in LeadStage.objects.all()}
    # The won lead joins an existing demo account (a new customer would change the demo's account count).
    joined = Account.objects.live().order_by("number").first()
    today = timezone.localdate()
    with transaction.atomic():
        for first, last, company, phone, (lon, lat), source, value, stage, reseller, follow_up in LEADS:
            lead = services.lead_create(
                by=sales,
                first_name=first,
                last_name=last,
                company=company,
                email=f"{first.lower()}.{last.lower()}@leads.{domain}",
                phone=phone,
                service_address="Lagos",
                location=Point(lon, lat, srid=4326),
                source=source,
                reseller=resellers[reseller] if reseller is not None and reseller < len(resellers) else None,
                expected_monthly_value=Decimal(value),
                next_follow_up=today + datetime.timedelta(days=follow_up) if follow_up is not None else None,
                notes="Demo lead.",
            )
            if stage == "Won":
                services.lead_convert(lead_id=lead.pk, by=sales, account_id=joined.pk if joined else None)
            elif stage == "Lost" and stage in stages:
                services.lead_move(lead_id=lead.pk, stage_id=stages[stage].pk, by=sales, lost_reason="Chose a rival")
            elif stage in stages and stages[stage] != selectors.lead_stage_first_open():
                services.lead_move(lead_id=lead.pk, stage_id=stages[stage].pk, by=sales)
