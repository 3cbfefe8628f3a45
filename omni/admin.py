from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.utils.translation import gettext_lazy as _

from . import services, tokens
from .models import ApiToken, User


class UserCreationForm(DjangoUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "audience"]


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form, add_form = UserChangeForm, UserCreationForm
    list_display = ["email", "full_name", "audience", "is_staff", "is_active", "last_login", "date_joined"]
    list_filter = ["audience", "is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    readonly_fields = ["last_login", "date_joined", "updated_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "language", "audience"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined", "updated_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "audience", "password1", "password2"]}),
    ]
    actions = ["deactivate", "activate"]

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
