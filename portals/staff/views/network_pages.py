"""The staff console's plant pages: lists (search, filters, pages, a fixed number of queries) of structures,
cables (with capacity), enclosures, OLTs (PON ports and utilisation) and service points; the cable page with its
strand table in TIA-598 colours, the enclosure page with a splice matrix per tray, the structure page."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from network import selectors, tiles
from network.api import filters
from network.colours import HEX
from network.models import Cable, Connection, Enclosure, Olt, PonPort, ServicePoint, Structure

from ..helpers import list_page, list_view, render_list, staff_view

PAGE_SIZE = 25
TEMPLATE = "staff/network/list.html"


def _link(text, name, pk) -> dict:
    return {"text": text, "href": reverse(f"staff:{name}", args=[pk])}


def _list(
    request,
    *,
    model,
    filterset,
    sorts,
    default,
    title,
    columns,
    row,
    filter_fields,
    extra=None,
    related=(),
    prefetch=(),
):
    visible = selectors.plant_list_visible_to(model, user=request.user).select_related(*related)
    visible = visible.prefetch_related(*prefetch)
    listing = list_page(request, filterset(request.GET, queryset=visible), sorts, default, PAGE_SIZE)
    objects = list(listing.page.object_list)
    more = extra(objects) if extra else {}
    context = {
        "title": title,
        "columns": columns,
        "rows": [row(obj, more) for obj in objects],
        "filter_fields": [listing.filters.form[name] for name in filter_fields],
        "nav_network": True,
    }
    return render_list(request, TEMPLATE, "plant-table", listing, context)


@list_view("network.view_structure")
def structure_list(request):
    return _list(
        request, model=Structure, filterset=filters.StructureFilterSet, default="number", title=_("Structures"),
        sorts={"number": ["number"], "name": ["name"], "kind": ["kind"], "status": ["status"]},
        columns=[_("Number"), _("Name"), _("Kind"), _("Status"), _("Address")],
        filter_fields=["search", "kind", "status"],
        row=lambda s, _m: [_link(s.number, "network_structure_detail", s.pk), s.name, s.get_kind_display(),
                           s.get_status_display(), s.address],
    )  # fmt: skip


def _capacity_text(capacity: dict | None) -> str:
    c = capacity or {"lit": 0, "reserved": 0, "dark": 0, "damaged": 0}
    return _("%(lit)s lit / %(reserved)s reserved / %(dark)s dark") % c


@list_view("network.view_cable")
def cable_list(request):
    return _list(
        request, model=Cable, filterset=filters.CableFilterSet, default="number", title=_("Cables"),
        sorts={"number": ["number"], "name": ["name"], "role": ["role"], "status": ["status"]},
        columns=[_("Number"), _("Label"), _("Role"), _("Fibres"), _("Capacity"), _("Length (m)"), _("Status")],
        filter_fields=["search", "role", "status"],
        extra=lambda cables: tiles.cable_capacity([c.pk for c in cables]),
        row=lambda c, more: [_link(c.number, "network_cable_detail", c.pk), c.name, c.get_role_display(),
                             c.cable_type.fiber_count, _capacity_text(more.get(c.pk)),
                             round(c.length_m) if c.length_m is not None else "", c.get_status_display()],
    )  # fmt: skip


@list_view("network.view_enclosure")
def enclosure_list(request):
    return _list(
        request, model=Enclosure, filterset=filters.EnclosureFilterSet, default="number", title=_("Enclosures"),
        sorts={"number": ["number"], "name": ["name"], "kind": ["kind"], "status": ["status"]},
        columns=[_("Number"), _("Name"), _("Kind"), _("Trays"), _("Status")],
        filter_fields=["search", "kind", "status"],
        row=lambda e, _m: [_link(e.number, "network_enclosure_detail", e.pk), e.name, e.get_kind_display(),
                           len(e.trays.all()), e.get_status_display()],
    )  # fmt: skip


@list_view("network.view_olt")
def olt_list(request):
    def extra(olts):
        return tiles.pon_port_onts([p.pk for olt in olts for p in olt.ports])

    def ports(olt, reached):
        return "; ".join(
            f"{p.slot}/{p.port}: {reached.get(p.pk, 0)}/{p.max_split} ({p.technology}, {p.optical_class})"
            for p in olt.ports
        )

    return _list(
        request, model=Olt, filterset=filters.OltFilterSet, default="name", title=_("OLTs"),
        sorts={"name": ["name"], "status": ["status"]},
        columns=[_("Name"), _("Model"), _("PON ports: ONTs connected / max split"), _("Status")],
        filter_fields=["search", "status"], extra=extra,
        prefetch=[Prefetch("pon_ports", queryset=PonPort.objects.order_by("slot", "port"), to_attr="ports")],
        row=lambda o, more: [o.name, f"{o.vendor} {o.model}".strip(), ports(o, more), o.get_status_display()],
    )  # fmt: skip


@list_view("network.view_servicepoint")
def service_point_list(request):
    return _list(
        request, model=ServicePoint, filterset=filters.ServicePointFilterSet, default="number",
        title=_("Service points"), sorts={"number": ["number"], "name": ["name"], "status": ["status"]},
        columns=[_("Number"), _("Name"), _("Address"), _("Account"), _("ONT"), _("Status")],
        filter_fields=["search", "status"], related=("account", "ont"),
        row=lambda p, _m: [p.number, p.name, p.address, p.account.number if p.account_id else "",
                           p.ont.serial if p.ont_id else "", p.get_status_display()],
    )  # fmt: skip


def _swatch(colour: str) -> str:
    return HEX.get(colour, "#cccccc")


@staff_view("network.view_cable")
def cable_detail(request, pk):
    cable = get_object_or_404(selectors.plant_list_visible_to(Cable, user=request.user), pk=pk)
    strands = []
    for strand in selectors.cable_strands(cable_id=cable.pk):
        state = selectors.strand_state(reserved=strand.reserved, lit=strand.lit)
        strands.append(
            {
                "number": strand.number, "tube": strand.tube_position, "position": strand.position,
                "colour": strand.colour, "stripe": strand.stripe, "tube_colour": strand.tube_colour,
                "hex": _swatch(strand.colour), "stripe_hex": _swatch(strand.stripe) if strand.stripe else "",
                "tube_hex": _swatch(strand.tube_colour), "state": "damaged" if strand.damaged else state,
            }
        )  # fmt: skip
    capacity = tiles.cable_capacity([cable.pk]).get(cable.pk)
    context = {"cable": cable, "strands": strands, "capacity": capacity, "nav_network": True}
    return render(request, "staff/network/cable_detail.html", context)


@staff_view("network.view_enclosure")
def enclosure_detail(request, pk):
    enclosure = get_object_or_404(
        selectors.plant_list_visible_to(Enclosure, user=request.user).select_related("structure"), pk=pk
    )
    connections = (
        Connection.objects.filter(enclosure=enclosure)
        .select_related("tray", "a__strand__cable", "b__strand__cable", "a__splitter", "b__splitter", "a__ont",
                        "b__ont", "a__pon_port__olt", "b__pon_port__olt")
        .order_by("tray__number", "position", "created_at")
    )  # fmt: skip
    trays: dict = {}
    for connection in connections:
        trays.setdefault(connection.tray.number if connection.tray_id else None, []).append(connection)
    matrix = [{"tray": number, "connections": rows} for number, rows in trays.items()]
    context = {"enclosure": enclosure, "matrix": matrix, "nav_network": True}
    return render(request, "staff/network/enclosure_detail.html", context)


@staff_view("network.view_structure")
def structure_detail(request, pk):
    structure = get_object_or_404(selectors.plant_list_visible_to(Structure, user=request.user), pk=pk)
    context = {
        "structure": structure,
        "enclosures": structure.enclosures.order_by("number"),
        "cables": Cable.objects.filter(a_structure=structure).union(Cable.objects.filter(b_structure=structure)),
        "nav_network": True,
    }
    return render(request, "staff/network/structure_detail.html", context)
