"""Sales: leads moving through pipeline stages, and quotes (with their lines) sent to an account or a lead."""

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models as gis
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from omni.db import NextNumber
from omni.models import TimeStampedModel

from ..choices import LeadSource, QuoteStatus
from .accounts import Account, Contact, Reseller


def default_currency() -> str:
    """The instance's currency (SALES_DEFAULT_CURRENCY), read when a row is made, so changing it needs no migration."""
    return settings.SALES_DEFAULT_CURRENCY


PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class LeadStage(TimeStampedModel):
    """A column of the pipeline board. Stages are ordered; a won stage or a lost stage ends a lead's journey."""

    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0, help_text=_("Board order, left to right."))
    probability = models.PositiveSmallIntegerField(
        _("probability %"), default=10, validators=[MaxValueValidator(100)], help_text=_("Chance of winning, 0-100.")
    )
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive stages leave the board."))

    class Meta:
        verbose_name = _("lead stage")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="crm_leadstage_name_unique_ci"),
            models.CheckConstraint(condition=~(Q(is_won=True) & Q(is_lost=True)), name="crm_leadstage_won_xor_lost"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="crm_leadstage_probability_range"),
        ]

    def __str__(self):
        return self.name


class Lead(TimeStampedModel):
    """Someone who may become a customer: captured at the door, on the website or by a reseller, followed up by an
    owner, moved across the pipeline, and converted into an account with its contact."""

    number = models.CharField(
        _("number"), max_length=20, unique=True, editable=False, db_default=NextNumber("LD-", "crm_lead_number_seq")
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, help_text=_("E.164, e.g. +2348031234567."))
    company = models.CharField(_("company"), max_length=200, blank=True)
    service_address = models.TextField(_("service address"), blank=True)
    location = gis.PointField(_("service location"), srid=4326, null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=LeadSource, default=LeadSource.OTHER)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_leads",
        verbose_name=_("owner"),
        help_text=_("The staff member who follows the lead up."),
    )
    reseller = models.ForeignKey(
        Reseller, models.PROTECT, null=True, blank=True, related_name="leads", verbose_name=_("reseller")
    )
    stage = models.ForeignKey(LeadStage, models.PROTECT, related_name="leads", verbose_name=_("stage"))
    stage_changed_at = models.DateTimeField(_("stage changed"), null=True, blank=True, editable=False)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    expected_monthly_value = models.DecimalField(
        _("expected monthly value"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    lost_reason = models.TextField(_("lost reason"), blank=True)
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    follow_up_reminded_on = models.DateField(
        _("reminded on"), null=True, blank=True, editable=False, help_text=_("The follow-up date last reminded.")
    )
    notes = models.TextField(_("notes"), blank=True)
    # Conversion: the account (new or existing) and contact the lead became; set once, in one transaction.
    account = models.ForeignKey(
        Account, models.PROTECT, null=True, blank=True, related_name="leads", editable=False, verbose_name=_("account")
    )
    contact = models.ForeignKey(
        Contact, models.SET_NULL, null=True, blank=True, related_name="leads", editable=False, verbose_name=_("contact")
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lead")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=LeadSource.values), name="crm_lead_source_valid"),
            models.CheckConstraint(condition=Q(expected_monthly_value__gte=0), name="crm_lead_value_not_negative"),
            # Converted means both the account and the moment are known.
            models.CheckConstraint(
                condition=Q(converted_at__isnull=True) | Q(account__isnull=False), name="crm_lead_converted_has_account"
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "created_at"], name="crm_lead_stage_created"),
            models.Index(fields=["owner", "next_follow_up"], name="crm_lead_owner_follow_up"),
            models.Index(
                fields=["next_follow_up"], name="crm_lead_follow_up_due", condition=Q(converted_at__isnull=True)
            ),
            # Duplicate check (contacts and other leads): case-insensitive email, exact E.164 phone.
            models.Index(Lower("email"), name="crm_lead_email_ci", condition=~Q(email="")),
            models.Index(fields=["phone"], name="crm_lead_phone", condition=~Q(phone="")),
            GinIndex(OpClass(Upper("first_name"), name="gin_trgm_ops"), name="crm_lead_first_trgm"),
            GinIndex(OpClass(Upper("last_name"), name="gin_trgm_ops"), name="crm_lead_last_trgm"),
            GinIndex(OpClass(Upper("company"), name="gin_trgm_ops"), name="crm_lead_company_trgm"),
        ]

    def __str__(self):
        label = self.company or self.full_name
        return f"{self.number} {label}" if isinstance(self.number, str) else label

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_converted(self) -> bool:
        return self.converted_at is not None


class Quote(TimeStampedModel):
    """An offer to an account or a lead: one-off and monthly lines in one currency, valid until a date. A revision
    keeps the number and takes the next version; the sent version stays as it was sent."""

    number = models.CharField(
        _("number"), max_length=20, editable=False, db_default=NextNumber("Q-", "crm_quote_number_seq")
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    revision_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="revisions", editable=False
    )
    account = models.ForeignKey(
        Account, models.PROTECT, null=True, blank=True, related_name="quotes", verbose_name=_("account")
    )
    lead = models.ForeignKey(Lead, models.PROTECT, null=True, blank=True, related_name="quotes", verbose_name=_("lead"))
    contact = models.ForeignKey(
        Contact,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("contact"),
        help_text=_("Who receives it; empty: the lead's email or the account's primary contact."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=16, choices=QuoteStatus, default=QuoteStatus.DRAFT)
    notes = models.TextField(_("notes"), blank=True, help_text=_("Printed on the quote (terms, conditions)."))
    # Totals in the currency's minor unit, computed by crm.services.quotes whenever a line changes.
    subtotal_one_off = models.DecimalField(_("one-off subtotal"), max_digits=16, decimal_places=4, default=0)
    tax_one_off = models.DecimalField(_("one-off tax"), max_digits=16, decimal_places=4, default=0)
    total_one_off = models.DecimalField(_("one-off total"), max_digits=16, decimal_places=4, default=0)
    subtotal_monthly = models.DecimalField(_("monthly subtotal"), max_digits=16, decimal_places=4, default=0)
    tax_monthly = models.DecimalField(_("monthly tax"), max_digits=16, decimal_places=4, default=0)
    total_monthly = models.DecimalField(_("monthly total"), max_digits=16, decimal_places=4, default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("accepted or rejected"), null=True, blank=True, editable=False)
    decided_name = models.CharField(_("accepted or rejected by (name)"), max_length=200, blank=True, editable=False)
    decided_ip = models.GenericIPAddressField(_("from IP"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quote")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="crm_quote_number_version_unique"),
            models.CheckConstraint(condition=Q(status__in=QuoteStatus.values), name="crm_quote_status_valid"),
            models.CheckConstraint(
                condition=Q(account__isnull=False) | Q(lead__isnull=False), name="crm_quote_has_account_or_lead"
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="crm_quote_currency_iso"),
        ]
        indexes = [
            models.Index(fields=["status", "valid_until"], name="crm_quote_status_valid_until"),
            models.Index(fields=["account", "created_at"], name="crm_quote_account_created"),
            models.Index(fields=["lead", "created_at"], name="crm_quote_lead_created"),
            models.Index(fields=["updated_at"], name="crm_quote_updated"),
        ]

    def __str__(self):
        number = self.number if isinstance(self.number, str) else "Q-?"
        return f"{number} v{self.version}" if self.version > 1 else number


class QuoteLine(TimeStampedModel):
    """One line of a quote: net = quantity x unit price less the discount, rounded to the currency's minor unit;
    tax on the rounded net. Recurring lines are monthly, the others one-off."""

    quote = models.ForeignKey(Quote, models.CASCADE, related_name="lines", verbose_name=_("quote"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal(1))
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=4)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )
    tax_rate = models.DecimalField(
        _("tax rate %"), max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )
    recurring = models.BooleanField(_("monthly"), default=False, help_text=_("Monthly; otherwise one-off."))
    net_amount = models.DecimalField(_("net"), max_digits=16, decimal_places=4, default=0, editable=False)
    tax_amount = models.DecimalField(_("tax"), max_digits=16, decimal_places=4, default=0, editable=False)

    class Meta:
        verbose_name = _("quote line")
        ordering = ["quote", "position", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="crm_quoteline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="crm_quoteline_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="crm_quoteline_discount_range"
            ),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="crm_quoteline_tax_range"),
        ]

    def __str__(self):
        return self.description
