"""Forms of the staff console's lead pages: they parse and check input; crm.services.leads does every write and
its own checks (a lost stage needs a reason, a converted lead stays put, ...)."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from crm.choices import AccountKind, LeadSource
from crm.models import Lead

from .forms import PHONE_HELP, PointFieldsMixin, _initial, _settable, latitude_field, longitude_field


class LeadForm(PointFieldsMixin, forms.Form):
    """Create and edit a lead. The service location is a point: latitude and longitude in WGS 84."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = PhoneNumberField(label=_("Phone"), required=False, help_text=PHONE_HELP)
    service_address = forms.CharField(
        label=_("Service address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    latitude = latitude_field()
    longitude = longitude_field()
    source = forms.ChoiceField(label=_("Source"), choices=LeadSource.choices, initial=LeadSource.OTHER)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("Nobody yet"))
    reseller = forms.ModelChoiceField(
        label=_("Reseller"), queryset=None, required=False, empty_label=_("No reseller (direct)")
    )
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None, empty_label=None)
    lost_reason = forms.CharField(
        label=_("Lost reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed for a lost stage."),
    )  # fmt: skip
    currency = forms.RegexField(label=_("Currency"), regex=r"^[A-Za-z]{3}$", max_length=3)
    expected_monthly_value = forms.DecimalField(
        label=_("Expected monthly value"), max_digits=14, decimal_places=2, min_value=0, initial="0.00"
    )
    next_follow_up = forms.DateField(
        label=_("Next follow-up"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # Sent by the "Save anyway" button once possible duplicates were shown.
    confirm_duplicates = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, owners, resellers, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["reseller"].queryset = resellers
        self.fields["stage"].queryset = stages

    @classmethod
    def initial_for(cls, lead: Lead) -> dict:
        return {**_initial(cls, lead), **cls.point_initial(lead.location)}

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def service_fields(self) -> dict:
        """Keyword arguments for crm.services.lead_create / lead_update."""
        data = self.cleaned_data
        return {**_settable(Lead, data), "phone": data["phone"] or "", "location": self.point()}


class LeadMoveForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None, empty_label=None)
    lost_reason = forms.CharField(label=_("Lost reason"), required=False, max_length=2000)

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = stages


class LeadConvertForm(forms.Form):
    """Convert into a new account (name and kind optional: from the lead) or join an existing one (its number)."""

    NEW, EXISTING = "new", "existing"
    target = forms.ChoiceField(
        label=_("Account"),
        choices=[(NEW, _("Create a new account")), (EXISTING, _("Join an existing account"))],
        initial=NEW,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("New account's name"), max_length=200, required=False, help_text=_("Empty: the company or person.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("From the lead")), *AccountKind.choices], required=False)
    account = forms.CharField(
        label=_("Existing account"), max_length=64, required=False, help_text=_("Its number, e.g. ACC-000123.")
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = accounts

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("target") != self.EXISTING:
            cleaned["account"] = None
            return cleaned
        value = (cleaned.get("account") or "").strip()
        if not value:
            self.add_error("account", _("Give the number of the account to join."))
            return cleaned
        try:
            found = self.accounts.filter(pk=uuid.UUID(value)).first()
        except ValueError:
            found = self.accounts.filter(number__iexact=value).first()
        if found is None:
            self.add_error("account", _("No account %(value)s.") % {"value": value})
        cleaned["account"] = found
        return cleaned

    def service_fields(self) -> dict:
        """Keyword arguments for crm.services.lead_convert."""
        data = self.cleaned_data
        if data["account"] is not None:
            return {"account_id": data["account"].pk}
        return {key: data[key] for key in ("name", "kind") if data.get(key)}
