"""Forms of the staff console: they parse and check input; crm.services does every write and its own checks."""

from django import forms
from django.conf import global_settings
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from crm.choices import AccountKind, AccountStatus, ContactChannel, ContactRole
from crm.models import Account, Contact
from omni.choices import time_zone_choices
from omni.services import writable_fields

PHONE_HELP = _("National or international format, e.g. 0803 123 4567 or +2348031234567.")


def _split_commas(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _initial(form_class, record) -> dict:
    """A form's starting values: each of its fields that services may set on the record, as stored (a foreign key
    as its id, a list joined by commas)."""
    model = type(record)
    writable, initial = writable_fields(model), {}
    for name in form_class.base_fields:
        if name in writable:
            value = getattr(record, model._meta.get_field(name).attname)
            initial[name] = ", ".join(value) if isinstance(value, list) else value
    return initial


def _settable(model, cleaned_data: dict) -> dict:
    """The cleaned values of the fields services may set on `model` (omni.services.writable_fields)."""
    writable = writable_fields(model)
    return {name: value for name, value in cleaned_data.items() if name in writable}


def latitude_field() -> forms.FloatField:
    return forms.FloatField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90, widget=forms.NumberInput({"step": "any"})
    )


def longitude_field() -> forms.FloatField:
    return forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180, widget=forms.NumberInput({"step": "any"})
    )


class PointFieldsMixin:
    """A form whose `latitude` and `longitude` fields (latitude_field(), longitude_field()) are one optional map
    pin in WGS 84: both or neither."""

    @staticmethod
    def point_initial(location) -> dict:
        return {"latitude": location.y if location else None, "longitude": location.x if location else None}

    def clean(self):
        cleaned = super().clean()
        lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
        if (lat is None) != (lon is None) and "latitude" not in self.errors and "longitude" not in self.errors:
            missing = "latitude" if lat is None else "longitude"
            self.add_error(missing, _("Give both latitude and longitude, or neither (no location)."))
        return cleaned

    def point(self) -> Point | None:
        lat, lon = self.cleaned_data["latitude"], self.cleaned_data["longitude"]
        return Point(lon, lat, srid=4326) if lat is not None and lon is not None else None


class AccountForm(PointFieldsMixin, forms.Form):
    """Create and edit an account. The service location is a map pin: latitude and longitude in WGS 84."""

    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=AccountKind.choices, initial=AccountKind.RESIDENTIAL)
    status = forms.ChoiceField(label=_("Status"), choices=AccountStatus.choices, initial=AccountStatus.ACTIVE)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = PhoneNumberField(label=_("Phone"), required=False, help_text=PHONE_HELP)
    service_address = forms.CharField(
        label=_("Service address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    billing_address = forms.CharField(
        label=_("Billing address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Empty: same as the service address."),
    )
    latitude = latitude_field()
    longitude = longitude_field()
    reseller = forms.ModelChoiceField(
        label=_("Reseller"), queryset=None, required=False, empty_label=_("No reseller (direct customer)")
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000, help_text=_("Separated by commas, e.g. fiber, vip.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, resellers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reseller"].queryset = resellers

    @classmethod
    def initial_for(cls, account) -> dict:
        return {**_initial(cls, account), **cls.point_initial(account.location)}

    def clean_tags(self) -> list[str]:
        return _split_commas(self.cleaned_data["tags"])

    def service_fields(self) -> dict:
        """Keyword arguments for crm.services.account_create / account_update."""
        data = self.cleaned_data
        return {**_settable(Account, data), "phone": data["phone"] or "", "location": self.point()}


class ContactForm(forms.Form):
    """Create and edit a contact. On create, `account` (from ?account=) links the new contact with `role`."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = PhoneNumberField(label=_("Phone"), required=False, help_text=PHONE_HELP)
    other_emails = forms.CharField(
        label=_("Other emails"), required=False, max_length=2000, help_text=_("Separated by commas.")
    )
    other_phones = forms.CharField(
        label=_("Other phones"), required=False, max_length=2000, help_text=_("Separated by commas.")
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=ContactChannel.choices, initial=ContactChannel.EMAIL
    )
    language = forms.ChoiceField(label=_("Language"), choices=global_settings.LANGUAGES, initial="en")
    time_zone = forms.CharField(
        label=_("Time zone"), required=False, max_length=64, help_text=_("e.g. Africa/Lagos. Empty: the instance's.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    account = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    role = forms.ChoiceField(
        label=_("Role on the account"), choices=ContactRole.choices, initial=ContactRole.PRIMARY, required=False
    )
    # Sent by the "Save anyway" button once possible duplicates were shown.
    confirm_duplicates = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if accounts is None:  # editing: links are managed on the contact's page
            del self.fields["account"], self.fields["role"]
        else:
            self.fields["account"].queryset = accounts

    @classmethod
    def initial_for(cls, contact) -> dict:
        return _initial(cls, contact)

    def clean_other_emails(self) -> list[str]:
        return _split_commas(self.cleaned_data["other_emails"])

    def clean_other_phones(self) -> list[str]:
        return _split_commas(self.cleaned_data["other_phones"])

    def service_fields(self) -> dict:
        """Keyword arguments for crm.services.contact_create / contact_update."""
        data = self.cleaned_data
        fields = {**_settable(Contact, data), "phone": data["phone"] or ""}
        if data.get("account"):
            fields["accounts"] = [(data["account"].pk, data["role"] or ContactRole.PRIMARY)]
        return fields


class InviteForm(forms.Form):
    """Invite a person to the customer portal of one account; they get an email to set their password."""

    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=None,
        required=False,
        empty_label=_("Not linked to a contact"),
        help_text=_("The contact this portal user is."),
    )

    def __init__(self, *args, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts


class LinkAccountForm(forms.Form):
    """Link a contact to an account (by its number) with a role; an existing link changes role."""

    account = forms.CharField(label=_("Account number"), max_length=20, help_text=_("e.g. ACC-000123"))
    role = forms.ChoiceField(label=_("Role"), choices=ContactRole.choices, initial=ContactRole.PRIMARY)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = accounts

    def clean_account(self):
        number = self.cleaned_data["account"].strip()
        account = self.accounts.live().filter(number__iexact=number).first()
        if account is None:
            raise forms.ValidationError(_("No account with number %(number)s.") % {"number": number})
        return account


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=AccountStatus.choices)


class MergeForm(forms.Form):
    """Merge one group of duplicates: the survivor keeps its record; the others move into it."""

    survivor = forms.ModelChoiceField(queryset=None, error_messages={"required": _("Choose the contact to keep.")})
    duplicates = forms.ModelMultipleChoiceField(queryset=None)

    def __init__(self, *args, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = contacts
        self.fields["duplicates"].queryset = contacts


class ProfileForm(forms.Form):
    """My profile: the phone SMS notifications and escalations reach, the time zone my quiet hours follow."""

    phone = PhoneNumberField(label=_("Mobile phone"), required=False, help_text=PHONE_HELP)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        required=False,
        help_text=_("Your quiet hours follow it unless they name their own."),
    )

    @classmethod
    def initial_for(cls, user) -> dict:
        return {"phone": user.phone.as_e164 if user.phone else "", "time_zone": user.time_zone}

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {"phone": data["phone"] or "", "time_zone": data["time_zone"]}
