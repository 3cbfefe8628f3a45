"""The reseller portal's account filters: the shared AccountFilterSet without staff-only filters."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.api.filters import AccountFilterSet
from crm.choices import AccountKind, AccountStatus


class ResellerAccountFilterSet(AccountFilterSet):
    # Dropped: `reseller` would list every reseller's name in its choices; `deleted` rows are never shown here.
    reseller = None
    deleted = None
    tag = None
    has_location = None
    updated_since = None
    created_since = None
    status = django_filters.MultipleChoiceFilter(
        choices=AccountStatus.choices, distinct=False, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    kind = django_filters.ChoiceFilter(
        choices=AccountKind.choices, distinct=False, label=_("Kind"), empty_label=_("Any kind")
    )

    class Meta(AccountFilterSet.Meta):
        fields = ["search", "status", "kind"]
