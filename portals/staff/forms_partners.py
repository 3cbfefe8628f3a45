"""Forms of the partner pages (resellers, vendors) in the staff console."""

from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from .forms import PHONE_HELP


class PartnerForm(forms.Form):
    """Create and edit a reseller or vendor (omni.services.partner_create / partner_update). Switching it off and
    on is a button of its page, not a field here."""

    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("Unique, whatever the case."))
    email = forms.EmailField(label=_("Email"), required=False)
    phone = PhoneNumberField(label=_("Phone"), required=False, help_text=PHONE_HELP)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Internal: staff only."),
    )  # fmt: skip

    @classmethod
    def initial_for(cls, partner) -> dict:
        return {name: getattr(partner, name) for name in cls.base_fields}

    def service_fields(self) -> dict:
        return {**self.cleaned_data, "phone": self.cleaned_data["phone"] or ""}


class PartnerInviteForm(forms.Form):
    """Invite a person to a partner's portal; they get an email to set their password."""

    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Name"), max_length=150, required=False)
