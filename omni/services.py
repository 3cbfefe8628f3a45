"""Writes every app shares: setting a row's fields, portal users and their invitations, soft delete and restore,
partner organisations (resellers, vendors) and their portal users."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import Audience
from .db import violated_constraint
from .exceptions import Conflict
from .models import PartnerOrganisation, SoftDeleteModel, User
from .tasks import invitation_send_task
from .tokens import api_tokens_forget

PORTAL_AUDIENCES = (Audience.CUSTOMER, Audience.RESELLER, Audience.VENDOR)


def writable_fields(model) -> set[str]:
    """What services may set on a model: its editable concrete fields (a foreign key by name and by `<name>_id`).
    The model spells its fields once; services, the admin and forms take the list from here."""
    return {name for field in model._meta.concrete_fields if field.editable for name in (field.name, field.attname)}


def fields_set(record, fields: dict) -> list[str]:
    """Set `fields` on a new or locked row and return the names whose value changed. ValidationError names each
    field a service cannot set (not in writable_fields)."""
    unknown = set(fields) - writable_fields(type(record))
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    changed = [name for name, value in fields.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, fields[name])
    return changed


def portal_user_create(*, email: str, password: str | None, full_name: str, audience: str) -> User:
    """A portal user (not staff). Without a password they get an invitation email to set one, after commit.
    Conflict (409) when the email is taken, also when a concurrent request takes it first."""
    if audience not in PORTAL_AUDIENCES:
        raise ValidationError({"audience": [_("Portal users are customers, resellers or vendors.")]})
    email = (email or "").strip().lower()
    message = _("A user with email %(email)s already exists.") % {"email": email}
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(message, fields={"email": [message]})
    user = User(email=email, full_name=full_name, audience=audience, is_staff=False)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()  # set through the invitation link
    # Constraints are left to the database: checking them here is one more query, and a concurrent insert that
    # lands between that check and ours must still come out as Conflict, not as a ValidationError.
    user.full_clean(exclude=["password"], validate_constraints=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        if violated_constraint(exc) != "omni_user_email_unique_ci":
            raise
        raise Conflict(message, fields={"email": [message]}) from None
    if not password:
        _invitation_queue(user)
    return user


def _invitation_queue(user: User) -> None:
    invitation_send_task.delay_on_commit(str(user.pk))


def invitation_resend(*, user_id) -> User:
    """Send a portal user's invitation again (a new link; earlier ones keep working until they expire).
    Conflict (409) once they have chosen a password (they reset it from the sign-in page) or are deactivated."""
    user = User.objects.get(pk=user_id, is_staff=False)
    if not user.is_active:
        raise Conflict(_("%(email)s is deactivated.") % {"email": user.email})
    if user.has_usable_password():
        raise Conflict(
            _("%(email)s has already chosen a password; they can reset it from the sign-in page.")
            % {"email": user.email}
        )
    _invitation_queue(user)
    return user


@transaction.atomic
def users_active_set(*, user_ids, active: bool) -> int:
    """Deactivate (or activate again) users, one by one's decision, in one UPDATE. A deactivated user's sessions
    stop working at their next request (Django's backend refuses inactive users) and so do their API tokens (the
    cached lookups are dropped). A user who is off with their reseller or vendor is not brought back here (they
    come back with it); deactivating them here keeps them off when it comes back. Returns how many changed."""
    user_ids = list(user_ids)
    users = User.objects.filter(pk__in=user_ids)
    if active:
        changed = users.filter(is_active=False, suspended_with_org=False).update(
            is_active=True, updated_at=timezone.now()
        )
    else:
        changed = users.filter(Q(is_active=True) | Q(suspended_with_org=True)).update(
            is_active=False, suspended_with_org=False, updated_at=timezone.now()
        )
    api_tokens_forget(user_ids=user_ids)
    return changed


@transaction.atomic
def users_org_active_set(*, user_ids, active: bool) -> int:
    """The portal users of a reseller or vendor that was switched off (active=False) or on again. Off: its active
    users become inactive, marked `suspended_with_org`; their sessions, API tokens and sign-ins stop at once, as in
    users_active_set. On: exactly those come back; a user deactivated on their own stays off. Idempotent; returns
    how many changed."""
    user_ids = list(user_ids)
    users = User.objects.filter(pk__in=user_ids)
    if active:
        changed = users.filter(suspended_with_org=True).update(
            is_active=True, suspended_with_org=False, updated_at=timezone.now()
        )
    else:
        changed = users.filter(is_active=True).update(
            is_active=False, suspended_with_org=True, updated_at=timezone.now()
        )
    api_tokens_forget(user_ids=user_ids)
    return changed


# ---- sign-in email ---------------------------------------------------------------------------------------------


@transaction.atomic
def user_email_sync(*, user: User) -> None:
    """allauth's address book of this user holds their sign-in email as the verified, primary address: staff
    entered it and invited users proved it by following their link. With it verified, allauth never lets an
    unverified address take its place (no unverified primary while a verified one exists, no deleting the
    primary), so an address added later becomes the sign-in email only once verified. Writes only when needed."""
    from allauth.account.models import EmailAddress

    addresses = list(EmailAddress.objects.select_for_update().filter(user=user))
    current = next((a for a in addresses if a.email.lower() == user.email.lower()), None)
    if current is not None and current.primary and current.verified:
        return
    EmailAddress.objects.filter(user=user, primary=True).update(primary=False)
    if current is None:
        EmailAddress.objects.create(user=user, email=user.email.lower(), primary=True, verified=True)
    else:
        EmailAddress.objects.filter(pk=current.pk).update(primary=True, verified=True)


def user_email_change_request(*, user_id, email: str, request):
    """Ask for a user's sign-in email to become `email`: a verification link goes to the new address (on the
    user's own portal) and the change takes effect only when it is followed (allauth, ACCOUNT_CHANGE_EMAIL);
    until then they sign in with the old one. A new request replaces a pending one. ValidationError (email) for
    a bad address or their current one; Conflict (409) when another user has it."""
    from allauth.account.models import EmailAddress

    user = User.objects.get(pk=user_id)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid email address.")]}) from None
    if email == user.email.lower():
        raise ValidationError({"email": [_("This is already their email.")]})
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        message = _("A user with email %(email)s already exists.") % {"email": email}
        raise Conflict(message, fields={"email": [message]})
    user_email_sync(user=user)
    return EmailAddress.objects.add_new_email(request, user, email)


# ---- profile ---------------------------------------------------------------------------------------------------

PROFILE_FIELDS = ("phone", "time_zone")


@transaction.atomic
def user_profile_update(*, user_id, **fields) -> User:
    """A user's own profile: `phone` (E.164, or national in PHONENUMBER_DEFAULT_REGION; "" for none) and
    `time_zone` (an IANA name; "" for the instance's TIME_ZONE). SMS notifications reach the phone and quiet hours
    follow the time zone. ValidationError names each bad field, or one that is not part of the profile."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field is not part of the profile.")] for name in sorted(unknown)})
    user = User.objects.select_for_update().get(pk=user_id)
    fields = {name: ("" if value is None else value) for name, value in fields.items()}
    if "time_zone" in fields:
        fields["time_zone"] = str(fields["time_zone"]).strip()
    stored = {name: getattr(user, name) for name in fields}
    fields_set(user, fields)
    # Only the given fields are checked: the rest are as stored, and the email constraint needs no query here.
    user.clean_fields(exclude=[f.name for f in User._meta.concrete_fields if f.name not in fields])
    changed = [name for name in fields if getattr(user, name) != stored[name]]
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    return user


# ---- soft delete -----------------------------------------------------------------------------------------------


def _deleted_at_set(record: SoftDeleteModel, value, by: User | None) -> None:
    record.deleted_at = value
    record._history_user = by  # django-simple-history: who made the change, on the history row
    record.save(update_fields=["deleted_at", "updated_at"])


@transaction.atomic
def soft_delete(model: type[SoftDeleteModel], *, pk, by: User | None = None, on_change=None) -> SoftDeleteModel:
    """Soft-delete one row: it leaves every list and portal but can be restored. Locks the row. Idempotent:
    `on_change(record)` runs, in this transaction, only when it changed (the app records its event there)."""
    record = model.objects.select_for_update().get(pk=pk)
    if record.deleted_at is None:
        _deleted_at_set(record, timezone.now(), by)
        if on_change is not None:
            on_change(record)
    return record


@transaction.atomic
def soft_restore(
    model: type[SoftDeleteModel], *, pk, by: User | None = None, refuse=None, on_change=None
) -> SoftDeleteModel:
    """Bring a soft-deleted row back. Locks the row; `refuse(record)`, when given, raises a DomainError for a row
    that must stay deleted (checked under the lock). Idempotent, with `on_change` as in soft_delete."""
    record = model.objects.select_for_update().get(pk=pk)
    if record.deleted_at is not None:
        if refuse is not None:
            refuse(record)
        _deleted_at_set(record, None, by)
        if on_change is not None:
            on_change(record)
    return record


# ---- partner organisations: resellers (crm), vendors (workforce) -----------------------------------------------


def _partner_user_ids(partner: PartnerOrganisation) -> list:
    return list(partner.portal_users.values_list("user_id", flat=True))


def partner_name_taken(model: type[PartnerOrganisation], *, name: str, pk=None) -> str:
    """The error for a name another reseller (vendor) has, whatever the case, or "" when it is free (forms check
    it on their name field; the services again, under the database's constraint)."""
    if not model.objects.filter(name__iexact=name).exclude(pk=pk).exists():
        return ""
    return _("A %(partner)s named %(name)s already exists.") % {"partner": model._meta.verbose_name, "name": name}


def _partner_save(partner: PartnerOrganisation, by: User | None) -> None:
    """Validate and save a new or locked partner. Its name is unique whatever the case: a ValidationError naming
    `name` (a 400, not the constraint's non-field error), also when a concurrent write takes the name first."""
    partner.full_clean(validate_constraints=False)
    opts = type(partner)._meta
    message = _("A %(partner)s named %(name)s already exists.") % {"partner": opts.verbose_name, "name": partner.name}
    if partner_name_taken(type(partner), name=partner.name, pk=partner.pk):
        raise ValidationError({"name": [message]})
    partner._history_user = by
    try:
        with transaction.atomic():
            partner.save()
    except IntegrityError as exc:
        if violated_constraint(exc) != f"{opts.app_label}_{opts.model_name}_name_unique_ci":
            raise
        raise ValidationError({"name": [message]}) from None


@transaction.atomic
def partner_create(model: type[PartnerOrganisation], *, by: User | None = None, **fields) -> PartnerOrganisation:
    """Create a reseller or vendor (with its first history row). ValidationError keyed by field."""
    partner = model()
    fields_set(partner, fields)
    _partner_save(partner, by)
    return partner


@transaction.atomic
def partner_update(model: type[PartnerOrganisation], *, partner_id, by: User | None = None, **fields):
    """Change a reseller or vendor. Switching it off (`is_active`) cuts its portal users off at once: sessions, API
    tokens and sign-in stop working at their next request; switching it on brings back exactly those users (not
    one deactivated on their own). Locks the row, so a portal user created meanwhile is cut off too."""
    partner = model.objects.select_for_update().get(pk=partner_id)
    changed = fields_set(partner, fields)
    if not changed:
        return partner
    _partner_save(partner, by)
    if "is_active" in changed:
        users_org_active_set(user_ids=_partner_user_ids(partner), active=partner.is_active)
    return partner


def partner_active_set(model: type[PartnerOrganisation], *, partner_id, active: bool, by: User | None = None):
    """Switch a reseller or vendor off (its portal users with it) or on again (partner_update). Idempotent."""
    return partner_update(model, partner_id=partner_id, by=by, is_active=active)


@transaction.atomic
def partner_delete(model: type[PartnerOrganisation], *, partner_id) -> None:
    """Delete a reseller or vendor. Conflict (409) while rows that protect it point at it (a reseller's accounts).
    Its portal users lose their membership and are deactivated: left active, they would still sign in to a portal
    that shows them nothing."""
    partner = model.objects.select_for_update().get(pk=partner_id)
    user_ids = _partner_user_ids(partner)
    try:
        partner.delete()  # collects first: refused before any row is deleted
    except ProtectedError as exc:
        rows = next(iter(exc.protected_objects))._meta.verbose_name_plural
        msg = _("%(name)s still has %(rows)s; move them to another %(partner)s first.") % {
            "name": partner.name,
            "rows": rows,
            "partner": model._meta.verbose_name,
        }
        raise Conflict(msg) from None
    users_active_set(user_ids=user_ids, active=False)


@transaction.atomic
def partner_user_create(
    model: type[PartnerOrganisation], *, partner_id, email: str, password: str | None = None, full_name: str = ""
) -> User:
    """A portal user of a reseller or vendor (its `portal_audience`). Conflict (409) when the email is taken. For an
    organisation that is switched off the user starts off with it. Locks the organisation (see partner_update)."""
    partner = model.objects.select_for_update().get(pk=partner_id)
    user = portal_user_create(email=email, password=password, full_name=full_name, audience=model.portal_audience)
    partner.portal_users.create(user=user)
    if not partner.is_active:
        users_org_active_set(user_ids=[user.pk], active=False)
        user.refresh_from_db(fields=["is_active", "suspended_with_org"])
    return user


def tags_clean(tags: Iterable[str] | None) -> list[str]:
    """Free tags as every app stores them: spaces collapsed, lower case, no blanks, no repeats, 50 characters at
    most (a 400 naming `tags`)."""
    cleaned: list[str] = []
    for tag in tags or []:
        tag = " ".join(str(tag).split()).lower()
        if len(tag) > 50:
            raise ValidationError({"tags": [_("A tag has at most 50 characters.")]})
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned
