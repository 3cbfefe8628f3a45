"""The guard against retiring or deleting plant that carries light to customers.

`plant_lit_services` answers the service points whose PON-port-to-ONT path crosses any of the given elements, with
one impact query (network.services.impact.impact_run); the call sites (cable/enclosure/splitter/... retire and
delete, splice-plan removals) pass the elements and `plant_guard` turns a non-empty answer into a 409 listing them.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from omni.exceptions import Conflict

from .impact import impact_run


def plant_lit_services(
    *,
    structures: Iterable = (),
    pathways: Iterable = (),
    cables: Iterable = (),
    tubes: Iterable = (),
    strands: Iterable = (),
    enclosures: Iterable = (),
    splitters: Iterable = (),
    pon_ports: Iterable = (),
    olts: Iterable = (),
    onts: Iterable = (),
    connections: Iterable = (),
) -> list[dict]:
    """The service points ({"id", "number", "account"}) served through any of these elements (ids): one impact
    query (network.services.impact), planned plant excluded."""
    impact = impact_run(
        structures=structures, pathways=pathways, cables=cables, tubes=tubes, strands=strands, enclosures=enclosures,
        splitters=splitters, pon_ports=pon_ports, olts=olts, onts=onts, connections=connections,
    )  # fmt: skip
    return [{"id": s["id"], "number": s["number"], "account": s["account"]} for s in impact.service_points]


def plant_guard(**elements) -> None:
    """Conflict (409) naming the services when any of the elements carries a lit path."""
    services = plant_lit_services(**elements)
    if services:
        numbers = ", ".join(str(s.get("number") or s.get("id")) for s in services[:20])
        msg = _("This plant carries service to %(n)d service points: %(numbers)s.") % {
            "n": len(services),
            "numbers": numbers,
        }
        raise Conflict(msg, fields={"services": [str(s.get("number") or s.get("id")) for s in services]})
