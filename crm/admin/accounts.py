"""Admin for accounts, contacts, their links, resellers and portal users. Every write goes through crm.services
(omni.admin.ServiceAdmin), so an admin edit records the same history and events, and meets the same checks, as
the console and the API."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from omni.admin import (
    DeletedListFilter,
    MembershipAdmin,
    PartnerMembershipAdmin,
    PartnerOrganisationAdmin,
    PortalUserInline,
    PortalUserInviteInline,
    RecordServiceAdmin,
    ServiceAdmin,
    SoftDeleteAdminMixin,
)

from .. import services
from ..choices import AccountStatus
from ..models import Account, AccountContact, Contact, CustomerUser, Reseller, ResellerUser


class AccountContactInline(admin.TabularInline):
    model = AccountContact
    extra = 0
    autocomplete_fields = ["contact", "account"]
    fields = ["contact", "account", "role"]


def _save_links(formset) -> None:
    """An AccountContactInline through contact_link_account / contact_unlink_account: a removed row unlinks, a
    row pointed at another contact (or account) unlinks the old pair and links the new, a new role relinks."""
    new, changed, deleted = [], [], []
    for row in formset.deleted_forms:
        if not row.instance._state.adding:
            services.contact_unlink_account(contact_id=row.instance.contact_id, account_id=row.instance.account_id)
            deleted.append(row.instance)
    for row in formset.forms:
        if row in formset.deleted_forms or not row.has_changed() or not row.cleaned_data:
            continue
        contact, account = row.cleaned_data["contact"], row.cleaned_data["account"]
        was = (row.initial.get("contact"), row.initial.get("account"))
        if not row.instance._state.adding and was != (contact.pk, account.pk):
            services.contact_unlink_account(contact_id=was[0], account_id=was[1])
        saved = services.contact_link_account(
            contact_id=contact.pk, account_id=account.pk, role=row.cleaned_data["role"]
        )
        if row.instance._state.adding:
            new.append(saved)
        else:
            changed.append((saved, row.changed_data))
    ServiceAdmin.formset_saved(formset, new=new, changed=changed, deleted=deleted)


class CustomerUserInline(PortalUserInline):
    model = CustomerUser
    fields = readonly_fields = ["user", "user_active", "contact", "created_at"]


class CustomerUserInviteInline(PortalUserInviteInline):
    model = CustomerUser

    def invite(self, parent, *, email, full_name):
        services.customer_user_create(account_id=parent.pk, email=email, full_name=full_name)


@admin.register(Account)
class AccountAdmin(SoftDeleteAdminMixin, RecordServiceAdmin, SimpleHistoryAdmin, GISModelAdmin):
    list_display = ["number", "name", "kind", "status", "email", "phone", "reseller", "created_at", "deleted_at"]
    list_filter = ["status", "kind", ("reseller", admin.RelatedOnlyFieldListFilter), DeletedListFilter, "created_at"]
    search_fields = ["number", "name", "email", "phone", "service_address"]
    list_select_related = ["reseller"]
    autocomplete_fields = ["reseller"]
    readonly_fields = ["number", "status", "created_at", "updated_at", "deleted_at"]
    inlines = [AccountContactInline, CustomerUserInline, CustomerUserInviteInline]
    actions = ["suspend", "activate", "soft_delete", "restore"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["number", "name", "kind", "status", "reseller", "tags"]}),
        (_("Reach"), {"fields": ["email", "phone"]}),
        (_("Addresses"), {"fields": ["service_address", "billing_address", "location"]}),
        (_("Other"), {"fields": ["notes", "created_at", "updated_at", "deleted_at"]}),
    ]

    def record_create(self, *, by, **fields):
        return services.account_create(by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.account_update(account_id=obj.pk, by=by, **fields)

    def save_formset(self, request, form, formset, change):
        if formset.model is AccountContact:
            return _save_links(formset)
        return super().save_formset(request, form, formset, change)

    def soft_delete_record(self, record, *, by):
        services.account_delete(account_id=record.pk, by=by)

    def restore_record(self, record, *, by):
        services.account_restore(account_id=record.pk, by=by)

    def _transition(self, request, queryset, to: str, done: str):
        def call(account):
            services.account_transition(account_id=account.pk, to=to, by=request.user)

        self.each_record(request, queryset, call, done)

    @admin.action(description=_("Suspend selected accounts"), permissions=["change"])
    def suspend(self, request, queryset):
        self._transition(request, queryset, AccountStatus.SUSPENDED, _("%(n)d account(s) suspended."))

    @admin.action(description=_("Activate selected accounts"), permissions=["change"])
    def activate(self, request, queryset):
        self._transition(request, queryset, AccountStatus.ACTIVE, _("%(n)d account(s) activated."))


@admin.register(Contact)
class ContactAdmin(SoftDeleteAdminMixin, RecordServiceAdmin, SimpleHistoryAdmin):
    list_display = ["__str__", "email", "phone", "preferred_channel", "language", "created_at", "deleted_at"]
    list_filter = ["preferred_channel", "language", DeletedListFilter, "created_at"]
    search_fields = ["first_name", "last_name", "email", "phone", "other_emails"]
    readonly_fields = ["merged_into", "created_at", "updated_at", "deleted_at"]
    inlines = [AccountContactInline]
    actions = ["soft_delete", "restore"]

    def record_create(self, *, by, **fields):
        return services.contact_create(by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.contact_update(contact_id=obj.pk, by=by, **fields)

    def save_formset(self, request, form, formset, change):
        if formset.model is AccountContact:
            return _save_links(formset)
        return super().save_formset(request, form, formset, change)

    def soft_delete_record(self, record, *, by):
        services.contact_delete(contact_id=record.pk, by=by)

    def restore_record(self, record, *, by):
        services.contact_restore(contact_id=record.pk, by=by)


@admin.register(AccountContact)
class AccountContactAdmin(ServiceAdmin, SimpleHistoryAdmin):
    list_display = ["contact", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__email", "account__number", "account__name"]
    list_select_related = ["contact", "account"]
    autocomplete_fields = ["contact", "account"]

    def save_model(self, request, obj, form, change):
        contact, account = form.cleaned_data["contact"], form.cleaned_data["account"]
        was = (form.initial.get("contact"), form.initial.get("account"))
        if change and was != (contact.pk, account.pk):
            services.contact_unlink_account(contact_id=was[0], account_id=was[1])
        link = services.contact_link_account(
            contact_id=contact.pk, account_id=account.pk, role=form.cleaned_data["role"]
        )
        self.adopt(obj, link)

    def delete_model(self, request, obj):
        services.contact_unlink_account(contact_id=obj.contact_id, account_id=obj.account_id)


admin.site.register(Reseller, PartnerOrganisationAdmin)


@admin.register(CustomerUser)
class CustomerUserAdmin(MembershipAdmin):
    list_display = ["user", "account", "contact", "created_at"]
    search_fields = ["user__email", "account__number", "account__name"]
    list_select_related = ["user", "account", "contact"]
    list_filter = ["created_at"]


admin.site.register(ResellerUser, PartnerMembershipAdmin)
