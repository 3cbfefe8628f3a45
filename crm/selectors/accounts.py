"""Reads of accounts and contacts, one selector per audience. Out of scope is `none()` (404 upstream)."""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from django.contrib.gis.db.models.functions import GeoFunc
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower

from omni.api.fields import lonlat_geojson
from omni.api.renderers import OrjsonRenderer
from omni.choices import Audience
from omni.db import TIMESTAMP_FIELDS, parse_timestamps, timestamps_as_text
from omni.models import User, live_q

from ..choices import ContactRole
from ..models import Account, AccountContact, Contact, CustomerUser, Reseller, ResellerUser

# Phone numbers are stored in E.164 already: read them as text, skipping the PhoneNumber parse per row
# (11 ms of a 100-row page, bench/api_list.py).
PHONE_TEXT = Cast("phone", CharField())


class _X(GeoFunc):
    function, output_field = "ST_X", FloatField()


class _Y(GeoFunc):
    function, output_field = "ST_Y", FloatField()


def _audience_selector(user: User, selectors: dict):
    """The selector of the user's audience, or None: anonymous, inactive, an audience without one, or a staff user
    whose staff access is switched off (is_staff cleared: the console refuses them, so every read does)."""
    if not (user.is_authenticated and user.is_active):
        return None
    audience = getattr(user, "audience", None)
    if audience == Audience.STAFF and not user.is_staff:
        return None
    return selectors.get(audience)


# ---- accounts ----------------------------------------------------------------------------------------------


def _accounts() -> QuerySet[Account]:
    return Account.objects.select_related("reseller")


def account_list_for_staff(*, user: User) -> QuerySet[Account]:
    """Every account, deleted ones included (lists leave them out unless asked: AccountFilterSet.deleted)."""
    return _accounts()


def account_list_for_customer(*, user: User) -> QuerySet[Account]:
    return _accounts().live().filter(portal_users__user=user)


def account_list_for_reseller(*, user: User) -> QuerySet[Account]:
    return _accounts().live().filter(reseller__portal_users__user=user)


def account_list_visible_to(*, user: User) -> QuerySet[Account]:
    selector = _audience_selector(
        user,
        {
            Audience.STAFF: account_list_for_staff,
            Audience.CUSTOMER: account_list_for_customer,
            Audience.RESELLER: account_list_for_reseller,
        },
    )
    # Vendors see projects and work orders, never accounts.
    return selector(user=user) if selector else Account.objects.none()


def _columns(model, fields, computed: set[str]) -> list[str]:
    """The columns a row reads as they are for these API fields (foreign keys as `<name>_id`): all but `computed`."""
    return [model._meta.get_field(name).attname for name in fields if name not in computed]


# account_rows computes these itself; every other field of Account.PORTAL_FIELDS / STAFF_FIELDS is a column.
ACCOUNT_COMPUTED = {"phone", "location", *TIMESTAMP_FIELDS}


def account_rows(queryset: QuerySet[Account], *, internal: bool) -> list[dict]:
    """A page of accounts as plain dicts, shaped exactly like AccountOut (one query, no model instances).
    `internal` adds staff-only fields (notes)."""
    fields = Account.STAFF_FIELDS if internal else Account.PORTAL_FIELDS
    rows = queryset.values(
        *_columns(Account, fields, ACCOUNT_COMPUTED),
        phone_e164=PHONE_TEXT,
        reseller_name=F("reseller__name"),
        lon=_X("location"),
        lat=_Y("location"),
        **timestamps_as_text(),
    )
    out = []
    for row in rows:
        parse_timestamps(row)
        lon, lat, reseller_id, reseller_name = (
            row.pop("lon"),
            row.pop("lat"),
            row.pop("reseller_id"),
            row.pop("reseller_name"),
        )
        row["phone"] = row.pop("phone_e164")
        row["location"] = lonlat_geojson(lon, lat)
        row["reseller"] = {"id": reseller_id, "name": reseller_name} if reseller_id else None
        out.append(row)
    return out


def _as_json(data):
    """What the API prints for `data` (UUIDs, times in UTC with Z, E.164 phones), as plain JSON data."""
    return orjson.loads(OrjsonRenderer().render(data))


def account_payload(account_id) -> dict:
    """The account as the API shows it to staff: the payload of crm.account.* events (tests compare the two)."""
    [row] = account_rows(Account.objects.filter(pk=account_id), internal=True)
    return _as_json(row)


ROLE_ORDER = Case(
    *[When(role=role, then=Value(rank)) for rank, role in enumerate(ContactRole.values)], output_field=IntegerField()
)


def account_contacts(*, account: Account) -> QuerySet[AccountContact]:
    """The account's live contacts, primary first (the caller already holds the account via a selector)."""
    return (
        AccountContact.objects.filter(live_q("contact"), account=account)
        .select_related("contact")
        .order_by(ROLE_ORDER, "contact__last_name", "contact__first_name")
    )


def account_portal_users(*, account: Account) -> QuerySet[CustomerUser]:
    return CustomerUser.objects.filter(account=account).select_related("user", "contact").order_by("user__email")


def account_counts_by_status(*, user: User) -> dict[str, int]:
    """Live accounts per status, for dashboards: one GROUP BY query."""
    rows = account_list_visible_to(user=user).live().order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def account_map_points(*, queryset: QuerySet[Account], limit: int = 2000) -> list[dict]:
    """Located accounts as light dicts for the map (coordinates only, capped)."""
    rows = queryset.filter(location__isnull=False).values(
        "id", "number", "name", "status", lon=_X("location"), lat=_Y("location")
    )[:limit]
    return [{**row, "id": str(row["id"])} for row in rows]


# ---- contacts ----------------------------------------------------------------------------------------------


def _contacts() -> QuerySet[Contact]:
    return Contact.objects.all()


def contact_list_for_staff(*, user: User) -> QuerySet[Contact]:
    return _contacts()


def contact_list_for_customer(*, user: User) -> QuerySet[Contact]:
    visible = AccountContact.objects.filter(contact=OuterRef("pk"), account__in=account_list_for_customer(user=user))
    return _contacts().live().filter(Exists(visible))


def contact_list_for_reseller(*, user: User) -> QuerySet[Contact]:
    visible = AccountContact.objects.filter(contact=OuterRef("pk"), account__in=account_list_for_reseller(user=user))
    return _contacts().live().filter(Exists(visible))


def contact_list_visible_to(*, user: User) -> QuerySet[Contact]:
    selector = _audience_selector(
        user,
        {
            Audience.STAFF: contact_list_for_staff,
            Audience.CUSTOMER: contact_list_for_customer,
            Audience.RESELLER: contact_list_for_reseller,
        },
    )
    return selector(user=user) if selector else Contact.objects.none()


def _contact_links(contact_ids: Iterable, accounts: QuerySet[Account]) -> dict:
    """contact id -> [{"account": {id, number, name}, "role"}] for the links to `accounts`. One query."""
    links = (
        AccountContact.objects.filter(contact_id__in=list(contact_ids), account__in=accounts)
        .order_by("account__number")
        .values("contact_id", "role", "account_id", "account__number", "account__name")
    )
    grouped: dict = {}
    for link in links:
        grouped.setdefault(link["contact_id"], []).append(
            {
                "account": {"id": link["account_id"], "number": link["account__number"], "name": link["account__name"]},
                "role": link["role"],
            }
        )
    return grouped


def contact_links_visible_to(*, user: User, contact_ids: Iterable) -> dict:
    """contact id -> [{"account": {id, number, name}, "role"}], only live accounts the user may see: a customer
    never learns which other accounts their contact belongs to. One query for a whole page."""
    return _contact_links(contact_ids, account_list_visible_to(user=user).live())


# contact_rows computes these itself; every other field of Contact.PORTAL_FIELDS / STAFF_FIELDS is a column.
CONTACT_COMPUTED = {"full_name", "phone", "accounts", *TIMESTAMP_FIELDS}


def _contact_rows(queryset: QuerySet[Contact], *, accounts: QuerySet[Account], internal: bool) -> list[dict]:
    fields = Contact.STAFF_FIELDS if internal else Contact.PORTAL_FIELDS
    columns = _columns(Contact, fields, CONTACT_COMPUTED)
    rows = list(queryset.values(*columns, phone_e164=PHONE_TEXT, **timestamps_as_text()))
    links = _contact_links([row["id"] for row in rows], accounts)
    for row in rows:
        parse_timestamps(row)
        row["phone"] = row.pop("phone_e164")
        row["full_name"] = f"{row['first_name']} {row['last_name']}".strip()
        row["accounts"] = links.get(row["id"], [])
        if internal:
            row["merged_into"] = row.pop("merged_into_id")
    return rows


def contact_rows(queryset: QuerySet[Contact], *, user: User, internal: bool) -> list[dict]:
    """A page of contacts shaped exactly like ContactOut: one query for the rows, one for their links (to the live
    accounts the user may see)."""
    return _contact_rows(queryset, accounts=account_list_visible_to(user=user).live(), internal=internal)


def contact_payload(contact_id) -> dict:
    """The contact as the API shows it to staff, with its links to every live account: the payload of
    crm.contact.* events."""
    [row] = _contact_rows(Contact.objects.filter(pk=contact_id), accounts=Account.objects.live(), internal=True)
    return _as_json(row)


def contact_duplicates_of(*, email: str = "", phone: str = "", exclude_id=None, limit: int = 10) -> QuerySet[Contact]:
    """Live contacts sharing the email (any case, primary or other) or the E.164 phone (primary or other)."""
    condition = Q(pk__in=[])
    email = (email or "").strip().lower()
    phone = str(phone or "")
    if email:
        condition |= Q(email__iexact=email) | Q(other_emails__contains=[email])
    if phone:
        condition |= Q(phone=phone) | Q(other_phones__contains=[phone])
    queryset = Contact.objects.live().filter(condition)
    if exclude_id:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.order_by("created_at")[:limit]


def contact_duplicate_groups(*, limit: int = 50) -> list[dict]:
    """Groups of live contacts sharing a primary email or phone, largest first: two GROUP BY queries and one
    fetch of the members, whatever the table size."""
    live = Contact.objects.live()
    by_email = (
        live.exclude(email="")
        .annotate(key=Lower("email"))
        .order_by()
        .values("key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("-n", "key")[:limit]
    )
    by_phone = (
        live.exclude(phone="").order_by().values("phone").annotate(n=Count("pk")).filter(n__gt=1).order_by("-n")[:limit]
    )
    groups = [{"kind": "email", "key": row["key"], "size": row["n"]} for row in by_email]
    groups += [{"kind": "phone", "key": str(row["phone"]), "size": row["n"]} for row in by_phone]
    groups.sort(key=lambda g: -g["size"])
    groups = groups[:limit]
    emails = [g["key"] for g in groups if g["kind"] == "email"]
    phones = [g["key"] for g in groups if g["kind"] == "phone"]
    members = (
        live.annotate(email_ci=Lower("email"))
        .filter(Q(email_ci__in=emails) | Q(phone__in=phones))
        .prefetch_related(Prefetch("accounts", queryset=Account.objects.live().only("id", "number", "name")))
        .order_by("created_at")
    )
    for group in groups:
        group["contacts"] = []
    index = {(g["kind"], g["key"]): g for g in groups}
    for contact in members:
        for key in (("email", contact.email_ci), ("phone", str(contact.phone) if contact.phone else "")):
            if key in index:
                index[key]["contacts"].append(contact)
    return groups


def reseller_list_for_staff(*, user: User) -> QuerySet[Reseller]:
    return Reseller.objects.all()


def reseller_list_for_reseller(*, user: User) -> QuerySet[Reseller]:
    return Reseller.objects.filter(portal_users__user=user)


def reseller_list_visible_to(*, user: User) -> QuerySet[Reseller]:
    selector = _audience_selector(
        user, {Audience.STAFF: reseller_list_for_staff, Audience.RESELLER: reseller_list_for_reseller}
    )
    return selector(user=user) if selector else Reseller.objects.none()


def reseller_list_with_counts(*, user: User) -> QuerySet[Reseller]:
    """The resellers a user sees, each with `account_count` (live accounts) and `portal_user_count`: subqueries,
    so one query for any number of rows (the console's list and detail)."""
    return reseller_list_visible_to(user=user).annotate(
        account_count=_count(Account.objects.live().filter(reseller=OuterRef("pk")), "reseller"),
        portal_user_count=_count(ResellerUser.objects.filter(reseller=OuterRef("pk")), "reseller"),
    )


def _count(queryset: QuerySet, group: str):
    rows = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def reseller_accounts(*, reseller: Reseller, limit: int) -> list[Account]:
    """The first `limit` live accounts of a reseller, by name (its console page; the accounts list has them all)."""
    return list(
        Account.objects.live()
        .filter(reseller=reseller)
        .only("id", "number", "name", "status")
        .order_by("name", "pk")[:limit]
    )


def reseller_portal_users(*, reseller: Reseller) -> QuerySet[ResellerUser]:
    return ResellerUser.objects.filter(reseller=reseller).select_related("user").order_by("user__email")


# ---- staff console: dashboard, map framing, change history -------------------------------------------------


def account_list_recent(*, user: User, limit: int = 8) -> QuerySet[Account]:
    """The newest live accounts the user may see (dashboards): one query."""
    return account_list_visible_to(user=user).live().order_by("-created_at", "pk")[:limit]


def account_map_extent(*, user: User) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around the user's located live accounts, to frame a map; one query."""
    from django.contrib.gis.db.models import Extent

    located = account_list_visible_to(user=user).live().filter(location__isnull=False)
    return located.order_by().aggregate(extent=Extent("location"))["extent"]


def _history_value(field, value, names: dict) -> str:
    from django.contrib.gis.geos import Point
    from django.utils import formats, timezone

    if value is None or value == "" or value == []:
        return ""
    if field.is_relation:
        return names.get((field.related_model, str(value)), str(value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, Point):
        return f"{value.y:.6f}, {value.x:.6f}"  # lat, lon: the order people read coordinates in
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if hasattr(value, "tzinfo"):
        return formats.localize(timezone.localtime(value) if timezone.is_aware(value) else value)
    return str(value)


HISTORY_HIDDEN_FIELDS = ["updated_at", "created_at", "id", "number"]


def record_history(*, record, limit: int = 20) -> list[dict]:
    """The newest `limit` versions of a django-simple-history tracked row, newest first, each with who made it
    and which fields changed (label, old, new as display strings). Queries: one for the versions and their users,
    plus one per related model named by a changed foreign key (reseller names), whatever the limit."""
    model = type(record)
    versions = list(record.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries, wanted = [], {}
    for index, version in enumerate(versions[:limit]):
        older = versions[index + 1] if index + 1 < len(versions) else None
        changes = []
        if older is not None and version.history_type == "~":
            for change in version.diff_against(older, excluded_fields=HISTORY_HIDDEN_FIELDS).changes:
                changes.append((model._meta.get_field(change.field), change.old, change.new))
            # diff_against skips non-editable fields, but deletion and restore are changes people look for.
            for tracked in older.tracked_fields:
                if not tracked.editable and tracked.name not in HISTORY_HIDDEN_FIELDS:
                    old, new = getattr(older, tracked.attname), getattr(version, tracked.attname)
                    if old != new:
                        changes.append((model._meta.get_field(tracked.name), old, new))
            for field, old, new in changes:
                if field.is_relation:
                    wanted.setdefault(field.related_model, set()).update(v for v in (old, new) if v is not None)
        entries.append({"version": version, "raw_changes": changes})
    names = {}
    for related, ids in wanted.items():
        for obj in related._default_manager.filter(pk__in=ids):
            names[(related, str(obj.pk))] = str(obj)
    return [
        {
            "date": entry["version"].history_date,
            "user": entry["version"].history_user,
            "kind": entry["version"].history_type,  # "+" created, "~" changed, "-" removed
            "reason": entry["version"].history_change_reason or "",
            "changes": [
                {
                    "field": field.name,
                    "label": field.verbose_name,
                    "old": _history_value(field, old, names),
                    "new": _history_value(field, new, names),
                }
                for field, old, new in entry["raw_changes"]
            ],
        }
        for entry in entries
    ]
