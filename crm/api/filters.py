"""FilterSets shared by the API and the staff console."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import to_python as to_phone

from omni.api.filters import IsoDateTimeFilter, SearchFilter

from ..choices import AccountKind, AccountStatus, ContactChannel
from ..models import Account, AccountContact, Contact, Reseller
from ..selectors import reseller_list_visible_to


class DeletedFilterMixin:
    """Live rows unless `?deleted=true` (only deleted) — selectors for portals never return deleted rows."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.deleted() if self.form.cleaned_data.get("deleted") else queryset.live()


def _visible_resellers(request):
    # Choices are scoped like everything else: a reseller user cannot probe other resellers' ids.
    return reseller_list_visible_to(user=request.user) if request is not None else Reseller.objects.none()


def _account_search(value: str) -> Q:
    condition = (
        Q(number__iexact=value)
        | Q(name__icontains=value)
        | Q(email__icontains=value)
        | Q(service_address__icontains=value)
    )
    phone = to_phone(value)
    if phone and phone.is_valid():
        condition |= Q(phone=phone.as_e164)
    return condition


class AccountFilterSet(DeletedFilterMixin, django_filters.FilterSet):
    search = SearchFilter(
        condition=_account_search,
        label=_("Search"),
        help_text=_("Number, name, email, phone or address contains."),
    )
    status = django_filters.MultipleChoiceFilter(choices=AccountStatus.choices, distinct=False, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=AccountKind.choices, distinct=False, label=_("Kind"))
    reseller = django_filters.ModelChoiceFilter(
        queryset=_visible_resellers, distinct=False, label=_("Reseller"), empty_label=_("Any reseller")
    )
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    has_location = django_filters.BooleanFilter(
        field_name="location", lookup_expr="isnull", exclude=True, label=_("Has location")
    )
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    created_since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    deleted = django_filters.BooleanFilter(method="filter_nothing", label=_("Deleted"))

    class Meta:
        model = Account
        fields = ["search", "status", "kind", "reseller", "tag", "has_location", "deleted"]

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()]) if value.strip() else queryset

    def filter_nothing(self, queryset, name, value):
        return queryset  # applied in filter_queryset, so absence means "live only"


class ContactFilterSet(DeletedFilterMixin, django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("Search"), help_text="Name, email or phone.")
    account = django_filters.UUIDFilter(method="filter_account", label=_("Account"))
    preferred_channel = django_filters.ChoiceFilter(choices=ContactChannel.choices, distinct=False)
    language = django_filters.CharFilter(distinct=False)
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    phone = django_filters.CharFilter(method="filter_phone")
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    deleted = django_filters.BooleanFilter(method="filter_nothing", label=_("Deleted"))

    class Meta:
        model = Contact
        fields = ["search", "account", "preferred_channel", "language", "deleted"]

    def filter_search(self, queryset, name, value):
        condition = Q()
        for term in value.split()[:4]:
            condition &= Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)
        phone = to_phone(value.strip())
        if phone and phone.is_valid():
            condition |= Q(phone=phone.as_e164) | Q(other_phones__contains=[phone.as_e164])
        return queryset.filter(condition)

    def filter_account(self, queryset, name, value):
        return queryset.filter(Exists(AccountContact.objects.filter(contact=OuterRef("pk"), account_id=value)))

    def filter_phone(self, queryset, name, value):
        phone = to_phone(value.strip())
        if not phone or not phone.is_valid():
            return queryset.none()
        return queryset.filter(phone=phone.as_e164)

    def filter_nothing(self, queryset, name, value):
        return queryset
