"""Writes to vendors and their portal users."""

from uuid import UUID

from django.db import transaction

from omni.choices import Audience
from omni.models import User
from omni.services import portal_user_create

from .models import Vendor, VendorUser


def vendor_create(*, name: str, **fields) -> Vendor:
    vendor = Vendor(name=name, **fields)
    vendor.full_clean()
    vendor.save()
    return vendor


@transaction.atomic
def vendor_user_create(*, vendor_id: UUID, email: str, password: str | None = None, full_name: str = "") -> User:
    """A vendor portal user: sees the projects and work orders assigned to their vendor. 409 if email taken."""
    vendor = Vendor.objects.get(pk=vendor_id)
    user = portal_user_create(email=email, password=password, full_name=full_name, audience=Audience.VENDOR)
    VendorUser.objects.create(user=user, vendor=vendor)
    return user
