from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")
    role_permissions = {
        "Dispatcher": ["workforce.view_vendor", "workforce.change_vendor"],
        "Technician": ["workforce.view_vendor"],
    }

    def ready(self):
        # Celery's autodiscovery imports `tasks` modules only; the visits' beat task lives beside it for now.
        from . import tasks_visits  # noqa: F401
