"""The inbox's API: its configuration resources beside channels, i.e. canned replies, labels and inbox teams, each
written through crm.services.

Staff only (portal users: 403). Agents and Sales work conversations (crm.view/add/change_conversation,
view/add_message), read channels, teams and labels and write canned replies (add/change); channels, teams, labels
and deleting canned replies are Admin's (crm/apps.py). Lists read rows (crm.selectors.conversation_rows,
message_rows): a fixed number of queries whatever the page size."""

import django_filters
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from omni.api import parse
from omni.api.filters import SearchFilter
from omni.api.views import ApiViewSet
from omni.models import User

from .. import services
from ..models import CannedReply, InboxTeam, Label
from .inbox_common import DELETED, _staff
from .inbox_serializers import CannedReplyIn, CannedReplyOut, InboxTeamIn, InboxTeamOut, LabelIn, LabelOut

# ---- canned replies, labels, inbox teams --------------------------------------------------------------------------


class CannedReplyFilterSet(django_filters.FilterSet):
    q = SearchFilter(
        condition=lambda v: Q(shortcode__icontains=v) | Q(title__icontains=v) | Q(body__icontains=v),
        label=_("Search"),
        help_text=_("Shortcode, title or text contains."),
    )
    shortcode = django_filters.CharFilter(
        field_name="shortcode", lookup_expr="istartswith", label=_("Shortcode starts with")
    )

    class Meta:
        model = CannedReply
        fields = ["q", "shortcode"]


def _crud_schema(noun: str, plural: str, out, into, delete_note: str = ""):
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", responses={200: out(many=True)}),
        retrieve=extend_schema(summary=f"Get a {noun}", responses={200: out}),
        create=extend_schema(summary=f"Add a {noun}", request=into, responses={201: out}),
        update=extend_schema(summary=f"Replace a {noun}", request=into, responses={200: out}),
        partial_update=extend_schema(summary=f"Change a {noun}", request=into, responses={200: out}),
        destroy=extend_schema(summary=f"Delete a {noun}", description=delete_note, responses={204: DELETED}),
    )


class _ConfigViewSet(ApiViewSet, viewsets.ModelViewSet):
    """A configuration resource: staff read with view_<model>, write with add/change/delete_<model>; writes
    through `create_service(by=, **fields)`, `update_service(<id_arg>=, by=, **fields)`, `delete_service`."""

    model: type
    serializer_in: type
    id_arg: str

    def get_queryset(self):
        return _staff(self.model)(self.request)

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(self.serializer_class(self.get_queryset().get(pk=pk)).data, status=status_code)

    def _fields(self, data: dict) -> dict:
        return data

    def create(self, request, *args, **kwargs):
        record = type(self).create_service(by=request.user, **self._fields(parse(self.serializer_in, request)))
        return self._out(record.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        record = self.get_object()
        data = self._fields(parse(self.serializer_in, request, partial=partial))
        type(self).update_service(**{self.id_arg: record.pk}, by=request.user, **data)
        return self._out(record.pk)

    def destroy(self, request, *args, **kwargs):
        type(self).delete_service(**{self.id_arg: self.get_object().pk}, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@_crud_schema("canned reply", "canned replies", CannedReplyOut, CannedReplyIn)
class CannedReplyViewSet(_ConfigViewSet):
    """Saved answers, inserted by typing /shortcode. Agents and Sales add and change them; Admin deletes."""

    model, serializer_class, serializer_in, id_arg = CannedReply, CannedReplyOut, CannedReplyIn, "reply_id"
    create_service = staticmethod(services.cannedreply_create)
    update_service = staticmethod(services.cannedreply_update)
    delete_service = staticmethod(services.cannedreply_delete)
    filterset_class = CannedReplyFilterSet
    ordering_fields = ["shortcode", "title", "created_at", "updated_at"]
    ordering = ["shortcode"]
    queryset = CannedReply.objects.none()


class NameFilterSet(django_filters.FilterSet):
    q = SearchFilter(condition=lambda v: Q(name__icontains=v), label=_("Name contains"))


class LabelFilterSet(NameFilterSet):
    class Meta:
        model = Label
        fields = ["q"]


class InboxTeamFilterSet(NameFilterSet):
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = InboxTeam
        fields = ["q", "active"]


@_crud_schema("label", "labels", LabelOut, LabelIn, "Conversations lose the label.")
class LabelViewSet(_ConfigViewSet):
    """Labels of conversations. Staff read; Admin writes (conversations get and lose labels through PATCH
    .../conversations/{id}/)."""

    model, serializer_class, serializer_in, id_arg = Label, LabelOut, LabelIn, "label_id"
    create_service = staticmethod(services.label_create)
    update_service = staticmethod(services.label_update)
    delete_service = staticmethod(services.label_delete)
    filterset_class = LabelFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]
    queryset = Label.objects.none()


@_crud_schema("inbox team", "inbox teams", InboxTeamOut, InboxTeamIn, "Its channels and conversations keep working.")
class InboxTeamViewSet(_ConfigViewSet):
    """Teams of agents: new conversations of a team's channels are auto-assigned round-robin among its available
    members (when auto_assign). Staff read; Admin writes."""

    model, serializer_class, serializer_in, id_arg = InboxTeam, InboxTeamOut, InboxTeamIn, "team_id"
    create_service = staticmethod(services.inboxteam_create)
    update_service = staticmethod(services.inboxteam_update)
    delete_service = staticmethod(services.inboxteam_delete)
    filterset_class = InboxTeamFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]
    queryset = InboxTeam.objects.none()

    def get_queryset(self):
        return super().get_queryset().prefetch_related(Prefetch("members", queryset=User.objects.only("id").order_by()))
