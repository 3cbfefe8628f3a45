"""FilterSets, shared by the API and the staff console (STYLE.md section 5)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from omni.api.filters import IsoDateTimeFilter

from ..models import BusinessCalendar


class BusinessCalendarFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label=_("Search"), help_text=_("Name contains.")
    )
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact", label=_("Country"))
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = BusinessCalendar
        fields = ["search", "country", "updated_since"]
