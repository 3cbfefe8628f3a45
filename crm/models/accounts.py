"""Customer accounts, their contacts (persons), resellers, and which portal users belong to which."""

import zoneinfo

from django.conf import global_settings, settings
from django.contrib.gis.db import models as gis
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from phonenumber_field.phonenumber import to_python as to_phone
from simple_history.models import HistoricalRecords

from omni.choices import Audience
from omni.db import NextNumber
from omni.models import PartnerMembership, PartnerOrganisation, SoftDeleteModel, TimeStampedModel, live_q

from ..choices import AccountKind, AccountStatus, ContactChannel, ContactRole

LANGUAGE_CODES = {code for code, _name in global_settings.LANGUAGES}


class Reseller(PartnerOrganisation):
    """A partner that sells and supports accounts of its own; its users see only those accounts."""

    portal_audience = Audience.RESELLER

    class Meta(PartnerOrganisation.Meta):
        verbose_name = _("reseller")


class Account(SoftDeleteModel):
    """A customer: a household or a business served at one location."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("ACC-", "crm_account_number_seq"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind, default=AccountKind.RESIDENTIAL)
    status = models.CharField(_("status"), max_length=16, choices=AccountStatus, default=AccountStatus.ACTIVE)
    email = models.EmailField(_("email"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    service_address = models.TextField(_("service address"), blank=True)
    billing_address = models.TextField(_("billing address"), blank=True, help_text=_("Empty: same as service."))
    location = gis.PointField(_("service location"), srid=4326, null=True, blank=True)
    reseller = models.ForeignKey(
        Reseller, models.PROTECT, null=True, blank=True, related_name="accounts", verbose_name=_("reseller")
    )
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True, verbose_name=_("tags"))
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    # What an account shows, spelled once, in the API's order: to portal users (customers, resellers) and to staff.
    # The serializers, the list rows (selectors.account_rows) and the event payloads (selectors.account_payload)
    # follow these; services may set the editable fields (omni.services.writable_fields).
    PORTAL_FIELDS = (
        "id", "number", "name", "kind", "status", "email", "phone", "service_address", "billing_address", "location",
        "reseller", "tags", "created_at", "updated_at", "deleted_at",
    )  # fmt: skip
    STAFF_FIELDS = (*PORTAL_FIELDS, "notes")

    class Meta:
        verbose_name = _("account")
        # Default ordering: newest first, served by the created_at index.
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AccountKind.values), name="crm_account_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=AccountStatus.values), name="crm_account_status_valid"),
        ]
        indexes = [
            # Lists show live rows, filter by status and order by name, the pk breaking ties (the staff list,
            # the API, bench/api_list.py): the page is an index range, COUNT an index-only scan.
            models.Index(fields=["status", "name", "id"], name="crm_account_live_status_name", condition=live_q()),
            models.Index(fields=["name", "id"], name="crm_account_live_name", condition=live_q()),
            # COUNT(*) of a filtered list: a narrow index (status values deduplicate) scans 2-3x faster.
            models.Index(fields=["status"], name="crm_account_live_status", condition=live_q()),
            models.Index(fields=["kind"], name="crm_account_kind"),
            models.Index(fields=["updated_at"], name="crm_account_updated"),
            GinIndex(fields=["tags"], name="crm_account_tags"),
            # ?search= is UPPER(col) LIKE UPPER('%term%'): trigram indexes on exactly that expression.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="crm_account_name_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="crm_account_email_trgm"),
            GinIndex(OpClass(Upper("service_address"), name="gin_trgm_ops"), name="crm_account_address_trgm"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}" if isinstance(self.number, str) else self.name  # unsaved: no number


class Contact(SoftDeleteModel):
    """A person: reached on their preferred channel, linked to one or more accounts with a role."""

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, help_text=_("E.164, e.g. +2348031234567."))
    other_emails = ArrayField(models.EmailField(), default=list, blank=True, verbose_name=_("other emails"))
    other_phones = ArrayField(models.CharField(max_length=20), default=list, blank=True, verbose_name=_("other phones"))
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=ContactChannel, default=ContactChannel.EMAIL
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, help_text=_("Empty: the instance's."))
    notes = models.TextField(_("notes"), blank=True)
    merged_into = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="merged", editable=False
    )
    accounts = models.ManyToManyField(Account, through="AccountContact", related_name="contacts")
    history = HistoricalRecords(m2m_fields=[])

    # What a contact shows, as Account.PORTAL_FIELDS: `accounts` are its links to accounts the reader may see.
    PORTAL_FIELDS = (
        "id", "first_name", "last_name", "full_name", "email", "phone", "other_emails", "other_phones",
        "preferred_channel", "language", "time_zone", "accounts", "created_at", "updated_at", "deleted_at",
    )  # fmt: skip
    STAFF_FIELDS = (*PORTAL_FIELDS, "notes", "merged_into")

    class Meta:
        verbose_name = _("contact")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(preferred_channel__in=ContactChannel.values), name="crm_contact_channel_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="crm_contact_name"),
            # Duplicate check: case-insensitive email, exact E.164 phone.
            models.Index(Lower("email"), name="crm_contact_email_ci", condition=live_q() & ~Q(email="")),
            models.Index(fields=["phone"], name="crm_contact_phone", condition=live_q() & ~Q(phone="")),
            GinIndex(fields=["other_emails"], name="crm_contact_other_emails"),
            GinIndex(fields=["other_phones"], name="crm_contact_other_phones"),
            GinIndex(OpClass(Upper("first_name"), name="gin_trgm_ops"), name="crm_contact_first_trgm"),
            GinIndex(OpClass(Upper("last_name"), name="gin_trgm_ops"), name="crm_contact_last_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="crm_contact_email_trgm"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self):
        errors: dict[str, list[str]] = {}
        self.email = (self.email or "").strip().lower()
        if self.language not in LANGUAGE_CODES:
            errors["language"] = [_("Unknown language code %(code)s.") % {"code": self.language}]
        if self.time_zone and self.time_zone not in zoneinfo.available_timezones():
            errors["time_zone"] = [_("Unknown time zone %(tz)s.") % {"tz": self.time_zone}]
        cleaned_emails = []
        for value in self.other_emails or []:
            try:
                validate_email(value)
            except ValidationError:
                errors.setdefault("other_emails", []).append(_("%(v)s is not a valid email.") % {"v": value})
            cleaned_emails.append(value.strip().lower())
        self.other_emails = list(dict.fromkeys(e for e in cleaned_emails if e and e != self.email))
        cleaned_phones = []
        for value in self.other_phones or []:
            number = to_phone(value, region=settings.PHONENUMBER_DEFAULT_REGION)
            if not number or not number.is_valid():
                errors.setdefault("other_phones", []).append(_("%(v)s is not a valid phone number.") % {"v": value})
            else:
                cleaned_phones.append(number.as_e164)
        self.other_phones = list(dict.fromkeys(p for p in cleaned_phones if p != str(self.phone or "")))
        if self.preferred_channel == ContactChannel.EMAIL and not self.email:
            errors.setdefault("email", []).append(_("Email is the preferred channel, so an email is needed."))
        if (
            self.preferred_channel in (ContactChannel.SMS, ContactChannel.WHATSAPP, ContactChannel.PHONE)
            and not self.phone
        ):
            errors.setdefault("phone", []).append(
                _("%(channel)s is the preferred channel, so a phone number is needed.")
                % {"channel": ContactChannel(self.preferred_channel).label}
            )
        if errors:
            raise ValidationError(errors)


class AccountContact(TimeStampedModel):
    """A contact's role on an account (a person can be billing contact of one and owner of another)."""

    account = models.ForeignKey(Account, models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey(Contact, models.CASCADE, related_name="account_links")
    role = models.CharField(_("role"), max_length=16, choices=ContactRole, default=ContactRole.PRIMARY)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("account contact")
        ordering = ["account", "role"]
        constraints = [
            models.UniqueConstraint(fields=["account", "contact"], name="crm_accountcontact_unique"),
            models.CheckConstraint(condition=Q(role__in=ContactRole.values), name="crm_accountcontact_role_valid"),
        ]

    def __str__(self):
        return f"{self.contact_id} → {self.account_id} ({self.role})"


class CustomerUser(TimeStampedModel):
    """A customer portal user and the one account they see."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="customer_membership")
    account = models.ForeignKey(Account, models.CASCADE, related_name="portal_users")
    contact = models.ForeignKey(Contact, models.SET_NULL, null=True, blank=True, related_name="portal_users")

    class Meta:
        verbose_name = _("customer portal user")

    def __str__(self):
        return f"{self.user_id} @ {self.account_id}"


class ResellerUser(PartnerMembership):
    """A reseller portal user: sees the accounts of their reseller."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="reseller_membership")
    reseller = models.ForeignKey(Reseller, models.CASCADE, related_name="portal_users")

    class Meta:
        verbose_name = _("reseller portal user")
