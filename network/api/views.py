"""Thin viewsets over the plant: parse an `…In`, call a service, answer with the `…Out` re-read through the staff
selector. Staff only (no portal audience): reads need network.view_<model>, writes add/change/delete."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api import parse
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet

from .. import selectors, services
from ..models import (
    Cable,
    CableSegment,
    CableType,
    Connection,
    Enclosure,
    Olt,
    Ont,
    Pathway,
    PonPort,
    ServicePoint,
    SlackLoop,
    SplicePlan,
    Splitter,
    Structure,
)
from . import filters
from .serializers import (
    CableIn,
    CableOut,
    CableRouteIn,
    CableSegmentIn,
    CableSegmentOut,
    CableTypeIn,
    CableTypeOut,
    ConnectionChangeIn,
    ConnectionIn,
    ConnectionOut,
    EnclosureIn,
    EnclosureOut,
    OltIn,
    OltOut,
    OntIn,
    OntOut,
    PathwayIn,
    PathwayOut,
    PonPortIn,
    PonPortOut,
    ServicePointIn,
    ServicePointOut,
    SlackLoopIn,
    SlackLoopOut,
    SplicePlanIn,
    SplicePlanOut,
    SplicePlanTransitionIn,
    SplitterIn,
    SplitterOut,
    StrandOut,
    StructureIn,
    StructureOut,
)

CONFLICT = error_responses(409)


def plant_schema(noun: str, in_class, out_class):
    """The schema of a plant resource's CRUD operations."""
    return extend_schema_view(
        list=extend_schema(summary=f"List {noun}s", responses={200: out_class(many=True)}),
        retrieve=extend_schema(summary=f"Get a {noun}", responses={200: out_class}),
        create=extend_schema(summary=f"Create a {noun}", request=in_class, responses={201: out_class}),
        update=extend_schema(summary=f"Replace a {noun}", request=in_class, responses={200: out_class, **CONFLICT}),
        partial_update=extend_schema(
            summary=f"Change a {noun}", request=in_class, responses={200: out_class, **CONFLICT}
        ),
        destroy=extend_schema(
            summary=f"Delete a {noun}",
            description="Refused (409) while other plant uses it or it carries a lit path.",
            responses={204: OpenApiResponse(description="Deleted"), **CONFLICT},
        ),
    )


class PlantViewSet(ApiViewSet, viewsets.ModelViewSet):
    """CRUD through network.services.record_* unless a subclass names its own services."""

    model: type
    in_class: type
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.plant_list_visible_to(self.model, user=self.request.user)

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(self.serializer_class(self.get_queryset().get(pk=pk)).data, status=status_code)

    def perform_create_service(self, data: dict):
        return services.record_create(self.model, by=self.request.user, **data)

    def perform_update_service(self, pk, data: dict):
        return services.record_update(self.model, pk=pk, by=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        record = self.perform_create_service(parse(self.in_class, request))
        return self._out(record.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        data = parse(self.in_class, request, partial=kwargs.pop("partial", False))
        record = self.perform_update_service(self.get_object().pk, data)
        return self._out(record.pk)

    def destroy(self, request, *args, **kwargs):
        services.record_delete(self.model, pk=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@plant_schema("structure", StructureIn, StructureOut)
class StructureViewSet(PlantViewSet):
    """Poles, handholes, manholes, vaults, pedestals, cabinets, building entries, towers, central offices."""

    model, in_class, serializer_class = Structure, StructureIn, StructureOut
    filterset_class = filters.StructureFilterSet
    ordering_fields = ["number", "name", "kind", "status", "created_at", "updated_at"]


@plant_schema("pathway", PathwayIn, PathwayOut)
class PathwayViewSet(PlantViewSet):
    """Aerial spans, conduits, innerducts and direct-buried runs between two structures."""

    model, in_class, serializer_class = Pathway, PathwayIn, PathwayOut
    filterset_class = filters.PathwayFilterSet
    ordering_fields = ["number", "name", "kind", "status", "geo_length_m", "created_at", "updated_at"]


@plant_schema("cable segment", CableSegmentIn, CableSegmentOut)
class CableSegmentViewSet(PlantViewSet):
    """The pathways each cable runs through, one position (`seq`, from the cable's A end) each; a position meets its
    neighbours at a structure. `POST cables/{id}/route/` replaces a whole route at once."""

    model, in_class, serializer_class = CableSegment, CableSegmentIn, CableSegmentOut
    filterset_class = filters.CableSegmentFilterSet
    ordering_fields = ["seq", "slack_m", "created_at", "updated_at"]

    def perform_create_service(self, data):
        return services.cable_segment_create(by=self.request.user, **data)

    def perform_update_service(self, pk, data):
        return services.cable_segment_update(segment_id=pk, by=self.request.user, **data)


@plant_schema("slack loop", SlackLoopIn, SlackLoopOut)
class SlackLoopViewSet(PlantViewSet):
    """Spare cable stored at a structure, between two sheath marks."""

    model, in_class, serializer_class = SlackLoop, SlackLoopIn, SlackLoopOut
    filterset_class = filters.SlackLoopFilterSet
    ordering_fields = ["start_mark_m", "end_mark_m", "length_m", "storage", "created_at", "updated_at"]

    def perform_create_service(self, data):
        return services.slack_loop_create(by=self.request.user, **data)


@plant_schema("cable type", CableTypeIn, CableTypeOut)
class CableTypeViewSet(PlantViewSet):
    """Cable models: fibre count, tubes, attenuation per wavelength, colour scheme."""

    model, in_class, serializer_class = CableType, CableTypeIn, CableTypeOut
    filterset_class = filters.CableTypeFilterSet
    ordering_fields = ["name", "fiber_count", "created_at", "updated_at"]
    ordering = ["name"]


@plant_schema("cable", CableIn, CableOut)
class CableViewSet(PlantViewSet):
    """Cables. Creating one makes its tubes, strands and two endpoints per strand; its type never changes."""

    model, in_class, serializer_class = Cable, CableIn, CableOut
    filterset_class = filters.CableFilterSet
    ordering_fields = ["number", "name", "role", "status", "geo_length_m", "created_at", "updated_at"]
    action_permission = {"route": "change", "strands": "view"}

    def perform_create_service(self, data):
        return services.cable_create(by=self.request.user, **data)

    def perform_update_service(self, pk, data):
        return services.cable_update(cable_id=pk, by=self.request.user, **data)

    @extend_schema(
        summary="The strands of a cable",
        description="Every strand in number order: tube, position, TIA-598 colours, state (lit/reserved/dark) and "
        "the ids of its two endpoints.",
        responses={200: StrandOut(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def strands(self, request, pk=None):
        cable = self.get_object()
        return Response(StrandOut(selectors.cable_strands(cable_id=cable.pk), many=True).data)

    @extend_schema(
        summary="Set the route of a cable",
        description="Replaces the pathways the cable runs through, in order from its A end.",
        request=CableRouteIn,
        responses={200: CableOut},
    )
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        data = parse(CableRouteIn, request)
        services.cable_route_set(cable_id=self.get_object().pk, pathway_ids=data["pathways"], by=request.user)
        return self._out(pk)


@plant_schema("enclosure", EnclosureIn, EnclosureOut)
class EnclosureViewSet(PlantViewSet):
    """Splice closures, FDHs, MSTs, ODFs, patch panels and ONT boxes with their trays."""

    model, in_class, serializer_class = Enclosure, EnclosureIn, EnclosureOut
    filterset_class = filters.EnclosureFilterSet
    ordering_fields = ["number", "name", "kind", "status", "created_at", "updated_at"]

    def perform_create_service(self, data):
        return services.enclosure_create(by=self.request.user, **data)

    def perform_update_service(self, pk, data):
        data.pop("trays", None), data.pop("tray_capacity", None)  # trays are made on create (the admin adds more)
        return services.record_update(Enclosure, pk=pk, by=self.request.user, **data)


@plant_schema("OLT", OltIn, OltOut)
class OltViewSet(PlantViewSet):
    model, in_class, serializer_class = Olt, OltIn, OltOut
    filterset_class = filters.OltFilterSet
    ordering_fields = ["name", "status", "created_at", "updated_at"]
    ordering = ["name"]

    def perform_create_service(self, data):
        return services.olt_create(by=self.request.user, **data)


@plant_schema("PON port", PonPortIn, PonPortOut)
class PonPortViewSet(PlantViewSet):
    model, in_class, serializer_class = PonPort, PonPortIn, PonPortOut
    filterset_class = filters.PonPortFilterSet
    ordering_fields = ["slot", "port", "technology", "status", "created_at", "updated_at"]

    def perform_create_service(self, data):
        return services.pon_port_create(by=self.request.user, **data)


@plant_schema("splitter", SplitterIn, SplitterOut)
class SplitterViewSet(PlantViewSet):
    """Splitters with their input and output endpoints; the ratio is fixed once made."""

    model, in_class, serializer_class = Splitter, SplitterIn, SplitterOut
    filterset_class = filters.SplitterFilterSet
    ordering_fields = ["name", "output_count", "status", "created_at", "updated_at"]

    def perform_create_service(self, data):
        return services.splitter_create(by=self.request.user, **data)

    def perform_update_service(self, pk, data):
        if data.get("insertion_loss_db", 0) is None:
            data.pop("insertion_loss_db")
        return services.splitter_update(splitter_id=pk, by=self.request.user, **data)


@plant_schema("ONT", OntIn, OntOut)
class OntViewSet(PlantViewSet):
    model, in_class, serializer_class = Ont, OntIn, OntOut
    filterset_class = filters.OntFilterSet
    ordering_fields = ["serial", "status", "created_at", "updated_at"]

    def perform_create_service(self, data):
        return services.ont_create(by=self.request.user, **data)


@extend_schema_view(
    list=extend_schema(summary="List connections", responses={200: ConnectionOut(many=True)}),
    retrieve=extend_schema(summary="Get a connection", responses={200: ConnectionOut}),
    create=extend_schema(
        summary="Join two endpoints",
        description="A splice, patch or connector mate in an enclosure. An endpoint that is already connected is a "
        "409 naming the field and the enclosure holding it.",
        request=ConnectionIn,
        responses={201: ConnectionOut, **CONFLICT},
    ),
    update=extend_schema(
        summary="Record a measured loss or notes", request=ConnectionChangeIn, responses={200: ConnectionOut}
    ),
    partial_update=extend_schema(
        summary="Record a measured loss or notes", request=ConnectionChangeIn, responses={200: ConnectionOut}
    ),
    destroy=extend_schema(
        summary="Part a connection",
        description="Refused (409) while it carries a lit path.",
        responses={204: OpenApiResponse(description="Deleted"), **CONFLICT},
    ),
)
class ConnectionViewSet(PlantViewSet):
    model, in_class, serializer_class = Connection, ConnectionIn, ConnectionOut
    filterset_class = filters.ConnectionFilterSet
    ordering_fields = ["kind", "status", "position", "created_at", "updated_at"]

    def create(self, request, *args, **kwargs):
        data = parse(ConnectionIn, request)
        connection = services.connection_create(
            enclosure_id=data["enclosure"].pk, a_id=data["a"].pk, b_id=data["b"].pk, kind=data["kind"],
            status=data["status"], tray_id=data["tray"].pk if data.get("tray") else None,
            position=data.get("position"), loss_db=data.get("loss_db"), notes=data["notes"], by=request.user,
        )  # fmt: skip
        return self._out(connection.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        data = parse(ConnectionChangeIn, request, partial=True)
        connection = services.connection_update(connection_id=self.get_object().pk, by=request.user, **data)
        return self._out(connection.pk)

    def destroy(self, request, *args, **kwargs):
        services.connection_delete(connection_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@plant_schema("splice plan", SplicePlanIn, SplicePlanOut)
class SplicePlanViewSet(PlantViewSet):
    """Planned splice changes of an enclosure: draft, approved, applied (atomically), archived."""

    model, in_class, serializer_class = SplicePlan, SplicePlanIn, SplicePlanOut
    filterset_class = filters.SplicePlanFilterSet
    ordering_fields = ["number", "name", "status", "created_at", "updated_at"]
    action_permission = {"transition": "change", "apply": "change"}

    def perform_create_service(self, data):
        return services.splice_plan_create(by=self.request.user, **data)

    def perform_update_service(self, pk, data):
        return services.splice_plan_update(plan_id=pk, by=self.request.user, **data)

    def destroy(self, request, *args, **kwargs):
        services.splice_plan_delete(plan_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Approve, send back to draft, or archive a plan",
        request=SplicePlanTransitionIn,
        responses={200: SplicePlanOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = parse(SplicePlanTransitionIn, request)
        services.splice_plan_transition(plan_id=self.get_object().pk, to=data["status"], by=request.user)
        return self._out(pk)

    @extend_schema(
        summary="Apply an approved plan",
        description="Removes and adds the plan's connections in one transaction: all or nothing. A plan that is "
        "not approved, a connection to remove that is gone, or a fibre end taken meanwhile is a 409.",
        request=None,
        responses={200: SplicePlanOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        services.splice_plan_apply(plan_id=self.get_object().pk, by=request.user)
        return self._out(pk)


@plant_schema("service point", ServicePointIn, ServicePointOut)
class ServicePointViewSet(PlantViewSet):
    """Premises: a location, the account served there, its ONT."""

    model, in_class, serializer_class = ServicePoint, ServicePointIn, ServicePointOut
    filterset_class = filters.ServicePointFilterSet
    ordering_fields = ["number", "name", "status", "created_at", "updated_at"]
