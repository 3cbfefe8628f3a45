"""Input (`…In`) and output (`…Out`) serializers. The output fields are the models' PORTAL_FIELDS / STAFF_FIELDS;
list endpoints and event payloads build the same shapes from rows (selectors.account_rows / contact_rows), and
tests check the two agree."""

from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from omni.api.fields import GeoJSONPointField
from omni.api.partners import PartnerOut, PartnerPortalOut

from ..choices import AccountKind, AccountStatus, ContactChannel, ContactRole
from ..models import Account, Contact, Reseller


class ResellerBriefOut(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class ResellerPortalOut(PartnerPortalOut):
    class Meta(PartnerPortalOut.Meta):
        model = Reseller


class ResellerOut(PartnerOut):
    class Meta(PartnerOut.Meta):
        model = Reseller


class AccountBriefOut(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class _E164Phone:
    # `phone` as E.164 text or empty, as the list rows read it (selectors.PHONE_TEXT). A comment, not a docstring:
    # drf-spectacular would take a docstring for the description of the serializers that have none.

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["phone"] = str(instance.phone) if instance.phone else ""
        return data


class AccountPortalOut(_E164Phone, serializers.ModelSerializer):
    """What portal users (customers, resellers) see of an account."""

    number = serializers.CharField(read_only=True, help_text="ACC-000001; assigned by the server.")
    # Plain strings: an empty value would break the `email` format that a ModelSerializer documents.
    email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    phone = serializers.CharField(read_only=True, help_text="E.164 or empty.")
    location = GeoJSONPointField(read_only=True)
    reseller = ResellerBriefOut(read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = read_only_fields = Account.PORTAL_FIELDS


class AccountOut(AccountPortalOut):
    """An account as staff see it: with internal notes."""

    class Meta(AccountPortalOut.Meta):
        fields = read_only_fields = Account.STAFF_FIELDS


class AccountIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=AccountKind.choices, default=AccountKind.RESIDENTIAL)
    # No default: a PUT that leaves status out keeps it (a suspended account is not switched back on by an
    # address fix). New accounts are active unless told otherwise.
    status = serializers.ChoiceField(
        choices=AccountStatus.choices,
        required=False,
        help_text="New accounts: active when left out. A change must be an allowed transition (409 otherwise).",
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = PhoneNumberField(required=False, allow_blank=True, default="", help_text="E.164, e.g. +2348031234567.")
    service_address = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    billing_address = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    location = GeoJSONPointField(required=False, allow_null=True, default=None)
    reseller = serializers.PrimaryKeyRelatedField(
        queryset=Reseller.objects.all(), required=False, allow_null=True, default=None
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=50
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class ContactAccountIn(serializers.Serializer):
    account = serializers.UUIDField()
    role = serializers.ChoiceField(choices=ContactRole.choices, default=ContactRole.PRIMARY)


class ContactAccountOut(serializers.Serializer):
    account = AccountBriefOut()
    role = serializers.ChoiceField(choices=ContactRole.choices)


class ContactPortalOut(_E164Phone, serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    phone = serializers.CharField(read_only=True, help_text="E.164 or empty.")
    accounts = serializers.SerializerMethodField(help_text="Accounts you may see, with your role on each.")

    class Meta:
        model = Contact
        fields = read_only_fields = Contact.PORTAL_FIELDS

    @extend_schema_field(ContactAccountOut(many=True))
    def get_accounts(self, instance):
        return self.context["links"].get(instance.pk, [])


class ContactOut(ContactPortalOut):
    merged_into = serializers.UUIDField(source="merged_into_id", read_only=True, allow_null=True)

    class Meta(ContactPortalOut.Meta):
        fields = read_only_fields = Contact.STAFF_FIELDS


class ContactIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = PhoneNumberField(required=False, allow_blank=True, default="", help_text="E.164, e.g. +2348031234567.")
    other_emails = serializers.ListField(child=serializers.EmailField(), required=False, default=list, max_length=20)
    other_phones = serializers.ListField(child=PhoneNumberField(), required=False, default=list, max_length=20)
    preferred_channel = serializers.ChoiceField(choices=ContactChannel.choices, default=ContactChannel.EMAIL)
    language = serializers.CharField(max_length=8, default="en")
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    accounts = ContactAccountIn(many=True, required=False, help_text="Replaces the contact's account links.")

    def validate_other_phones(self, value):
        return [str(phone) for phone in value]

    def validate_accounts(self, value):
        # A PATCH validates partially, and DRF then skips the nested defaults and required checks too.
        if any("account" not in link for link in value):
            raise serializers.ValidationError("Each link needs an account.")
        ids = [link["account"] for link in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("An account is listed twice.")
        return [(link["account"], link.get("role", ContactRole.PRIMARY)) for link in value]


class ContactMergeIn(serializers.Serializer):
    duplicates = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=50)


class AccountTransitionIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=AccountStatus.choices)
