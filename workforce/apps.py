from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")
    role_permissions = {
        "Dispatcher": [
            "workforce.view_vendor",
            "workforce.change_vendor",
            # the dispatch board: read the day, move and book appointments
            "workforce.view_appointment",
            "workforce.add_appointment",
            "workforce.change_appointment",
            "workforce.view_workorder",
            "workforce.view_technician",
            # dispatching: candidates, slots, booking (change_workorder) and optimisation runs
            "workforce.change_workorder",
            "workforce.view_dispatchrun",
            "workforce.add_dispatchrun",
            "workforce.change_dispatchrun",
            "workforce.view_schedulingpolicy",
        ],
        "Technician": ["workforce.view_vendor"],
    }
