"""Admin for the path cache (read-only: rebuilt by network.services.paths, never edited by hand) and its queue."""

from django.contrib import admin

from ..models import ServicePath, ServicePathQueue
from .base import ReadOnlyAdmin


@admin.register(ServicePath)
class ServicePathAdmin(ReadOnlyAdmin):
    list_display = ["service_point", "pon_port", "ont", "length_m", "loss_db", "updated_at"]
    list_filter = ["pon_port__olt"]
    search_fields = ["service_point__number", "service_point__name", "ont__serial", "=pon_port__id"]
    list_select_related = ["service_point", "pon_port__olt", "ont"]


@admin.register(ServicePathQueue)
class ServicePathQueueAdmin(ReadOnlyAdmin):
    list_display = ["pon_port", "due_at"]
    search_fields = ["=pon_port__id", "pon_port__olt__name"]
    list_select_related = ["pon_port__olt"]
    ordering = ["due_at"]
