"""Dispatching through the API (DOMAIN.md C.4): a work order's candidates, graded slots and booking
(/api/v1/workforce/work-orders/<id>/candidates/, slots/, book/), and dispatch runs (dispatch-runs/).

Who: staff with workforce.change_workorder (the Dispatcher role) for the work-order actions, whatever the
method (they are dispatching, not reading); dispatch runs need view/add_dispatchrun, applying or discarding one
change_dispatchrun. Portal users are refused (403), like every staff-only resource; an unknown work order or run
is a 404."""

from __future__ import annotations

import datetime

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from omni.api import parse
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet

from .. import selectors
from ..choices import DispatchRunKind, Solver
from ..models import DispatchRun, SchedulingPolicy, ServiceTerritory, Technician, WorkOrder
from ..services import dispatch as dispatch_services
from ..services import slots as slot_services
from ..services.policies import policy_at

MAX_SLOTS = 100


# ---- input -----------------------------------------------------------------------------------------------------


class CandidatesQueryIn(serializers.Serializer):
    start = serializers.DateTimeField(
        required=False, help_text="A slot start: the shift must cover [start, start + duration) and it be free."
    )
    radius_m = serializers.FloatField(required=False, min_value=1, max_value=500_000)
    policy = serializers.PrimaryKeyRelatedField(
        queryset=SchedulingPolicy.objects.all(),
        required=False,
        help_text="The scheduling policy whose hard rules apply; default: the default policy of the smallest "
        "territory covering the work order (else the global default), as slot search and booking use.",
    )


class SlotsQueryIn(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="The first day (the territory's time zone); today.")
    days = serializers.IntegerField(required=False, default=7, min_value=1, max_value=14)
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=MAX_SLOTS)
    technician = serializers.UUIDField(required=False, help_text="Only this technician's slots.")


class BookIn(serializers.Serializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.filter(active=True), required=False)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False, help_text="Default: start + the work order's duration.")
    travel_minutes = serializers.IntegerField(required=False, default=0, min_value=0, max_value=24 * 60)

    def validate(self, attrs):
        if bool(attrs.get("technician")) != bool(attrs.get("start")):
            missing = "start" if attrs.get("technician") else "technician"
            raise serializers.ValidationError({missing: ["A given slot names its technician and its start."]})
        if attrs.get("end") and not attrs.get("start"):
            raise serializers.ValidationError({"start": ["An end needs its start."]})
        return attrs


class DispatchRunIn(serializers.Serializer):
    date = serializers.DateField()
    territory = serializers.PrimaryKeyRelatedField(queryset=ServiceTerritory.objects.all(), required=False)
    policy = serializers.PrimaryKeyRelatedField(
        queryset=SchedulingPolicy.objects.all(), required=False, help_text="Default: the territory's default."
    )
    horizon_days = serializers.IntegerField(required=False, default=1, min_value=1, max_value=14)
    solver = serializers.ChoiceField(choices=Solver.choices, required=False, default=Solver.VROOM)
    time_limit_s = serializers.IntegerField(
        required=False, default=10, min_value=1, max_value=240, help_text="Within the Celery soft time limit (300 s)."
    )
    kind = serializers.ChoiceField(choices=DispatchRunKind.choices, required=False, default=DispatchRunKind.GLOBAL)
    not_before = serializers.DateTimeField(required=False, help_text="In-day: plan from this moment (now).")


# ---- output ----------------------------------------------------------------------------------------------------


class CandidateOut(serializers.Serializer):
    technician = serializers.UUIDField()
    name = serializers.CharField()
    distance_m = serializers.FloatField(allow_null=True, help_text="From the home base, straight line.")


class SlotOut(serializers.Serializer):
    technician = serializers.UUIDField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    grade = serializers.IntegerField(help_text="0-100, the policy's weighted objectives.")
    travel_minutes = serializers.IntegerField(help_text="From the stop before.")


class BookedOut(serializers.Serializer):
    id = serializers.UUIDField()
    work_order = serializers.UUIDField(source="work_order_id")
    technician = serializers.UUIDField(source="technician_id")
    start = serializers.DateTimeField(source="scheduled.lower")
    end = serializers.DateTimeField(source="scheduled.upper")
    travel_minutes = serializers.IntegerField(source="travel_before_minutes")
    status = serializers.CharField()


class AssignmentOut(serializers.Serializer):
    work_order = serializers.UUIDField(source="work_order_id")
    number = serializers.CharField(source="work_order.number")
    technician = serializers.UUIDField(source="technician_id")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    travel_minutes = serializers.IntegerField()
    seq = serializers.IntegerField()
    change = serializers.CharField(help_text="new, move, keep or pinned (fixed work, kept).")


class UnassignedOut(serializers.Serializer):
    work_order = serializers.UUIDField()
    number = serializers.CharField()
    rule = serializers.CharField(help_text="The hard rule (or capacity) that kept it out.")
    reason = serializers.CharField()


class DispatchRunOut(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    unassigned = UnassignedOut(many=True, read_only=True)

    class Meta:
        model = DispatchRun
        fields = [
            "id", "url", "status", "progress", "kind", "date", "horizon_days", "not_before", "territory", "policy",
            "solver", "time_limit_s", "total_travel_minutes", "objective", "solve_seconds", "unassigned", "error",
            "created_at", "started_at", "finished_at", "applied_at",
        ]  # fmt: skip

    def get_url(self, run) -> str:
        return reverse("dispatch-run-detail", kwargs={"pk": run.pk}) + "/"


class DispatchRunDetailOut(DispatchRunOut):
    assignments = AssignmentOut(many=True, read_only=True)

    class Meta(DispatchRunOut.Meta):
        fields = [*DispatchRunOut.Meta.fields, "assignments"]


# ---- work-order actions ----------------------------------------------------------------------------------------


class _Dispatching(APIView):
    """omni.api.permissions.ApiAccess asks for workforce.change_workorder whatever the method."""

    action = "dispatch"
    action_permission = {"dispatch": "change"}

    def get_queryset(self):
        return WorkOrder.objects.all()

    def work_order(self, pk) -> WorkOrder:
        return get_object_or_404(self.get_queryset(), pk=pk)


class WorkOrderCandidatesView(_Dispatching):
    """The technicians passing the hard rules for the work order (skills at level with a valid certification,
    territory membership that day, shift, no time off or overlapping appointment with `start`; as the policy
    sets them: the `policy` given, else the covering territory's default), members first, then nearest: one
    query for any number of technicians, one to name them."""

    @extend_schema(
        operation_id="workforce_work_order_candidates",
        parameters=[CandidatesQueryIn],
        responses={200: CandidateOut(many=True), **error_responses(404)},
    )
    def get(self, request, pk):
        query = CandidatesQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        work_order = self.work_order(pk)
        data = dict(query.validated_data)
        policy = data.pop("policy", None) or policy_at(work_order.location)
        found = selectors.work_order_candidates(work_order_id=work_order.pk, policy=policy, **data)
        body = [{"technician": c.technician.pk, "name": str(c.technician), "distance_m": c.distance_m} for c in found]
        return Response(CandidateOut(body, many=True).data)


class WorkOrderSlotsView(_Dispatching):
    """Graded slots (0-100) inside the arrival window, best first, with the travel from the stop before."""

    @extend_schema(
        operation_id="workforce_work_order_slots",
        parameters=[SlotsQueryIn],
        responses={200: SlotOut(many=True), **error_responses(404)},
    )
    def get(self, request, pk):
        query = SlotsQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        work_order = self.work_order(pk)
        technician = data.get("technician")
        found = slot_services.slot_search(
            work_order,
            start=data.get("start"),
            days=data["days"],
            limit=data["limit"],
            technician_ids=[technician] if technician else None,
        )
        return Response(SlotOut([s.as_dict() for s in found], many=True).data)


class WorkOrderBookView(_Dispatching):
    """Books the best slot, or the one given (`technician` and `start`). A slot taken meanwhile (the exclusion
    constraint) moves on to the next; none left is a 409. A given slot breaking a hard rule is a 400 naming
    `start` and the `rule`."""

    @extend_schema(
        operation_id="workforce_work_order_book",
        request=BookIn,
        responses={201: BookedOut, **error_responses(404, 409)},
    )
    def post(self, request, pk):
        data = parse(BookIn, request)
        work_order = self.work_order(pk)
        slot = None
        if data.get("technician"):
            start = data["start"]
            end = data.get("end") or start + datetime.timedelta(minutes=work_order.duration_minutes)
            slot = slot_services.Slot(data["technician"].pk, start, end, 0, data["travel_minutes"])
        appointment = slot_services.book_best(work_order, slot, by=request.user)
        return Response(BookedOut(appointment).data, status=status.HTTP_201_CREATED)


# ---- dispatch runs ---------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List dispatch runs", responses={200: DispatchRunOut(many=True)}),
    retrieve=extend_schema(summary="Get a dispatch run with its proposal", responses={200: DispatchRunDetailOut}),
    create=extend_schema(
        summary="Start a dispatch run",
        description="Queues the optimisation; answers 202 with the run (its `url` to poll).",
        request=DispatchRunIn,
        responses={202: DispatchRunOut},
    ),
)
class DispatchRunViewSet(
    ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Optimisation runs: status and progress while solving, then the proposal (assignments, unassigned work
    with the rule that excluded it, total travel) to apply in one transaction."""

    ordering_fields = ["created_at", "date"]
    ordering = ["-created_at"]
    action_permission = {"apply": "change", "discard": "change"}

    def get_queryset(self):
        runs = DispatchRun.objects.all()
        if self.action == "retrieve":
            runs = runs.prefetch_related("assignments__work_order")
        return runs

    def get_serializer_class(self):
        return DispatchRunDetailOut if self.action == "retrieve" else DispatchRunOut

    def create(self, request, *args, **kwargs):
        data = parse(DispatchRunIn, request)
        run = dispatch_services.dispatch_run_create(by=request.user, **data)
        body = DispatchRunOut(run).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        summary="Apply a proposed run", request=None, responses={200: DispatchRunDetailOut, **error_responses(409)}
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        run = dispatch_services.dispatch_run_apply(run_id=self.get_object().pk, by=request.user)
        return Response(DispatchRunDetailOut(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(summary="Discard a run", request=None, responses={200: DispatchRunOut, **error_responses(409)})
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        run = dispatch_services.dispatch_run_discard(run_id=self.get_object().pk, by=request.user)
        return Response(DispatchRunOut(run).data)


# Separate paths, not actions on the work-order viewset (workforce.api.views), so the two never clash.
work_order_paths = [
    path("work-orders/<uuid:pk>/candidates/", WorkOrderCandidatesView.as_view(), name="work-order-candidates"),
    path("work-orders/<uuid:pk>/slots/", WorkOrderSlotsView.as_view(), name="work-order-slots"),
    path("work-orders/<uuid:pk>/book/", WorkOrderBookView.as_view(), name="work-order-book"),
]
