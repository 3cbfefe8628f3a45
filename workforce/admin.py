"""Admin for vendors and their portal users; every write goes through workforce.services (omni.admin.ServiceAdmin)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from omni.admin import MembershipAdmin, PortalUserInline, PortalUserInviteInline, ServiceAdmin

from . import services
from .models import Vendor, VendorUser


class VendorUserInline(PortalUserInline):
    model = VendorUser


class VendorUserInviteInline(PortalUserInviteInline):
    model = VendorUser

    def invite(self, parent, *, email, full_name):
        services.vendor_user_create(vendor_id=parent.pk, email=email, full_name=full_name)


@admin.register(Vendor)
class VendorAdmin(ServiceAdmin, SimpleHistoryAdmin):
    list_display = ["name", "email", "phone", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "email"]
    inlines = [VendorUserInline, VendorUserInviteInline]
    actions = ["switch_off", "switch_on"]

    def save_model(self, request, obj, form, change):
        fields = {name: value for name, value in form.cleaned_data.items() if name in services.VENDOR_FIELDS}
        if change:
            services.vendor_update(vendor_id=obj.pk, by=request.user, **fields)
            obj.refresh_from_db()
        else:
            self.adopt(obj, services.vendor_create(by=request.user, **fields))

    def delete_model(self, request, obj):
        services.vendor_delete(vendor_id=obj.pk)

    def get_deleted_objects(self, objs, request):
        # The service removes the memberships itself (and deactivates their users): no permission on them needed.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed - {str(VendorUser._meta.verbose_name)}, protected

    def _set_active(self, request, queryset, active: bool):
        for vendor in queryset:
            services.vendor_active_set(vendor_id=vendor.pk, active=active, by=request.user)
        self.message_user(request, _("%(n)d vendor(s) updated.") % {"n": len(queryset)}, messages.SUCCESS)

    @admin.action(description=_("Switch off selected vendors (their portal users with them)"), permissions=["change"])
    def switch_off(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=_("Switch on selected vendors"), permissions=["change"])
    def switch_on(self, request, queryset):
        self._set_active(request, queryset, True)


@admin.register(VendorUser)
class VendorUserAdmin(MembershipAdmin):
    list_display = ["user", "vendor", "created_at"]
    search_fields = ["user__email", "vendor__name"]
    list_select_related = ["user", "vendor"]
    list_filter = [("vendor", admin.RelatedOnlyFieldListFilter)]
