"""Admin for users and API tokens; ServiceAdmin, the base of every admin whose writes go through services; and the
shared admin of restorable records (SoftDeleteAdminMixin) and of partner organisations (PartnerOrganisationAdmin)."""

from allauth.account.admin import EmailAddressAdmin
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import services, tokens
from .choices import Audience, time_zone_choices
from .exceptions import DomainError
from .models import ApiToken, User


def refusal_messages(exc: ValidationError | DomainError) -> list[str]:
    """A service's refusal as sentences, each naming its field."""
    if isinstance(exc, DomainError):
        return [exc.message]
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [
        message if name == NON_FIELD_ERRORS else f"{name}: {message}"
        for name, field_messages in exc.message_dict.items()
        for message in field_messages
    ]


class ServiceAdmin(admin.ModelAdmin):
    """An admin whose writes call the app's services (save_model, save_formset, delete_model, delete_queryset and
    the actions), so an admin edit runs the same checks and records the same history and events as the console
    and the API. A refusal from a service the form could not foresee rolls the whole save back (the admin's
    views run in one transaction) and comes back as an error message on the same page."""

    def _refusing(self, request, view, *args):
        try:
            return view(request, *args)
        except (ValidationError, DomainError) as exc:
            for message in refusal_messages(exc):
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._refusing(request, super().changeform_view, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._refusing(request, super().delete_view, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):  # actions, including "delete selected"
        return self._refusing(request, super().changelist_view, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):  # simple_history's revert
        return self._refusing(request, super().history_form_view, object_id, version_id, extra_context)

    def service_fields(self, form) -> dict:
        """The form's values for the fields a service may set (read-only ones are not in the form)."""
        writable = services.writable_fields(self.model)
        return {name: value for name, value in form.cleaned_data.items() if name in writable}

    @staticmethod
    def adopt(obj, saved) -> None:
        """Make the admin's unsaved instance the row a create service saved: inlines and the redirect use it."""
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all or nothing, like a bulk delete
            for obj in queryset:
                self.delete_model(request, obj)

    def each_record(self, request, queryset, call, done: str) -> None:
        """An action, row by row: `call(record)` (a service), an error message per refusal naming the row, and
        `done` (with %(n)d rows that changed and %(name)s the model's verbose name) at the end."""
        count = 0
        for record in queryset:
            try:
                call(record)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{record}: {exc.message}", messages.ERROR)
        self.message_user(request, done % {"n": count, "name": self.model._meta.verbose_name})

    @staticmethod
    def formset_saved(formset, *, new=(), changed=(), deleted=()) -> None:
        """Record what a service saved for an inline, as formset.save() would, for the admin's change message."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = list(new), list(changed), list(deleted)

    def save_formset(self, request, form, formset, change):
        invite = getattr(formset, "invite", None)
        if invite is None:
            return super().save_formset(request, form, formset, change)
        for row in formset.forms:
            if row.has_changed() and row.cleaned_data:
                invite(formset.instance, email=row.cleaned_data["email"], full_name=row.cleaned_data["full_name"])
        self.formset_saved(formset)


class RecordServiceAdmin(ServiceAdmin):
    """A ServiceAdmin whose model has a create and an update service: save_model calls them (record_create,
    record_update) with the form's writable fields, never obj.save()."""

    def record_create(self, *, by, **fields):
        """The app's create service for this admin's model; returns the saved row."""
        raise NotImplementedError

    def record_update(self, obj, *, by, **fields) -> None:
        """The app's update service for this admin's model."""
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        fields = self.service_fields(form)
        if change:
            self.record_update(obj, by=request.user, **fields)
            obj.refresh_from_db()
        else:
            self.adopt(obj, self.record_create(by=request.user, **fields))


class DeletedListFilter(admin.SimpleListFilter):
    """Live or deleted rows of a restorable model (omni.models.SoftDeleteModel)."""

    title, parameter_name = _("deleted"), "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("Live")), ("yes", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.live()
        if self.value() == "yes":
            return queryset.deleted()
        return queryset


class SoftDeleteAdminMixin:
    """The admin of a restorable model, before ServiceAdmin. Deleting (its page or "delete selected") is the app's
    soft delete, which removes nothing else: the confirmation lists just the records themselves and needs no
    permission on the rows a real delete would cascade to. The actions `soft_delete` and `restore` call the app's
    services row by row and report a refusal per row (a merged contact stays deleted). A subclass implements
    `soft_delete_record` and `restore_record`, each one call of its app's service."""

    def soft_delete_record(self, record, *, by) -> None:
        raise NotImplementedError

    def restore_record(self, record, *, by) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.soft_delete_record(obj, by=request.user)

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        return [str(obj) for obj in objs], {self.model._meta.verbose_name_plural: len(objs)}, set(), []

    # Django fills in %(verbose_name_plural)s in action descriptions.
    @admin.action(description=_("Delete selected %(verbose_name_plural)s (restorable)"), permissions=["delete"])
    def soft_delete(self, request, queryset):
        done = _("%(n)d %(name)s(s) deleted.")
        self.each_record(request, queryset, lambda record: self.soft_delete_record(record, by=request.user), done)

    @admin.action(description=_("Restore selected %(verbose_name_plural)s"), permissions=["delete"])
    def restore(self, request, queryset):
        done = _("%(n)d %(name)s(s) restored.")
        self.each_record(request, queryset, lambda record: self.restore_record(record, by=request.user), done)


class PortalUserInline(admin.TabularInline):
    """The portal users of an account, reseller or vendor, to look at: they are invited through the service
    (PortalUserInviteInline below, or the console) and switched off one by one in Users."""

    extra, can_delete = 0, False
    fields = readonly_fields = ["user", "user_active", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    @admin.display(description=_("active"), boolean=True)
    def user_active(self, membership):
        return membership.user.is_active


class ReadOnlyAdminMixin:
    """Rows to look at only: written by services (and their own pages or actions), never added, changed or
    deleted through the admin's forms."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who belongs to which account, reseller or vendor, to look at: memberships are made by the services that
    invite portal users; someone who should no longer get in is deactivated in Users."""


class PortalUserInviteForm(forms.ModelForm):
    email = forms.EmailField(label=_("email"))
    full_name = forms.CharField(label=_("full name"), max_length=150, required=False)

    class Meta:
        fields: list[str] = []

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("A user with email %(email)s already exists.") % {"email": email})
        return email


class PortalUserInviteInline(admin.TabularInline):
    """Rows to invite new portal users: each is created by `invite(parent, email=, full_name=)` (the app's
    service), which emails them a link to choose a password. Shows no existing rows (PortalUserInline does)."""

    form = PortalUserInviteForm
    fields = ["email", "full_name"]
    extra, can_delete = 1, False
    verbose_name, verbose_name_plural = _("portal user to invite"), _("invite portal users")

    def invite(self, parent, *, email: str, full_name: str):
        raise NotImplementedError

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.invite = staticmethod(self.invite)  # ServiceAdmin.save_formset calls it instead of saving rows
        return formset


class PartnerUserInviteInline(PortalUserInviteInline):
    """Invite rows of a reseller or vendor (omni.services.partner_user_create)."""

    def invite(self, parent, *, email, full_name):
        services.partner_user_create(type(parent), partner_id=parent.pk, email=email, full_name=full_name)


class PartnerAdminForm(forms.ModelForm):
    def clean_name(self):
        # On the name field, not the constraint's form-wide "Constraint … is violated.".
        name = self.cleaned_data["name"]
        taken = services.partner_name_taken(self._meta.model, name=name, pk=self.instance.pk)
        if taken:
            raise ValidationError(taken)
        return name


class PartnerOrganisationAdmin(RecordServiceAdmin, SimpleHistoryAdmin):
    """The admin of a partner organisation (omni.models.PartnerOrganisation: a reseller, a vendor). Every write goes
    through omni.services.partner_*: switching one off (its form or the action) cuts its portal users off, deleting
    one deactivates them, and new portal users are invited from its page. Its portal users are listed from the
    membership model that points at it (related_name="portal_users")."""

    form = PartnerAdminForm
    list_display = ["name", "email", "phone", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "email"]
    actions = ["switch_off", "switch_on"]

    def __init__(self, model, admin_site):
        membership = model._meta.get_field("portal_users").related_model
        self.inlines = [
            type(f"{membership.__name__}Inline", (PortalUserInline,), {"model": membership}),
            type(f"{membership.__name__}InviteInline", (PartnerUserInviteInline,), {"model": membership}),
        ]
        super().__init__(model, admin_site)

    def record_create(self, *, by, **fields):
        return services.partner_create(self.model, by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.partner_update(self.model, partner_id=obj.pk, by=by, **fields)

    def delete_model(self, request, obj):
        services.partner_delete(self.model, partner_id=obj.pk)

    def get_deleted_objects(self, objs, request):
        # The service removes the memberships itself (and deactivates their users): no permission on them needed.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        membership = self.model._meta.get_field("portal_users").related_model
        return deleted, counts, perms_needed - {str(membership._meta.verbose_name)}, protected

    def _set_active(self, request, queryset, active: bool):
        for partner in queryset:
            services.partner_active_set(self.model, partner_id=partner.pk, active=active, by=request.user)
        done = _("%(n)d %(name)s(s) updated.") % {"n": len(queryset), "name": self.model._meta.verbose_name}
        self.message_user(request, done, messages.SUCCESS)

    @admin.action(
        description=_("Switch off selected %(verbose_name_plural)s (their portal users with them)"),
        permissions=["change"],
    )
    def switch_off(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=_("Switch on selected %(verbose_name_plural)s"), permissions=["change"])
    def switch_on(self, request, queryset):
        self._set_active(request, queryset, True)


class PartnerMembershipAdmin(MembershipAdmin):
    """Who belongs to which reseller or vendor, to look at (memberships are made by partner_user_create)."""

    def __init__(self, model, admin_site):
        partner = model.partner_field().name
        self.list_display = ["user", partner, "created_at"]
        self.search_fields = ["user__email", f"{partner}__name"]
        self.list_select_related = ["user", partner]
        self.list_filter = [(partner, admin.RelatedOnlyFieldListFilter)]
        super().__init__(model, admin_site)


def _unique_email(form) -> str:
    email = (form.cleaned_data.get("email") or "").strip().lower()
    if User.objects.filter(email__iexact=email).exclude(pk=form.instance.pk).exists():
        raise ValidationError(_("A user with email %(email)s already exists.") % {"email": email})
    return email


class UserCreationForm(DjangoUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "audience"]

    def clean_email(self):
        return _unique_email(self)

    def clean_audience(self):
        audience = self.cleaned_data["audience"]
        if audience != Audience.STAFF:
            # A portal user belongs to an account, a reseller or a vendor: invited from there, through its service.
            raise ValidationError(_("Invite portal users from their account, reseller or vendor."))
        return audience


class UserChangeForm(DjangoUserChangeForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        required=False,
        help_text=User._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        return _unique_email(self)


@admin.register(User)
class UserAdmin(ServiceAdmin, DjangoUserAdmin):
    form, add_form = UserChangeForm, UserCreationForm
    list_display = [
        "email", "full_name", "audience", "phone", "time_zone", "is_staff", "is_active", "last_login", "date_joined"
    ]  # fmt: skip
    list_filter = ["audience", "is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    readonly_fields = ["last_login", "date_joined", "updated_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "language", "audience", "phone", "time_zone"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined", "updated_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "audience", "password1", "password2"]}),
    ]
    actions = ["deactivate", "activate"]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # The sign-in email changes once the new address is verified, and activation goes through its service
        # (sessions and tokens follow; a user who is off with their reseller or vendor comes back with it).
        stored = User.objects.get(pk=obj.pk)
        email, active = obj.email, obj.is_active
        obj.email, obj.is_active, obj.suspended_with_org = stored.email, stored.is_active, stored.suspended_with_org
        super().save_model(request, obj, form, change)
        if active != stored.is_active:
            services.users_active_set(user_ids=[obj.pk], active=active)
            if active and stored.suspended_with_org:
                held = _("%(user)s stays off with their organisation.") % {"user": obj.email}
                self.message_user(request, held, messages.WARNING)
        if email != stored.email:
            services.user_email_change_request(user_id=obj.pk, email=email, request=request)
            self.message_user(
                request,
                _("A link was sent to %(new)s; %(user)s signs in with it once it is followed.")
                % {"new": email, "user": stored.email},
                messages.WARNING,
            )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:  # active, staff, audience or groups may have changed: the API sees it on the next request
            tokens.api_tokens_forget(user_ids=[form.instance.pk])

    @admin.action(
        description=_("Deactivate selected users (sign-ins and API tokens stop working)"), permissions=["change"]
    )
    def deactivate(self, request, queryset):
        changed = services.users_active_set(user_ids=list(queryset.values_list("pk", flat=True)), active=False)
        self.message_user(request, _("%(n)d user(s) deactivated.") % {"n": changed}, messages.SUCCESS)

    @admin.action(description=_("Activate selected users"), permissions=["change"])
    def activate(self, request, queryset):
        changed = services.users_active_set(user_ids=list(queryset.values_list("pk", flat=True)), active=True)
        self.message_user(request, _("%(n)d user(s) activated.") % {"n": changed}, messages.SUCCESS)
        held = queryset.filter(suspended_with_org=True).count()
        if held:
            self.message_user(
                request, _("%(n)d user(s) stay off with their organisation.") % {"n": held}, messages.WARNING
            )


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "scopes", "expires_at", "last_used_at", "revoked_at", "created_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "expires_at", "last_used_at"]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "last_used_at", "revoked_at", "created_at", "updated_at"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # A token's owner and scopes are fixed once issued: issue a new one instead.
        return [*self.readonly_fields, "user", "scopes"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, raw = tokens.api_token_create(user=obj.user, name=obj.name, scopes=obj.scopes, expires_at=obj.expires_at)
        form.instance = token
        obj.pk = token.pk
        self.message_user(
            request,
            _("Token created. Copy it now, it will not be shown again: %(raw)s") % {"raw": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            tokens.api_token_revoke(token_id=token.pk)
        self.message_user(request, _("%(n)d token(s) revoked.") % {"n": queryset.count()})


class EmailAddressReadOnlyAdmin(EmailAddressAdmin):
    """allauth's address book, to look at. Marking an address verified here would let its user make it their
    sign-in email without ever following the link; it is verified by the link only (registered in omni.urls,
    in place of allauth's own admin)."""

    actions = []

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
