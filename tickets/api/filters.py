"""FilterSets, shared by the API and the staff console (STYLE.md section 5)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from notifications.api.filters import StrictBooleanFilter
from omni.api.filters import IsoDateTimeFilter, SearchFilter
from omni.choices import Audience

from .. import selectors
from ..choices import SLAState, TicketPriority, TicketStatus
from ..models import BusinessCalendar, Ticket


class BusinessCalendarFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label=_("Search"), help_text=_("Name contains.")
    )
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact", label=_("Country"))
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = BusinessCalendar
        fields = ["search", "country", "updated_since"]


def _ticket_search(value: str) -> Q:
    return Q(number__iexact=value) | Q(subject__icontains=value)


class TicketFilterSet(django_filters.FilterSet):
    search = SearchFilter(condition=_ticket_search, label=_("Search"), help_text=_("Number, or subject contains."))
    q = django_filters.CharFilter(
        method="filter_full_text",
        label=_("Full-text search"),
        help_text=_(
            'Words, "a phrase", -not, or: in the subject, description and public replies (staff: internal notes too).'
        ),
    )
    status = django_filters.MultipleChoiceFilter(choices=TicketStatus.choices, distinct=False, label=_("Status"))
    priority = django_filters.MultipleChoiceFilter(choices=TicketPriority.choices, distinct=False, label=_("Priority"))
    # Ids, not choices: a choice list would leak the teams, staff and accounts a user cannot see.
    team = django_filters.UUIDFilter(field_name="team_id", label=_("Team"))
    assignee = django_filters.UUIDFilter(field_name="assignee_id", label=_("Assignee"))
    account = django_filters.UUIDFilter(field_name="account_id", label=_("Account"))
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    sla_state = django_filters.MultipleChoiceFilter(
        choices=[choice for choice in SLAState.choices if choice[0]], distinct=False, label=_("SLA state")
    )
    breached = StrictBooleanFilter(
        method="filter_breached", label=_("Breached"), help_text=_("true: an SLA clock of the ticket is breached.")
    )

    class Meta:
        model = Ticket
        fields = [
            "search", "q", "status", "priority", "team", "assignee", "account", "updated_since", "sla_state",
            "breached",
        ]  # fmt: skip

    def filter_full_text(self, queryset, name, value):
        """Full text over what the user may read: portal users never match on internal notes."""
        if not value.strip():
            return queryset
        user = getattr(self.request, "user", None)
        staff = bool(user and user.is_authenticated and user.audience == Audience.STAFF)
        return selectors.ticket_search(queryset, value.strip(), notes=staff)

    def filter_breached(self, queryset, name, value):
        if value is None:
            return queryset
        breached = Q(sla_state=SLAState.BREACHED)
        return queryset.filter(breached) if value else queryset.exclude(breached)
