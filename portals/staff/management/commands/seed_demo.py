"""Demo data around Lagos, Nigeria: staff of every role, resellers, vendors, accounts, contacts, portal users, and
the support desk (_seed_tickets.py: calendar, SLA policies, teams, tickets), leads (_seed_leads.py), quotes
(_seed_quotes.py), a fibre plant (_seed_network.py) and a field-service day: technicians, shifts, work orders
(_seed_workforce.py), and the inbox's channels and conversations (_seed_inbox.py).

Idempotent: every row has a stable key (email or name); running it again creates only what is missing.
With DEBUG off it refuses unless --force: its staff of every role share one published password, Admin included.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from crm import events as crm_events
from crm import selectors as crm_selectors
from crm import services as crm
from crm.choices import AccountKind, AccountStatus, ContactChannel, ContactRole
from crm.models import Account, Contact, CustomerUser, Reseller, ResellerUser
from notifications import outbox
from notifications import services as notifications
from notifications.choices import Channel
from notifications.recipients import Recipient
from omni.choices import Audience, Role
from omni.hosts import portal_home_url
from omni.models import User
from omni.services import partner_create
from workforce import services as workforce
from workforce.models import Vendor, VendorUser

from ._seed_inbox import seed_inbox
from ._seed_leads import seed_leads
from ._seed_network import seed_network
from ._seed_quotes import seed_quotes
from ._seed_tickets import seed_tickets
from ._seed_workforce import seed_workforce

PASSWORD = "omni-demo-2026"
DOMAIN = "demo.dotmac.example"

# Neighbourhoods of Lagos with a real centre point (longitude, latitude) and streets found there.
AREAS = [
    ("Victoria Island", 3.4219, 6.4281, ["Adeola Odeku Street", "Ajose Adeogun Street", "Akin Adesola Street"]),
    ("Lekki Phase 1", 3.4723, 6.4478, ["Admiralty Way", "Fola Osibo Road", "Freedom Way"]),
    ("Ikoyi", 3.4347, 6.4549, ["Awolowo Road", "Bourdillon Road", "Glover Road"]),
    ("Yaba", 3.3711, 6.5095, ["Herbert Macaulay Way", "Commercial Avenue", "Sabo Road"]),
    ("Surulere", 3.3500, 6.5000, ["Bode Thomas Street", "Adeniran Ogunsanya Street", "Akerele Street"]),
    ("Ikeja GRA", 3.3500, 6.5833, ["Isaac John Street", "Joel Ogunnaike Street", "Oduduwa Crescent"]),
    ("Ikeja", 3.3569, 6.6018, ["Allen Avenue", "Opebi Road", "Adeniyi Jones Avenue", "Toyin Street"]),
    ("Ajah", 3.5852, 6.4698, ["Addo Road", "Ado Road", "Badore Road"]),
    ("Gbagada", 3.3889, 6.5556, ["Diya Street", "Olaniyi Street", "Gbagada Expressway"]),
    ("Magodo", 3.3833, 6.6167, ["CMD Road", "Emmanuel Keshi Street", "Isheri Road"]),
    ("Festac Town", 3.2833, 6.4667, ["2nd Avenue", "4th Avenue", "7th Avenue"]),
    ("Maryland", 3.3650, 6.5700, ["Ikorodu Road", "Mende Street", "Anthony Village Road"]),
]
FIRST = [
    "Adebayo",
    "Chinedu",
    "Ngozi",
    "Oluwaseun",
    "Funmilayo",
    "Emeka",
    "Aisha",
    "Ibrahim",
    "Tunde",
    "Yetunde",
    "Chioma",
    "Obinna",
    "Kemi",
    "Segun",
    "Bola",
    "Uche",
    "Zainab",
    "Femi",
    "Ifeoma",
    "Tope",
    "Amaka",
    "Kunle",
]
LAST = [
    "Okafor",
    "Adeyemi",
    "Balogun",
    "Okonkwo",
    "Bello",
    "Eze",
    "Ogunleye",
    "Nwosu",
    "Ibrahim",
    "Olawale",
    "Chukwu",
    "Akinola",
    "Onyeka",
    "Lawal",
    "Abubakar",
    "Oyelaran",
    "Nwachukwu",
    "Adeleke",
    "Obi",
    "Salami",
]
BUSINESS = [
    "Dental Clinic",
    "Pharmacy",
    "Logistics Ltd",
    "Tech Hub",
    "Bakery",
    "Law Chambers",
    "Hotel",
    "Supermarket",
    "Fashion House",
    "Motors",
    "Schools",
    "Diagnostics",
    "Studios",
    "Foods Ltd",
]
MOBILE_PREFIXES = ["803", "806", "813", "816", "703", "706", "810", "814", "903", "906", "805", "807"]
RESELLERS = ["Lagos Connect Partners", "Island Fiber Resellers", "Mainland Broadband Agents"]
VENDORS = ["FiberWorks Nigeria Ltd", "Skyline Towers & Civil", "QuickSplice Services"]
STATUS_WEIGHTS = [(AccountStatus.ACTIVE, 80), (AccountStatus.SUSPENDED, 8), (AccountStatus.PROSPECT, 7),
                  (AccountStatus.CLOSED, 5)]  # fmt: skip


class Command(BaseCommand):
    help = "Load realistic demo data around Lagos (idempotent) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=400, help="How many demo accounts (default 400).")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--force", action="store_true", help="Load it even with DEBUG off (a demo or staging instance)."
        )

    def handle(self, *args, accounts, seed, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like production, and the demo staff (Admin included) share the published "
                f"password {PASSWORD!r}. Run it with DEBUG=true, or add --force on a demo instance."
            )
        logins = []
        staff = self._staff(logins)
        resellers = self._organisations(Reseller, RESELLERS)
        vendors = self._organisations(Vendor, VENDORS)
        self._accounts(seed, accounts, resellers, staff)
        self._portal_users(logins, resellers, vendors)
        seed_tickets(domain=DOMAIN, seed=seed)
        seed_leads(domain=DOMAIN)
        seed_quotes(domain=DOMAIN)
        seed_network()
        seed_workforce(domain=DOMAIN, password=PASSWORD, seed=seed)
        seed_inbox(domain=DOMAIN, seed=seed)
        # Dispatch the events the load recorded now, before the demo agent follows any: their bell gets the five
        # notifications below, not one per demo account.
        outbox.outbox_dispatch_due(now=timezone.now() + timedelta(seconds=outbox.LEASE_SECONDS + 1), seconds=3600)
        self._notifications()
        self.stdout.write(self.style.SUCCESS(f"\nDemo data ready. Sign in with (password for all: {PASSWORD}):"))
        width = max(len(role) for role, _ in logins)
        for role, email in logins:
            self.stdout.write(f"  {role.ljust(width)}  {email}")

    def _staff(self, logins) -> User:
        admin = None
        for role in Role.values:
            slug = role.lower().replace(" ", "-")
            email = f"{slug}@{DOMAIN}"
            user = User.objects.filter(email=email).first()
            if user is None:
                if role == Role.ADMIN:
                    user = User.objects.create_superuser(email, PASSWORD, full_name="Ada Admin")
                else:
                    user = User.objects.create_user(
                        email, PASSWORD, full_name=f"{role} Demo", audience=Audience.STAFF, is_staff=True
                    )
                user.groups.add(Group.objects.get(name=role))
            logins.append((f"Staff: {role}", f"{email}  ({portal_home_url(Audience.STAFF)})"))
            admin = user if role == Role.ADMIN else admin
        return admin

    def _organisations(self, model, names):
        existing = {obj.name: obj for obj in model.objects.filter(name__in=list(names))}
        for name in names:
            if name not in existing:
                slug = name.lower().split()[0]
                existing[name] = partner_create(model, name=name, email=f"hello@{slug}.{DOMAIN}")
        return [existing[name] for name in names]

    def _accounts(self, seed, target, resellers, staff):
        have = set(
            Account.objects.filter(email__endswith=f"@{DOMAIN}", email__startswith="acc").values_list(
                "email", flat=True
            )
        )
        todo = [i for i in range(1, target + 1) if f"acc{i:04d}@{DOMAIN}" not in have]
        statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
        for i in tqdm(todo, desc="accounts", unit="acct", disable=not todo):
            local = random.Random(seed * 100_003 + i)  # each account is reproducible on its own
            area, lon, lat, streets = local.choice(AREAS)
            business = local.random() < 0.2
            first, last = local.choice(FIRST), local.choice(LAST)
            name = f"{area.split()[0]} {local.choice(BUSINESS)}" if business else f"{first} {last}"
            phone = f"+234{local.choice(MOBILE_PREFIXES)}{local.randint(1000000, 9999999)}"
            address = f"{local.randint(1, 120)} {local.choice(streets)}, {area}, Lagos"
            with transaction.atomic():
                account = crm.account_create(
                    by=staff,
                    name=name,
                    kind=AccountKind.BUSINESS if business else AccountKind.RESIDENTIAL,
                    status=local.choices(statuses, weights)[0],
                    email=f"acc{i:04d}@{DOMAIN}",
                    phone=phone,
                    service_address=address,
                    location=Point(lon + local.uniform(-0.012, 0.012), lat + local.uniform(-0.01, 0.01), srid=4326),
                    reseller=local.choice(resellers) if local.random() < 0.3 else None,
                    tags=local.sample(
                        ["fiber", "wireless", "vip", "estate", "sme", "new-install"], local.randint(0, 2)
                    ),
                )
                people = [(first, last, ContactRole.PRIMARY)]
                if business or local.random() < 0.3:
                    people.append((local.choice(FIRST), local.choice(LAST), ContactRole.BILLING))
                for n, (given, family, role) in enumerate(people):
                    crm.contact_create(
                        by=staff,
                        first_name=given,
                        last_name=family,
                        email=f"{given}.{family}.{i}{n}@{DOMAIN}".lower(),
                        phone=f"+234{local.choice(MOBILE_PREFIXES)}{local.randint(1000000, 9999999)}",
                        preferred_channel=local.choice(
                            [ContactChannel.EMAIL, ContactChannel.SMS, ContactChannel.WHATSAPP]
                        ),
                        time_zone="Africa/Lagos",
                        accounts=[(account.pk, role)],
                    )

    def _notifications(self):
        """The demo agent follows new and changed accounts in-app, and has the five newest accounts in their
        bell (sent by the worker). The same keys each run: nothing is sent twice."""
        agent = User.objects.get(email=f"{Role.AGENT.lower()}@{DOMAIN}")
        key = Recipient.for_user(agent).key
        for event in ("crm.account.created", "crm.account.updated"):
            notifications.preference_set(recipient_key=key, event=event, channel=Channel.INAPP, enabled=True)
        newest = Account.objects.filter(email__endswith=f"@{DOMAIN}").order_by("-created_at")[:5]
        for account in newest:
            with transaction.atomic():
                notifications.notify(
                    "crm.account.created",
                    [Recipient.for_user(agent)],
                    crm_selectors.account_payload(account.pk),
                    channels=[Channel.INAPP],
                    url=crm_events.account_url(account.pk),
                    idempotency_key=f"demo:{account.pk}",
                )

    def _portal_users(self, logins, resellers, vendors):
        customer_email = f"customer@{DOMAIN}"
        if not CustomerUser.objects.filter(user__email=customer_email).exists():
            account = Account.objects.filter(email=f"acc0001@{DOMAIN}").first()
            contact = Contact.objects.filter(account_links__account=account).first()
            crm.customer_user_create(
                account_id=account.pk,
                email=customer_email,
                password=PASSWORD,
                full_name=contact.full_name if contact else "",
                contact_id=contact.pk if contact else None,
            )
        logins.append(("Customer", f"{customer_email}  ({portal_home_url(Audience.CUSTOMER)})"))
        for reseller in resellers:
            email = f"{reseller.name.split()[0].lower()}@resellers.{DOMAIN}"
            if not ResellerUser.objects.filter(user__email=email).exists():
                crm.reseller_user_create(reseller_id=reseller.pk, email=email, password=PASSWORD)
            logins.append((f"Reseller: {reseller.name}", f"{email}  ({portal_home_url(Audience.RESELLER)})"))
        for vendor in vendors:
            email = f"{vendor.name.split()[0].lower()}@vendors.{DOMAIN}"
            if not VendorUser.objects.filter(user__email=email).exists():
                workforce.vendor_user_create(vendor_id=vendor.pk, email=email, password=PASSWORD)
            logins.append((f"Vendor: {vendor.name}", f"{email}  ({portal_home_url(Audience.VENDOR)})"))
