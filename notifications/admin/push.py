"""Admin for Web Push subscriptions: who gets push on which browser; deleting one stops pushes to it."""

from urllib.parse import urlsplit

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omni.admin import ServiceAdmin

from .. import services
from ..models import PushSubscription


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ServiceAdmin):
    list_display = ["user", "push_service", "user_agent", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "endpoint", "user_agent"]
    list_filter = [("last_used_at", admin.EmptyFieldListFilter), "created_at"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    # A browser creates subscriptions (the page script); staff only look at them or delete them.
    readonly_fields = ["user", "endpoint", "p256dh", "auth", "user_agent", "created_at", "last_used_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.push_subscription_delete(user=obj.user, subscription_id=obj.pk)

    @admin.display(description=_("push service"))
    def push_service(self, obj):
        return urlsplit(obj.endpoint).hostname
