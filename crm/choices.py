from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    BUSINESS = "business", _("Business")


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


# Allowed status changes; anything else is InvalidTransition (409).
ACCOUNT_TRANSITIONS: dict[str, set[str]] = {
    AccountStatus.PROSPECT: {AccountStatus.ACTIVE, AccountStatus.CLOSED},
    AccountStatus.ACTIVE: {AccountStatus.SUSPENDED, AccountStatus.CLOSED},
    AccountStatus.SUSPENDED: {AccountStatus.ACTIVE, AccountStatus.CLOSED},
    AccountStatus.CLOSED: {AccountStatus.ACTIVE},
}


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("Phone call")


class ContactRole(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    BILLING = "billing", _("Billing")
    TECHNICAL = "technical", _("Technical")
    AUTHORIZED = "authorized", _("Authorized")
    OTHER = "other", _("Other")
