"""Writes the API needs beyond the admin's: a shift pattern's edit and a protected delete of any workforce row."""

from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from omni.exceptions import Conflict
from omni.services import fields_set

from ..models import ShiftPattern
from .people import _pattern_check, _save


@transaction.atomic
def shift_pattern_update(*, shift_pattern_id, **fields) -> ShiftPattern:
    """Edits a pattern (its RRULE or weekdays checked as on create). Shifts already generated stay as they are."""
    pattern = ShiftPattern.objects.select_for_update().get(pk=shift_pattern_id)
    fields_set(pattern, fields)
    _pattern_check(pattern)
    return _save(pattern)


@transaction.atomic
def record_delete(model: type[Model], /, *, pk) -> None:
    """Deletes a workforce row; a Conflict (409) naming what still uses it (a skill a technician holds, a
    technician with appointments, a territory with children, ...)."""
    record = model.objects.select_for_update().get(pk=pk)
    try:
        with transaction.atomic():
            record.delete()
    except (ProtectedError, RestrictedError) as exc:
        objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        kinds = sorted({str(type(obj)._meta.verbose_name_plural) for obj in objects})
        raise Conflict(_("Still in use by %(what)s: remove those first.") % {"what": ", ".join(kinds)}) from exc
