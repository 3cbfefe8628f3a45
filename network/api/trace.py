"""The trace, impact and root-cause endpoints (/api/v1/network/trace/, impact/, root-cause/): staff with the
network view permission only (Dispatcher, Technician, Admin); portal users get 403. Impact and root cause take
their sets of ids in a POST body but change nothing: they need the view permission, not add."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from omni.api import parse
from omni.api.fields import GeoJSONPointField
from omni.api.schema import error_responses

from ..choices import Wavelength
from ..models import PonPort
from ..services import impact as impact_services
from ..services import trace as trace_services

MAX_IDS = 1000  # ids per list in one impact question


# ---- input -------------------------------------------------------------------------------------------------------


class TraceQueryIn(serializers.Serializer):
    # `from` is a Python keyword: the field is declared under its query name below.
    direction = serializers.ChoiceField(choices=trace_services.DIRECTIONS, default="downstream")
    wavelength = serializers.ChoiceField(choices=Wavelength.values, default=Wavelength.NM_1490)
    include_planned = serializers.BooleanField(default=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(
            max_length=60, help_text="`<kind>:<id>`, kind one of pon_port, ont, strand_end (an endpoint id)."
        )
        return fields

    def validate_from(self, value: str) -> tuple[str, UUID]:
        kind, _sep, raw = value.partition(":")
        if kind not in trace_services.START_KINDS:
            raise serializers.ValidationError("The kind is one of pon_port, ont, strand_end (`<kind>:<id>`).")
        try:
            return kind, UUID(raw)
        except ValueError:
            raise serializers.ValidationError("The id after the kind is not a UUID.") from None


def _ids(**kwargs):
    return serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=MAX_IDS, **kwargs
    )


class ImpactIn(serializers.Serializer):
    point = GeoJSONPointField(required=False, help_text="A cut at this map point (with `radius_m`).")
    radius_m = serializers.FloatField(
        required=False, min_value=0.1, max_value=impact_services.MAX_RADIUS_M, help_text="Metres around the point."
    )
    cables = _ids(help_text="Cables (with a point: only these of the cables hit).")
    tubes = _ids(help_text="Buffer tubes (with a point: a partial cut of the cables hit).")
    strands = _ids(help_text="Strands (with a point: a partial cut of the cables hit).")
    enclosures = _ids(help_text="Enclosures: every connection and splitter in them.")
    splitters = _ids()
    pon_ports = _ids()
    pathways = _ids(help_text="Pathways: every cable running in them.")
    include_planned = serializers.BooleanField(default=False)

    def validate(self, attrs):
        point = attrs.get("point")
        if point is not None and attrs.get("radius_m") is None:
            raise serializers.ValidationError({"radius_m": ["A point needs its search radius."]})
        if point is None and attrs.get("radius_m") is not None:
            raise serializers.ValidationError({"point": ["A radius needs its point."]})
        lists = ("cables", "tubes", "strands", "enclosures", "splitters", "pon_ports", "pathways")
        if point is None and not any(attrs.get(name) for name in lists):
            raise serializers.ValidationError({"point": ["Give a point and radius, or some plant ids."]})
        if point is not None and any(attrs.get(name) for name in ("enclosures", "splitters", "pon_ports", "pathways")):
            raise serializers.ValidationError({"point": ["A point cut takes only cables, tubes or strands."]})
        return attrs


class RootCauseIn(serializers.Serializer):
    down = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=MAX_IDS)
    up = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=MAX_IDS)
    include_planned = serializers.BooleanField(default=False)


# ---- output ------------------------------------------------------------------------------------------------------


class TraceHopOut(serializers.Serializer):
    seq = serializers.IntegerField()
    depth = serializers.IntegerField(help_text="Hops from the start (a downstream trace: a tree, depth first).")
    kind = serializers.CharField(help_text="pon_port, ont or strand_end (the start), strand, connection, splitter.")
    id = serializers.UUIDField()
    name = serializers.CharField()
    cable = serializers.UUIDField(allow_null=True)
    tube = serializers.UUIDField(allow_null=True)
    endpoint = serializers.UUIDField(help_text="The endpoint the hop arrives at.")
    endpoint_kind = serializers.CharField()
    from_endpoint = serializers.UUIDField(allow_null=True)
    length_m = serializers.FloatField()
    loss_db = serializers.FloatField()
    cumulative_length_m = serializers.FloatField()
    cumulative_loss_db = serializers.FloatField()


class TraceBudgetOut(serializers.Serializer):
    max_loss_db = serializers.FloatField(allow_null=True, help_text="The optical class's budget.")
    margin_db = serializers.FloatField(allow_null=True)
    over = serializers.BooleanField(help_text="The loss is over the budget.")

    def get_fields(self):
        # `class` is a Python keyword: declared here.
        return {"class": serializers.CharField(allow_null=True, help_text="B+, C+, ..."), **super().get_fields()}


class TraceOntOut(serializers.Serializer):
    id = serializers.UUIDField()
    serial = serializers.CharField()
    service_point = serializers.UUIDField(allow_null=True)
    service_point_number = serializers.CharField(allow_null=True)
    account = serializers.UUIDField(allow_null=True)
    length_m = serializers.FloatField()
    loss_db = serializers.FloatField()
    budget = TraceBudgetOut()


class TraceAnomalyOut(serializers.Serializer):
    kind = serializers.CharField(help_text="loop (a path returns to an endpoint it passed) or depth_cap.")
    endpoint = serializers.UUIDField()
    element_kind = serializers.CharField(allow_null=True)
    element_id = serializers.UUIDField(allow_null=True)
    detail = serializers.CharField()


class TraceOut(serializers.Serializer):
    direction = serializers.CharField()
    wavelength = serializers.IntegerField()
    hops = TraceHopOut(many=True)
    onts = TraceOntOut(many=True)
    total_length_m = serializers.FloatField()
    total_loss_db = serializers.FloatField()
    budget = TraceBudgetOut()
    anomalies = TraceAnomalyOut(many=True)


class ImpactServicePointOut(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    name = serializers.CharField()
    ont = serializers.UUIDField(allow_null=True)
    account = serializers.UUIDField(allow_null=True)


class ImpactAccountOut(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    name = serializers.CharField()


class ImpactCableOut(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    name = serializers.CharField()
    distance_m = serializers.FloatField()
    pathways = serializers.ListField(child=serializers.UUIDField(), required=False)


class ImpactOut(serializers.Serializer):
    service_points = ImpactServicePointOut(many=True)
    accounts = ImpactAccountOut(many=True)
    count = serializers.IntegerField()
    cables = ImpactCableOut(many=True, help_text="A point cut: the cables hit, nearest first.")
    nearest = ImpactCableOut(allow_null=True, help_text="A point cut that hit nothing: the nearest cable.")


class RootCauseCandidateOut(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.UUIDField()
    name = serializers.CharField()
    depth = serializers.FloatField(help_text="Mean hops from the down ONTs: smaller is nearer the customers.")
    cable = serializers.UUIDField(allow_null=True)


class RootCauseOut(serializers.Serializer):
    element = RootCauseCandidateOut(allow_null=True)
    candidates = RootCauseCandidateOut(many=True)


# ---- views -------------------------------------------------------------------------------------------------------


class _NetworkRead(APIView):
    # Questions about the plant: omni.api.permissions.ApiAccess asks for network.view_ponport whatever the method.

    action = "read"
    action_permission = {"read": "view"}

    def get_queryset(self):
        return PonPort.objects.none()


class TraceView(_NetworkRead):
    """Trace from a PON port (downstream: every ONT), an ONT (upstream: the chain to its PON port) or a
    strand end, in one SQL query: hops with cumulative length and loss, the ONTs, the loss budget against the
    PON port's optical class, and anomalies (loops)."""

    @extend_schema(
        operation_id="network_trace",
        parameters=[
            OpenApiParameter("from", str, required=True, description="`<kind>:<id>`: pon_port, ont or strand_end."),
            OpenApiParameter("direction", str, enum=list(trace_services.DIRECTIONS)),
            OpenApiParameter("wavelength", int, enum=list(Wavelength.values)),
            OpenApiParameter("include_planned", bool),
        ],
        responses={200: TraceOut, **error_responses(404)},
    )
    def get(self, request):
        serializer = TraceQueryIn(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kind, start = data["from"]
        result = trace_services.trace_run(
            start_kind=kind, start_id=start, direction=data["direction"], wavelength=int(data["wavelength"]),
            include_planned=data["include_planned"],
        )  # fmt: skip
        if not result.hops:
            raise Http404("No such start.")
        body = {
            "direction": result.direction,
            "wavelength": result.wavelength,
            "hops": result.hops,
            "onts": result.onts,
            "total_length_m": result.total_length_m,
            "total_loss_db": result.total_loss_db,
            "budget": result.budget.as_dict(),
            "anomalies": result.anomalies,
        }
        return Response(TraceOut(body).data)


class ImpactView(_NetworkRead):
    """What a cut or maintenance hits: a point and radius (the cables near it, whole, or some of their tubes
    or strands), or sets of cables, tubes, strands, enclosures, splitters, PON ports, pathways. Answers the
    service points and accounts served through their lit strands (one SQL query). Changes nothing."""

    reads_only = True  # a read-scoped token may ask (omni.api.permissions.reads_only)

    @extend_schema(operation_id="network_impact", request=ImpactIn, responses={200: ImpactOut})
    def post(self, request):
        data = parse(ImpactIn, request)
        planned = data["include_planned"]
        if data.get("point") is not None:
            result = impact_services.impact_at_point(
                point=data["point"], radius_m=data["radius_m"], cables=data["cables"], tubes=data["tubes"],
                strands=data["strands"], include_planned=planned,
            )  # fmt: skip
        else:
            keys = ("cables", "tubes", "strands", "enclosures", "splitters", "pon_ports", "pathways")
            result = impact_services.impact_run(include_planned=planned, **{k: data[k] for k in keys})
        body = {
            "service_points": result.service_points,
            "accounts": result.accounts,
            "count": result.count,
            "cables": result.cables,
            "nearest": result.nearest,
        }
        return Response(ImpactOut(body).data)


class RootCauseView(_NetworkRead):
    """Given the ONTs that are down and those that are up: the elements every down ONT's path crosses and no
    up ONT's does, nearest the customers first (`element` is the first). Changes nothing."""

    reads_only = True

    @extend_schema(operation_id="network_root_cause", request=RootCauseIn, responses={200: RootCauseOut})
    def post(self, request):
        data = parse(RootCauseIn, request)
        answer = impact_services.root_cause(down=data["down"], up=data["up"], include_planned=data["include_planned"])
        return Response(RootCauseOut(answer).data)


urlpatterns = [
    path("trace/", TraceView.as_view(), name="network-trace"),
    path("impact/", ImpactView.as_view(), name="network-impact"),
    path("root-cause/", RootCauseView.as_view(), name="network-root-cause"),
]
