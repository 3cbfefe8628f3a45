from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Dispatchers run the workforce: every verb on its models (vendors: view and change). Technicians read what their
# day is made of (work orders, appointments, shifts, time off, and the skills, territories and work types behind
# them).
_MODELS = [
    "skill", "technician", "technicianskill", "serviceterritory", "territorymembership", "shiftpattern", "shift",
    "timeoff", "worktype", "worktypeskill", "workorder", "workorderskill", "appointment", "crew",
    "schedulingpolicy", "dispatchrun", "dispatchassignment",
]  # fmt: skip
_DAY = ["skill", "technician", "serviceterritory", "territorymembership", "shiftpattern", "shift", "timeoff",
        "worktype", "workorder", "appointment", "crew"]  # fmt: skip


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")
    role_permissions = {
        "Dispatcher": ["workforce.view_vendor", "workforce.change_vendor"]
        + [f"workforce.{verb}_{model}" for model in _MODELS for verb in ("view", "add", "change", "delete")],
        "Technician": ["workforce.view_vendor"] + [f"workforce.view_{model}" for model in _DAY],
    }
