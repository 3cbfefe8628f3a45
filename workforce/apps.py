from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")
    role_permissions = {
        "Dispatcher": [
            "workforce.view_vendor",
            "workforce.change_vendor",
            # dispatching: candidates, slots, booking (change_workorder) and optimisation runs
            "workforce.view_workorder",
            "workforce.change_workorder",
            "workforce.view_dispatchrun",
            "workforce.add_dispatchrun",
            "workforce.change_dispatchrun",
            "workforce.view_schedulingpolicy",
        ],
        "Technician": ["workforce.view_vendor"],
    }
