"""Admin for ticket attachments: to look at and, when a file must go (personal data sent by mistake), to delete,
which removes the stored file too. Files are added with replies (services.reply_post), never here."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import TicketAttachment
from .scope import TicketScopeMixin


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(TicketScopeMixin, admin.ModelAdmin):
    list_display = ["name", "ticket", "size_display", "content_type", "public", "uploaded_by", "created_at"]
    list_filter = ["public", "content_type", "created_at"]
    search_fields = ["name", "ticket__number"]
    list_select_related = ["ticket", "uploaded_by"]
    date_hierarchy = "created_at"
    fields = ["download", "ticket", "comment", "name", "content_type", "size", "public", "uploaded_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("file"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("attachments:download", args=[obj.pk]), obj.name)

    def delete_model(self, request, obj):
        obj.file.delete(save=False)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for attachment in queryset:
            attachment.file.delete(save=False)
        super().delete_queryset(request, queryset)
