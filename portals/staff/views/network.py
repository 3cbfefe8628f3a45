"""The staff console's network pages: the plant map (vector tiles, details on click, trace and cut impact drawn on
it)."""

from django.contrib.gis.db.models import Extent
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import gettext as _

from network import tiles
from network.models import Structure

from ..helpers import staff_view


@staff_view("network.view_cable")
def network_map(request):
    zooms = {
        "structures": tiles.STRUCTURE_ZOOM,
        "pathways": tiles.PATHWAY_ZOOM,
        "cables": min(tiles.CABLE_ROLE_ZOOM.values()),
        "enclosures": tiles.ENCLOSURE_ZOOM,
        "service_points": tiles.SERVICE_POINT_ZOOM,
    }
    config = {
        "tiles": "/tiles/{layer}/{z}/{x}/{y}.mvt",
        "layers": zooms,
        "api": "/api/v1/network/",
        "csrf": get_token(request),
    }
    # Centred on the plant (one aggregate); a default view when there is none yet.
    extent = Structure.objects.aggregate(extent=Extent("geom"))["extent"]
    if extent:
        config["center"], config["zoom"] = [(extent[1] + extent[3]) / 2, (extent[0] + extent[2]) / 2], 15
    else:
        config["center"], config["zoom"] = [0, 0], 2
    texts = {
        "working": _("Working…"),
        "failed": _("The request failed."),
        "trace_summary": _("Total %(length)s m, %(loss)s dB."),
        "budget": _("Budget %(class)s: margin %(margin)s dB."),
        "over": _("Over budget."),
        "onts": _("%(count)s ONTs reached."),
        "affected": _("%(count)s service points affected."),
        "accounts": _("Accounts"),
    }
    labels = [
        ("cables", _("Cables")),
        ("pathways", _("Pathways")),
        ("structures", _("Structures")),
        ("enclosures", _("Enclosures")),
        ("service_points", _("Service points")),
    ]
    context = {"nav_network": True, "network_map": config, "texts": texts, "layer_labels": labels}
    return render(request, "staff/network/map.html", context)
