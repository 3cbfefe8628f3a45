import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework import filters


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=name,-created_at`. Unknown fields are a 400 naming the field, not silently ignored."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        from rest_framework.exceptions import ValidationError

        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        bad = [term for term in fields if term.lstrip("-") not in valid]
        if bad:
            raise ValidationError(
                {"ordering": [f"Cannot order by {', '.join(bad)}; choose from {', '.join(sorted(valid))}."]}
            )
        # The primary key breaks ties so limit/offset pages never repeat or skip rows.
        return [*fields, "pk"] if fields else fields

    def get_default_ordering(self, view):
        ordering = super().get_default_ordering(view)
        return [*ordering, "pk"] if ordering else ordering  # rows created in the same microsecond: same reason


class SearchFilter(django_filters.CharFilter):
    """Free text: the value stripped, a blank one filters nothing, `condition(value)` gives the Q to match."""

    def __init__(self, *, condition, **kwargs):
        self.condition = condition
        super().__init__(**kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        return qs.filter(self.condition(value)) if value else qs


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, handed to the database in UTC. PostgreSQL refuses offsets past ±15:59 that Python
    parses happily (`-22:11`), and a year-1 or year-9999 value can overflow when shifted: both are a 400."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise ValidationError(_("Enter a date and time between the years 1 and 9999."), code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """Use instead of django_filters.IsoDateTimeFilter in every FilterSet (see UtcIsoDateTimeField)."""

    field_class = UtcIsoDateTimeField
