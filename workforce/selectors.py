from django.db.models import QuerySet

from omni.choices import Audience
from omni.models import User

from .models import Vendor


def vendor_list_visible_to(*, user: User) -> QuerySet[Vendor]:
    """Active staff (is_staff) see every vendor; a vendor user only their own; anyone else none."""
    if not (user.is_authenticated and user.is_active):
        return Vendor.objects.none()
    audience = getattr(user, "audience", None)
    if audience == Audience.STAFF and user.is_staff:
        return Vendor.objects.all()
    if audience == Audience.VENDOR:
        return Vendor.objects.filter(portal_users__user=user)
    return Vendor.objects.none()


def vendor_of(*, user: User) -> Vendor | None:
    return vendor_list_visible_to(user=user).first() if getattr(user, "audience", None) == Audience.VENDOR else None
