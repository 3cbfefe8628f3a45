"""Writes to vendors and their portal users."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from omni.choices import Audience
from omni.models import User
from omni.services import portal_user_create, users_active_set, users_org_active_set

from .models import Vendor, VendorUser

VENDOR_FIELDS = {"name", "email", "phone", "is_active", "notes"}


def _set_fields(vendor: Vendor, fields: dict) -> list[str]:
    unknown = set(fields) - VENDOR_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    changed = [name for name, value in fields.items() if getattr(vendor, name) != value]
    for name in changed:
        setattr(vendor, name, fields[name])
    return changed


@transaction.atomic
def vendor_create(*, name: str, by: User | None = None, **fields) -> Vendor:
    """Create a vendor (with its first history row). ValidationError keyed by field."""
    vendor = Vendor()
    _set_fields(vendor, {"name": name, **fields})
    vendor.full_clean()
    vendor._history_user = by
    vendor.save()
    return vendor


@transaction.atomic
def vendor_update(*, vendor_id: UUID, by: User | None = None, **fields) -> Vendor:
    """Change a vendor. Switching it off (`is_active`) cuts its portal users off at once: sessions, API tokens and
    sign-in stop working at their next request; switching it on brings back exactly those users (not one
    deactivated on their own). Locks the row, so a portal user created meanwhile is cut off too."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor_id)
    changed = _set_fields(vendor, fields)
    if not changed:
        return vendor
    vendor.full_clean()
    vendor._history_user = by
    vendor.save()
    if "is_active" in changed:
        user_ids = VendorUser.objects.filter(vendor=vendor).values_list("user_id", flat=True)
        users_org_active_set(user_ids=list(user_ids), active=vendor.is_active)
    return vendor


def vendor_active_set(*, vendor_id: UUID, active: bool, by: User | None = None) -> Vendor:
    return vendor_update(vendor_id=vendor_id, by=by, is_active=active)


@transaction.atomic
def vendor_delete(*, vendor_id: UUID) -> None:
    """Delete a vendor. Its portal users lose their membership and are deactivated: left active, they would still
    sign in to a portal that shows them nothing."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor_id)
    users_active_set(user_ids=list(vendor.portal_users.values_list("user_id", flat=True)), active=False)
    vendor.delete()


@transaction.atomic
def vendor_user_create(*, vendor_id: UUID, email: str, password: str | None = None, full_name: str = "") -> User:
    """A vendor portal user: sees the projects and work orders assigned to their vendor. 409 if email taken. For a
    vendor that is switched off the user starts off with it. Locks the vendor (see vendor_update)."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor_id)
    user = portal_user_create(email=email, password=password, full_name=full_name, audience=Audience.VENDOR)
    VendorUser.objects.create(user=user, vendor=vendor)
    if not vendor.is_active:
        users_org_active_set(user_ids=[user.pk], active=False)
        user.refresh_from_db(fields=["is_active", "suspended_with_org"])
    return user
