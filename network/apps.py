from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Every network model staff may look at; Admin gets every permission (omni.roles), so only Admin edits plant.
_VIEW = [
    "view_structure",
    "view_pathway",
    "view_cablesegment",
    "view_slackloop",
    "view_cabletype",
    "view_cable",
    "view_buffertube",
    "view_strand",
    "view_endpoint",
    "view_enclosure",
    "view_splicetray",
    "view_olt",
    "view_ponport",
    "view_splitter",
    "view_ont",
    "view_connection",
    "view_connectionend",
    "view_spliceplan",
    "view_spliceplanentry",
    "view_servicepoint",
]


class NetworkConfig(AppConfig):
    name = "network"
    verbose_name = _("Network")
    role_permissions = {
        "Dispatcher": [f"network.{p}" for p in _VIEW],
        "Technician": [f"network.{p}" for p in _VIEW],
    }
