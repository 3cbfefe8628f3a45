"""Thin viewsets (STYLE.md section 5): parse an `…In`, call a service, answer with an `…Out` re-read through the
audience's selector."""

import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from omni.api import parse
from omni.api.permissions import ApiAccess, signed_in_may
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet
from omni.choices import Audience

from .. import selectors, services
from .filters import BusinessCalendarFilterSet, TicketFilterSet
from .serializers import (
    BusinessCalendarIn,
    BusinessCalendarOut,
    BusinessHoursSetIn,
    HolidayIn,
    HolidayOut,
    HolidaySeedIn,
    HolidaySeedOut,
    SLAPolicyOut,
    TeamOut,
    TicketChangeIn,
    TicketCommentIn,
    TicketCommentOut,
    TicketIn,
    TicketOut,
)

PORTALS = (Audience.CUSTOMER, Audience.RESELLER)
DATE_PARAMETER = OpenApiParameter("date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="YYYY-MM-DD")


@extend_schema_view(
    list=extend_schema(summary="List business calendars", responses={200: BusinessCalendarOut(many=True)}),
    retrieve=extend_schema(summary="Get a business calendar", responses={200: BusinessCalendarOut}),
    create=extend_schema(
        summary="Create a business calendar", request=BusinessCalendarIn, responses={201: BusinessCalendarOut}
    ),
    update=extend_schema(
        summary="Replace a business calendar", request=BusinessCalendarIn, responses={200: BusinessCalendarOut}
    ),
    partial_update=extend_schema(
        summary="Change a business calendar", request=BusinessCalendarIn, responses={200: BusinessCalendarOut}
    ),
    destroy=extend_schema(
        summary="Delete a business calendar",
        description="Refused (409) while an SLA policy uses the calendar.",
        responses={204: OpenApiResponse(description="Deleted"), **error_responses(409)},
    ),
)
class BusinessCalendarViewSet(ApiViewSet, viewsets.ModelViewSet):
    """Business calendars with their hours and holidays. Staff read them with tickets.view_businesscalendar and
    write with add/change/delete (hours and holidays are changes of their calendar); portal users are refused
    (403)."""

    serializer_class = BusinessCalendarOut
    filterset_class = BusinessCalendarFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]
    action_permission = {"hours": "change", "holidays": "change", "holiday_delete": "change", "seed": "change"}

    def get_queryset(self):
        return selectors.calendar_list_visible_to(user=self.request.user)

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(BusinessCalendarOut(self.get_queryset().get(pk=pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        calendar = services.calendar_create(by=request.user, **parse(BusinessCalendarIn, request))
        return self._out(calendar.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        data = parse(BusinessCalendarIn, request, partial=kwargs.pop("partial", False))
        calendar = services.calendar_update(calendar_id=self.get_object().pk, by=request.user, **data)
        return self._out(calendar.pk)

    def destroy(self, request, *args, **kwargs):
        services.calendar_delete(calendar_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Set a weekday's business hours",
        description="Replaces the weekday's ranges with those given (none: a day off). Overlaps are a 400.",
        request=BusinessHoursSetIn,
        responses={200: BusinessCalendarOut},
    )
    @action(detail=True, methods=["post"])
    def hours(self, request, pk=None):
        data = parse(BusinessHoursSetIn, request)
        ranges = [(item["start"], item["end"]) for item in data["ranges"]]
        services.hours_set(calendar_id=self.get_object().pk, weekday=data["weekday"], ranges=ranges, by=request.user)
        return self._out(pk)

    @extend_schema(
        summary="Add a holiday by hand",
        description="A date the calendar has a holiday on already is a 400 naming `date`.",
        request=HolidayIn,
        responses={201: HolidayOut},
    )
    @action(detail=True, methods=["post"])
    def holidays(self, request, pk=None):
        data = parse(HolidayIn, request)
        holiday = services.holiday_add(calendar_id=self.get_object().pk, by=request.user, **data)
        return Response(HolidayOut(holiday).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a holiday",
        parameters=[DATE_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Removed (or there was none)")},
    )
    @action(detail=True, methods=["delete"], url_path=r"holidays/(?P<date>\d{4}-\d{2}-\d{2})")
    def holiday_delete(self, request, pk=None, date=None):
        try:
            day = datetime.date.fromisoformat(date)
        except ValueError:
            raise NotFound() from None  # a malformed date names no holiday, as a malformed id names no row
        services.holiday_delete(calendar_id=self.get_object().pk, date=day, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Seed public holidays",
        description="Adds the public holidays of a country (the calendar's when blank) in a year, from the "
        "`holidays` package; dates the calendar has already are kept.",
        request=HolidaySeedIn,
        responses={200: HolidaySeedOut},
    )
    @action(detail=True, methods=["post"], url_path="seed-holidays")
    def seed(self, request, pk=None):
        data = parse(HolidaySeedIn, request)
        added = services.holidays_seed(calendar_id=self.get_object().pk, by=request.user, **data)
        return Response(HolidaySeedOut({"added": added}).data)


@extend_schema_view(
    list=extend_schema(summary="List SLA policies", responses={200: SLAPolicyOut(many=True)}),
    retrieve=extend_schema(summary="Get an SLA policy", responses={200: SLAPolicyOut}),
)
class SLAPolicyViewSet(ApiViewSet, viewsets.ReadOnlyModelViewSet):
    """SLA policies in the order they are tried, with their conditions, targets and escalation rules; read-only
    here (Admin edits them in the admin). Staff with tickets.view_slapolicy."""

    serializer_class = SLAPolicyOut
    ordering_fields = ["position", "name", "updated_at"]
    ordering = ["position"]

    def get_queryset(self):
        return selectors.sla_policy_list_visible_to(user=self.request.user)


# ---- teams and tickets -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List teams (queues)", responses={200: TeamOut(many=True)}),
    retrieve=extend_schema(summary="Get a team", responses={200: TeamOut}),
)
class TeamViewSet(ApiViewSet, viewsets.ReadOnlyModelViewSet):
    """Teams (queues) and their members; read-only here (Admin edits them in the admin). Staff with
    tickets.view_team."""

    serializer_class = TeamOut
    ordering_fields = ["name", "updated_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.team_list_visible_to(user=self.request.user)


class TicketAccess(ApiAccess):
    """ApiAccess, except that the portal users who read tickets may also reply on them (comment_create): a
    customer's reply is how a resolved ticket reopens."""

    def has_permission(self, request, view):
        user = request.user
        if (
            getattr(view, "action", None) == "comment_create"
            and getattr(user, "audience", None) in view.portal_audiences
        ):
            return signed_in_may(self, request)
        return super().has_permission(request, view)


TICKET_ERRORS = error_responses(409)


@extend_schema_view(
    list=extend_schema(summary="List tickets", responses={200: TicketOut(many=True)}),
    retrieve=extend_schema(summary="Get a ticket", responses={200: TicketOut}),
    create=extend_schema(summary="Open a ticket", request=TicketIn, responses={201: TicketOut}),
    update=extend_schema(
        summary="Replace a ticket's fields", request=TicketChangeIn, responses={200: TicketOut, **TICKET_ERRORS}
    ),
    partial_update=extend_schema(
        summary="Change a ticket",
        description="A `status` change follows the transition rules: an invalid move is a 409 naming both "
        "statuses; resolving needs `resolution` (400); closed is final (open a follow-up with `follow_up_of`).",
        request=TicketChangeIn,
        responses={200: TicketOut, **TICKET_ERRORS},
    ),
)
class TicketViewSet(ApiViewSet, viewsets.ModelViewSet):
    """Tickets. Staff with tickets.view_ticket see their teams' tickets, the unteamed intake, their own and those
    of teams they were given read or full access to (Admin: all); a customer their account's; a reseller user
    their accounts'. Staff write with add/change_ticket; read-only access to a team is a 403 on writes."""

    serializer_class = TicketOut
    filterset_class = TicketFilterSet
    portal_audiences = PORTALS
    permission_classes = [TicketAccess]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering_fields = ["number", "priority", "status", "created_at", "updated_at"]
    ordering = ["-created_at"]
    action_permission = {"comments": "view", "comment_create": "change"}

    def get_queryset(self):
        # TicketOut names related rows by id: no joins; the full-text vectors are never shown.
        tickets = selectors.ticket_list_visible_to(user=self.request.user)
        return tickets.select_related(None).defer("search_vector", "notes_vector")

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(TicketOut(self.get_queryset().get(pk=pk)).data, status=status_code)

    def list(self, request, *args, **kwargs):
        # rows shaped as TicketOut straight from values(): no model instances on a list page
        queryset = self.filter_queryset(self.get_queryset())
        return self.paginator.get_paginated_response(
            self.paginator.paginate_rows(queryset, request, selectors.ticket_rows)
        )

    @staticmethod
    def _ids(data: dict) -> dict:
        related = ("account", "contact", "team", "assignee", "parent", "follow_up_of")
        return {
            f"{k}_id" if k in related else k: (v.pk if k in related and v is not None else v) for k, v in data.items()
        }

    def create(self, request, *args, **kwargs):
        data = self._ids(parse(TicketIn, request))
        ticket = services.ticket_create(by=request.user, **data)
        return self._out(ticket.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self._ids(parse(TicketChangeIn, request, partial=kwargs.pop("partial", False)))
        services.ticket_update(ticket_id=ticket.pk, by=request.user, **data)
        return self._out(ticket.pk)

    @extend_schema(
        summary="List a ticket's comments",
        description="Public replies and, for staff, internal notes; portal users see public replies only.",
        responses={200: TicketCommentOut(many=True)},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def comments(self, request, pk=None):
        ticket = self.get_object()
        comments = selectors.comment_list_visible_to(user=request.user, ticket_id=ticket.pk)
        return Response(TicketCommentOut(comments, many=True).data)

    @extend_schema(
        summary="Reply or add an internal note",
        description="Portal users post public replies only (400 naming `public` otherwise); a customer's reply "
        "reopens a resolved or pending ticket; the first public staff reply is the first response. A closed "
        "ticket takes no comments (409).",
        request=TicketCommentIn,
        responses={201: TicketCommentOut, **TICKET_ERRORS},
    )
    @comments.mapping.post
    def comment_create(self, request, pk=None):
        ticket = self.get_object()
        data = parse(TicketCommentIn, request)
        comment = services.comment_add(ticket_id=ticket.pk, author=request.user, **data)
        return Response(TicketCommentOut(comment).data, status=status.HTTP_201_CREATED)
