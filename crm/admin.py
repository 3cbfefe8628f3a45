from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from omni.exceptions import DomainError

from . import services
from .choices import AccountStatus
from .models import Account, AccountContact, Contact, CustomerUser, Reseller, ResellerUser


class AccountContactInline(admin.TabularInline):
    model = AccountContact
    extra = 0
    autocomplete_fields = ["contact", "account"]
    fields = ["contact", "account", "role"]


class CustomerUserInline(admin.TabularInline):
    model = CustomerUser
    extra = 0
    autocomplete_fields = ["user", "contact"]


class DeletedListFilter(admin.SimpleListFilter):
    title, parameter_name = _("deleted"), "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("Live")), ("yes", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(deleted_at__isnull=self.value() == "no")
        return queryset


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin, GISModelAdmin):
    list_display = ["number", "name", "kind", "status", "email", "phone", "reseller", "created_at", "deleted_at"]
    list_filter = ["status", "kind", ("reseller", admin.RelatedOnlyFieldListFilter), DeletedListFilter, "created_at"]
    search_fields = ["number", "name", "email", "phone", "service_address"]
    list_select_related = ["reseller"]
    autocomplete_fields = ["reseller"]
    readonly_fields = ["number", "status", "created_at", "updated_at", "deleted_at"]
    inlines = [AccountContactInline, CustomerUserInline]
    actions = ["suspend", "activate", "soft_delete", "restore"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["number", "name", "kind", "status", "reseller", "tags"]}),
        (_("Reach"), {"fields": ["email", "phone"]}),
        (_("Addresses"), {"fields": ["service_address", "billing_address", "location"]}),
        (_("Other"), {"fields": ["notes", "created_at", "updated_at", "deleted_at"]}),
    ]

    def _each(self, request, queryset, call, done):
        count = 0
        for account in queryset:
            try:
                call(account_id=account.pk, by=request.user)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{account}: {exc.message}", messages.ERROR)
        self.message_user(request, done % {"n": count})

    @admin.action(description=_("Suspend selected accounts"), permissions=["change"])
    def suspend(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda **kw: services.account_transition(to=AccountStatus.SUSPENDED, **kw),
            _("%(n)d account(s) suspended."),
        )

    @admin.action(description=_("Activate selected accounts"), permissions=["change"])
    def activate(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda **kw: services.account_transition(to=AccountStatus.ACTIVE, **kw),
            _("%(n)d account(s) activated."),
        )

    @admin.action(description=_("Delete selected accounts (restorable)"), permissions=["delete"])
    def soft_delete(self, request, queryset):
        self._each(request, queryset, services.account_delete, _("%(n)d account(s) deleted."))

    @admin.action(description=_("Restore selected accounts"), permissions=["delete"])
    def restore(self, request, queryset):
        self._each(request, queryset, services.account_restore, _("%(n)d account(s) restored."))


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "email", "phone", "preferred_channel", "language", "created_at", "deleted_at"]
    list_filter = ["preferred_channel", "language", DeletedListFilter, "created_at"]
    search_fields = ["first_name", "last_name", "email", "phone", "other_emails"]
    readonly_fields = ["merged_into", "created_at", "updated_at", "deleted_at"]
    inlines = [AccountContactInline]
    actions = ["soft_delete", "restore"]

    @admin.action(description=_("Delete selected contacts (restorable)"), permissions=["delete"])
    def soft_delete(self, request, queryset):
        for contact in queryset:
            services.contact_delete(contact_id=contact.pk, by=request.user)

    @admin.action(description=_("Restore selected contacts"), permissions=["delete"])
    def restore(self, request, queryset):
        for contact in queryset:
            try:
                services.contact_restore(contact_id=contact.pk, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{contact}: {exc.message}", messages.ERROR)


@admin.register(AccountContact)
class AccountContactAdmin(SimpleHistoryAdmin):
    list_display = ["contact", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__email", "account__number", "account__name"]
    list_select_related = ["contact", "account"]
    autocomplete_fields = ["contact", "account"]


class ResellerUserInline(admin.TabularInline):
    model = ResellerUser
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Reseller)
class ResellerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "email", "phone", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "email"]
    inlines = [ResellerUserInline]


@admin.register(CustomerUser)
class CustomerUserAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "contact", "created_at"]
    search_fields = ["user__email", "account__number", "account__name"]
    list_select_related = ["user", "account", "contact"]
    autocomplete_fields = ["user", "account", "contact"]
    list_filter = ["created_at"]


@admin.register(ResellerUser)
class ResellerUserAdmin(admin.ModelAdmin):
    list_display = ["user", "reseller", "created_at"]
    search_fields = ["user__email", "reseller__name"]
    list_select_related = ["user", "reseller"]
    autocomplete_fields = ["user", "reseller"]
    list_filter = [("reseller", admin.RelatedOnlyFieldListFilter)]
