"""Writes to vendors and their portal users. Vendors are partner organisations, written by omni.services.partner_*
as resellers are."""

from uuid import UUID

from omni.models import User
from omni.services import partner_user_create

from ..models import Vendor


def vendor_user_create(*, vendor_id: UUID, email: str, password: str | None = None, full_name: str = "") -> User:
    """A vendor portal user: sees the projects and work orders assigned to their vendor (partner_user_create)."""
    return partner_user_create(Vendor, partner_id=vendor_id, email=email, password=password, full_name=full_name)
