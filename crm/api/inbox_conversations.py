"""The inbox's API: conversations (start one in one call, change status, assignee, team, priority and labels,
merge) and their messages (reply on the channel, or a private note), read by cursor.

Staff only (portal users: 403). Agents and Sales work conversations (crm.view/add/change_conversation,
view/add_message), read channels, teams and labels and write canned replies (add/change); channels, teams, labels
and deleting canned replies are Admin's (crm/apps.py). Lists read rows (crm.selectors.conversation_rows,
message_rows): a fixed number of queries whatever the page size."""

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api import parse
from omni.api.filters import IsoDateTimeFilter, SearchFilter
from omni.api.pagination import CursorPagination
from omni.api.permissions import ApiAccess
from omni.api.views import ApiViewSet
from omni.choices import Audience

from .. import selectors, services
from ..choices import ChannelKind, ConversationStatus, MessageKind
from ..models import Conversation, Message
from .inbox_common import CONFLICT, _renamed
from .inbox_serializers import (
    ConversationChangeIn,
    ConversationMergeIn,
    ConversationOut,
    ConversationStartIn,
    MessageIn,
    MessageOut,
)

# ---- conversations ----------------------------------------------------------------------------------------------


def _search(value: str) -> Q:
    condition = Q(number__iexact=value) | Q(subject__icontains=value)
    for term in value.split()[:4]:
        condition |= Q(contact__first_name__icontains=term) | Q(contact__last_name__icontains=term)
    return condition


class ConversationFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ConversationStatus.choices, distinct=False, label=_("Status"))
    channel = django_filters.UUIDFilter(field_name="channel_id", label=_("Channel"))
    channel_kind = django_filters.ChoiceFilter(
        field_name="channel__kind", choices=ChannelKind.choices, distinct=False, label=_("Channel kind")
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee", label=_("Assignee"), help_text=_('A staff user id, "me" or "none".')
    )
    team = django_filters.CharFilter(method="filter_team", label=_("Team"), help_text=_('A team id or "none".'))
    contact = django_filters.UUIDFilter(field_name="contact_id", label=_("Contact"))
    account = django_filters.UUIDFilter(field_name="account_id", label=_("Account"))
    label = django_filters.CharFilter(method="filter_label", label=_("Label"), help_text=_("A label's name."))
    q = SearchFilter(condition=_search, label=_("Search"), help_text=_("Number, subject or contact name."))
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Conversation
        fields = ["status", "channel", "channel_kind", "assignee", "team", "contact", "account", "label", "q"]

    @staticmethod
    def _id_or(value: str, name: str, words: dict):
        import uuid

        value = (value or "").strip()
        if value.lower() in words:
            return words[value.lower()]
        try:
            return uuid.UUID(value)
        except ValueError:
            choices = ", ".join(f'"{w}"' for w in words)
            raise ValidationError({name: [_("An id or %(w)s.") % {"w": choices}]}) from None

    def filter_assignee(self, queryset, name, value):
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        found = self._id_or(value, name, {"none": None, "me": getattr(user, "pk", None)})
        return queryset.filter(assignee_id=found)

    def filter_team(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(team_id=self._id_or(value, name, {"none": None}))

    def filter_label(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(pk__in=Conversation.labels.through.objects.filter(label__name__iexact=value).values(
            "conversation_id"))  # fmt: skip


class ConversationAccess(ApiAccess):
    """ApiAccess; the thread (`messages`) needs crm.view_message to read and crm.add_message to write, on top of
    crm.view_conversation."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if getattr(view, "action", None) == "messages":
            verb = "view" if request.method in permissions.SAFE_METHODS else "add"
            if not request.user.has_perm(f"crm.{verb}_message"):
                self.message = f"Your role may not {verb} messages."
                return False
        return True


class MessagePagination(CursorPagination):
    """A conversation's thread, newest first, by cursor (`?cursor=&limit=`)."""


class ConversationMessagesFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=MessageKind.choices, distinct=False)

    class Meta:
        model = Message
        fields = ["kind"]


@extend_schema_view(
    list=extend_schema(summary="List conversations", responses={200: ConversationOut(many=True)}),
    retrieve=extend_schema(summary="Get a conversation", responses={200: ConversationOut}),
    create=extend_schema(
        summary="Start an outbound conversation",
        description="In one call and one transaction: the contact (an id, or details: an existing contact with the "
        "email or phone is used, else one is created), the conversation on the channel, and the first message "
        "sent on it. A refused message (no address for the channel, WhatsApp outside the 24-hour window without "
        "a template) is a 400 naming the field and leaves nothing behind.",
        request=ConversationStartIn,
        responses={201: ConversationOut},
    ),
    partial_update=extend_schema(
        summary="Change a conversation",
        description="status (with snoozed_until to snooze), assignee, team, priority, labels (replaced), all in one "
        "transaction. The status it already has is a 409 naming `status`.",
        request=ConversationChangeIn,
        responses={200: ConversationOut, **CONFLICT},
    ),
)
class ConversationViewSet(ApiViewSet, viewsets.GenericViewSet):
    """Conversations with contacts on the inbox's channels; merged ones are gone from here (404)."""

    filterset_class = ConversationFilterSet
    permission_classes = [ConversationAccess]
    ordering_fields = ["last_message_at", "created_at", "updated_at", "number", "status", "priority"]
    ordering = ["-last_message_at"]
    action_permission = {"merge": "change"}
    queryset = Conversation.objects.none()  # for the schema

    def get_queryset(self):
        user = self.request.user
        if getattr(user, "audience", None) != Audience.STAFF or not user.is_staff:
            return Conversation.objects.none()
        return selectors.conversations_live()

    def get_serializer_class(self):
        return ConversationOut

    def _out(self, pk, status_code=status.HTTP_200_OK):
        [row] = selectors.conversation_rows(self.get_queryset().filter(pk=pk))
        return Response(ConversationOut(row).data, status=status_code)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        rows = self.paginator.paginate_rows(queryset, request, selectors.conversation_rows)
        return self.paginator.get_paginated_response(ConversationOut(rows, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return self._out(self.get_object().pk)

    def create(self, request, *args, **kwargs):
        data = parse(ConversationStartIn, request)
        template = data.pop("template")
        try:
            conversation, _message = services.conversation_start(
                channel_id=data["channel"],
                body=data["message"],
                by=request.user,
                contact_id=data["contact"],
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                subject=data["subject"],
                metadata={"template": template} if template else None,
            )
        except ValidationError as exc:
            raise _renamed(exc, {"body": "message"}) from None
        return self._out(conversation.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        conversation = self.get_object()
        data = parse(ConversationChangeIn, request)
        by = request.user
        with transaction.atomic():  # every change or none
            if "status" in data:
                services.conversation_status_set(
                    conversation_id=conversation.pk, status=data["status"], snoozed_until=data["snoozed_until"], by=by
                )
            elif data.get("snoozed_until"):
                raise ValidationError({"snoozed_until": [_("Send it with status snoozed.")]})
            if "assignee" in data or "team" in data:
                assign = {"conversation_id": conversation.pk, "by": by}
                assign["assignee"] = data.get("assignee", conversation.assignee)
                if "team" in data:
                    assign |= {"team_id": data["team"].pk if data["team"] else None, "keep_team": False}
                services.conversation_assign(**assign)
            if "priority" in data:
                services.conversation_priority_set(conversation_id=conversation.pk, priority=data["priority"], by=by)
            if "labels" in data:
                services.conversation_labels_set(conversation_id=conversation.pk, labels=data["labels"], by=by)
        return self._out(conversation.pk)

    @extend_schema(
        summary="Merge this conversation into another",
        description="Every message moves to `target` (another conversation of the same contact), in time order; "
        "this one is then gone from the lists (its thread routes to the target). 409 when the contacts differ.",
        request=ConversationMergeIn,
        responses={200: ConversationOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        source = self.get_object()
        data = parse(ConversationMergeIn, request)
        target = services.conversation_merge(source_id=source.pk, target_id=data["target"].pk, by=request.user)
        return self._out(target.pk)

    @extend_schema(
        methods=["GET"],
        summary="A conversation's thread",
        description="Messages, private notes and activity lines (`kind`), newest first, by cursor.",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, many=True, enum=MessageKind.values),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        responses={200: MessageOut(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Reply, or add a private note",
        description="kind message: sent on the conversation's channel (queued, then delivered; 400 naming `body` "
        "when the channel refuses it, e.g. WhatsApp outside the 24-hour window without a `template`; 409 when "
        "the channel is switched off). kind note: private, never sent; @mentions tell the staff named.",
        request=MessageIn,
        responses={201: MessageOut, **CONFLICT},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=MessagePagination)
    def messages(self, request, pk=None):
        conversation = self.get_object()
        if request.method == "POST":
            return self._message_create(request, conversation)
        filters = ConversationMessagesFilter(request.query_params, queryset=Message.objects.all())
        if not filters.is_valid():
            raise ValidationError({name: list(reasons) for name, reasons in filters.errors.items()})
        queryset = filters.qs.filter(conversation=conversation).only("id", "created_at")
        page = self.paginator.paginate_queryset(queryset, request)  # its own ordering, not the list's
        ids = [message.pk for message in page]
        rows = {row["id"]: row for row in selectors.message_rows(Message.objects.filter(pk__in=ids))}
        return self.paginator.get_paginated_response(MessageOut([rows[i] for i in ids], many=True).data)

    def _message_create(self, request, conversation):
        data = parse(MessageIn, request)
        if data["kind"] == MessageKind.NOTE:
            if data["template"]:
                raise ValidationError({"template": [_("A private note has no template.")]})
            message = services.note_add(conversation_id=conversation.pk, author=request.user, body=data["body"])
        else:
            metadata = {"template": data["template"]} if data["template"] else None
            message = services.reply_send(
                conversation_id=conversation.pk, author=request.user, body=data["body"], metadata=metadata
            )
        [row] = selectors.message_rows(Message.objects.filter(pk=message.pk))
        return Response(MessageOut(row).data, status=status.HTTP_201_CREATED)
