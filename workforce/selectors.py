from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from omni.choices import Audience
from omni.models import User

from .models import Vendor, VendorUser


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


def vendor_list_with_counts(*, user: User) -> QuerySet[Vendor]:
    """The vendors a user sees, each with `portal_user_count` (a subquery: one query for any number of rows)."""
    users = VendorUser.objects.filter(vendor=OuterRef("pk")).order_by().values("vendor").annotate(n=Count("pk"))
    return vendor_list_visible_to(user=user).annotate(
        portal_user_count=Coalesce(Subquery(users.values("n"), output_field=IntegerField()), 0)
    )


def vendor_portal_users(*, vendor: Vendor) -> QuerySet[VendorUser]:
    return VendorUser.objects.filter(vendor=vendor).select_related("user").order_by("user__email")
