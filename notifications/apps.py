from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"
    role_permissions = {
        "Agent": ["notifications.view_delivery"],
        "Dispatcher": ["notifications.view_delivery"],
    }

    def ready(self):
        # Every app declares its events in events.py; importing them fills the catalogue (registry).
        autodiscover_modules("events")
