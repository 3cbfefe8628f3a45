from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Vendor, VendorUser


class VendorUserInline(admin.TabularInline):
    model = VendorUser
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Vendor)
class VendorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "email", "phone", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "email"]
    inlines = [VendorUserInline]


@admin.register(VendorUser)
class VendorUserAdmin(admin.ModelAdmin):
    list_display = ["user", "vendor", "created_at"]
    search_fields = ["user__email", "vendor__name"]
    list_select_related = ["user", "vendor"]
    autocomplete_fields = ["user", "vendor"]
    list_filter = [("vendor", admin.RelatedOnlyFieldListFilter)]
