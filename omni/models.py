"""Core models: the custom user, abstract bases every app inherits (timestamps, soft delete, partner
organisations), and API tokens."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from .choices import Audience, TokenScope, time_zone_names


class TimeStampedModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def live_q(relation: str = "") -> Q:
    """ "Not soft-deleted", for the row itself or, through `relation` ("contact"), for the row it points at: the
    condition of partial indexes and of filters across a relation. Querysets say `.live()` instead."""
    return Q(**{f"{relation}__deleted_at__isnull" if relation else "deleted_at__isnull": True})


class SoftDeleteQuerySet(models.QuerySet):
    """The one way to leave out (or show only) soft-deleted rows: `Account.objects.live()`, `.deleted()`."""

    def live(self):
        return self.filter(live_q())

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class SoftDeleteModel(TimeStampedModel):
    """Restorable records: deleting sets `deleted_at` (omni.services.soft_delete); selectors leave such rows out
    with `.live()`."""

    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, db_index=True, editable=False)

    objects = SoftDeleteQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class PartnerOrganisation(TimeStampedModel):
    """A partner company whose portal users see only what is its own: a reseller (crm), a vendor (workforce).
    A subclass names the `portal_audience` of its users and has a PartnerMembership pointing at it with
    related_name="portal_users"; omni.services.partner_* write both, omni.admin.PartnerOrganisationAdmin shows them.
    Switched off (`is_active`), its portal users are off with it."""

    portal_audience: str = ""  # an omni.choices.Audience

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords(inherit=True)  # each subclass gets its own history table (HistoricalReseller, ...)

    class Meta:
        abstract = True
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="%(app_label)s_%(class)s_name_unique_ci")]

    def __str__(self):
        return self.name


class PartnerMembership(TimeStampedModel):
    """A portal user of a partner organisation. A subclass adds `user` (a one-to-one to the user) and a foreign key
    to its PartnerOrganisation with related_name="portal_users"."""

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.user_id} @ {getattr(self, self.partner_field().attname)}"

    @classmethod
    def partner_field(cls) -> models.ForeignKey:
        """The foreign key to the organisation: the one with related_name="portal_users"."""
        fields = cls._meta.concrete_fields
        return next(f for f in fields if f.is_relation and f.related_query_name() == "portal_users")


def validate_time_zone(value: str) -> None:
    """An IANA time zone name (Africa/Lagos), as zoneinfo knows it."""
    if value and value not in time_zone_names():
        raise ValidationError(_("Unknown time zone %(tz)s."), code="invalid", params={"tz": value})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        if extra.get("audience", Audience.STAFF) == Audience.STAFF:
            extra.setdefault("is_staff", True)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, audience=Audience.STAFF)
        return self._create_user(email, password, **extra)

    def working_staff(self):
        """Active staff users with staff access: whoever may own, be assigned or be mentioned on work (lead
        owners, ticket and conversation assignees, inbox team members)."""
        return self.filter(audience=Audience.STAFF, is_staff=True, is_active=True)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: staff, or a customer, reseller or vendor portal user (email login)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email address"), max_length=254)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience, default=Audience.STAFF)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can sign in to the staff console and admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    suspended_with_org = models.BooleanField(
        _("off with their organisation"),
        default=False,
        editable=False,
        help_text=_("Inactive because their reseller or vendor is switched off; back on with it."),
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    phone = PhoneNumberField(
        _("phone"), blank=True, help_text=_("E.164, e.g. +2348031234567: SMS notifications and escalations.")
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("An IANA name, e.g. Africa/Lagos; quiet hours follow it. Empty: the instance's."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="omni_user_email_unique_ci"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="omni_user_audience_valid"),
            # The admin and staff console trust is_staff; a portal user can never carry it.
            models.CheckConstraint(
                condition=Q(is_staff=False) | Q(audience=Audience.STAFF), name="omni_user_staff_is_staff_audience"
            ),
            models.CheckConstraint(
                condition=Q(suspended_with_org=False) | Q(is_active=False), name="omni_user_suspended_is_inactive"
            ),
        ]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name or self.email).split(" ")[0]

    def clean(self):
        super().clean()
        self.email = (self.email or "").strip().lower()


class ApiToken(TimeStampedModel):
    """A bearer token for external systems. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=16, editable=False, help_text=_("First characters, to recognise it.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(models.CharField(max_length=8, choices=TokenScope), default=list)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, help_text=_("Empty: never."))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scopes__contained_by=TokenScope.values) & ~Q(scopes=[]), name="omni_apitoken_scopes_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
