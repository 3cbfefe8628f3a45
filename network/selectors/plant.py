"""The plant as staff read it: one base queryset per model (its joins, narrowed prefetches and subqueries, so a
page costs the same queries for 10 rows as for 1000) and the strand table of a cable. Portal users never see
plant: every selector answers none() to anyone but active staff."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Subquery

from omni.choices import Audience
from omni.models import User

from ..models import (
    Cable,
    CableSegment,
    ConnectionEnd,
    Enclosure,
    Endpoint,
    Olt,
    Ont,
    PonPort,
    ServicePoint,
    SplicePlan,
    SplicePlanEntry,
    SpliceTray,
    Splitter,
    Strand,
)


def _endpoint_of(**owner) -> Subquery:
    return Subquery(Endpoint.objects.filter(**owner).values("pk")[:1])


def _base(model) -> QuerySet:
    if model is Cable:
        return Cable.objects.select_related("cable_type").prefetch_related(
            Prefetch(
                "segments", queryset=CableSegment.objects.only("id", "cable_id", "pathway_id", "seq").order_by("seq")
            )
        )
    if model is Enclosure:
        return Enclosure.objects.prefetch_related(Prefetch("trays", queryset=SpliceTray.objects.order_by("number")))
    if model is Olt:
        return Olt.objects.prefetch_related(
            Prefetch(
                "pon_ports", queryset=PonPort.objects.only("id", "olt_id", "slot", "port").order_by("slot", "port")
            )
        )
    if model is PonPort:
        return PonPort.objects.annotate(endpoint_id=_endpoint_of(pon_port=OuterRef("pk")))
    if model is Splitter:
        return Splitter.objects.prefetch_related(
            Prefetch(
                "endpoints",
                queryset=Endpoint.objects.only("id", "kind", "port", "splitter_id").order_by("kind", "port"),
            )
        )
    if model is Ont:
        return Ont.objects.annotate(
            endpoint_id=_endpoint_of(ont=OuterRef("pk"), port=1),
            service_point_id=Subquery(ServicePoint.objects.filter(ont=OuterRef("pk")).values("pk")[:1]),
        )
    if model is SplicePlan:
        return SplicePlan.objects.prefetch_related(
            Prefetch("entries", queryset=SplicePlanEntry.objects.order_by("created_at", "pk"))
        )
    return model.objects.all()


def plant_list_visible_to(model, *, user: User) -> QuerySet:
    """Every row of a network model for active staff (their role's view_<model> is checked by the API and the
    admin); portal users, anonymous users and staff whose access was switched off get none()."""
    if not (user.is_authenticated and user.is_active) or user.audience != Audience.STAFF or not user.is_staff:
        return model.objects.none()
    return _base(model)


def strand_state(*, reserved: bool, a_connected: bool, b_connected: bool) -> str:
    """lit / reserved / dark. Interim rule: a strand connected at both ends is lit. TODO(issue 13 part 3): lit means
    on a connection chain that reaches a PON port, answered by the trace."""
    if a_connected and b_connected:
        return "lit"
    return "reserved" if reserved else "dark"


def cable_strands(*, cable_id) -> QuerySet[Strand]:
    """A cable's strands in number order with their tube, both endpoint ids and whether each end is connected:
    one query whatever the fibre count."""
    connected = ConnectionEnd.objects.filter(endpoint__strand=OuterRef("pk"))
    return (
        Strand.objects.filter(cable_id=cable_id)
        .annotate(
            tube_position=F("tube__position"),
            tube_colour=F("tube__colour"),
            tube_stripe=F("tube__stripe"),
            a_endpoint=_endpoint_of(strand=OuterRef("pk"), side="a"),
            b_endpoint=_endpoint_of(strand=OuterRef("pk"), side="b"),
            a_connected=Exists(connected.filter(endpoint__side="a")),
            b_connected=Exists(connected.filter(endpoint__side="b")),
        )
        .order_by("number")
    )
