"""Writes to vendors' crews: a crew's members are technicians of its vendor (a 400 on `members` otherwise)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from omni.services import fields_set

from ..models import Crew, Vendor


def crew_members_check(vendor: Vendor | None, members) -> None:
    strangers = [str(t) for t in members or () if vendor is None or t.vendor_id != vendor.pk]
    if strangers:
        raise ValidationError(
            {"members": [_("Not a technician of this vendor: %(who)s.") % {"who": ", ".join(sorted(strangers))}]}
        )


@transaction.atomic
def crew_create(*, members=(), **fields) -> Crew:
    crew = Crew(**fields)
    crew.full_clean()
    crew_members_check(crew.vendor, members)
    crew.save()
    crew.members.set(members)
    return crew


@transaction.atomic
def crew_update(*, crew_id, members=None, **fields) -> Crew:
    """Edits a crew; `members` (when given) replaces its members. Moving it to another vendor needs members of
    that vendor."""
    crew = Crew.objects.select_for_update().get(pk=crew_id)
    fields_set(crew, fields)
    crew.full_clean()
    crew_members_check(crew.vendor, crew.members.all() if members is None else members)
    crew.save()
    if members is not None:
        crew.members.set(members)
    return crew
