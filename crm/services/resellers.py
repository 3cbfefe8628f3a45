"""Resellers are partner organisations, written by omni.services.partner_* as vendors are (the API's PartnerViewSet,
the console's partner pages and the admin all call those). What is a reseller's own: which take new accounts."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Reseller

__all__ = ["reseller_check_assignable"]


def reseller_check_assignable(*, reseller_id: UUID | None) -> None:
    """A new account assignment needs a reseller that is switched on (one switched off keeps the accounts it has):
    ValidationError naming `reseller` otherwise. Locks the reseller's row until the caller's transaction ends, so
    it cannot be switched off between this check and the assignment (partner_update locks it too)."""
    if reseller_id is None:
        return
    rows = Reseller.objects.select_for_update(no_key=True).filter(pk=reseller_id)
    if not rows.values_list("is_active", flat=True).first():
        raise ValidationError({"reseller": [_("This reseller is switched off; choose another one.")]})
