"""The inbox's API: channels (write-only credentials), conversations (start one in one call, change status,
assignee, team, priority and labels, merge), their messages (reply on the channel, or a private note), canned
replies, labels and inbox teams.

Staff only (portal users: 403). Agents and Sales work conversations (crm.view/add/change_conversation,
view/add_message), read channels, teams and labels and write canned replies (add/change); channels, teams, labels
and deleting canned replies are Admin's (crm/apps.py). Lists read rows (crm.selectors.conversation_rows,
message_rows): a fixed number of queries whatever the page size."""

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api import parse
from omni.api.filters import IsoDateTimeFilter, SearchFilter
from omni.api.pagination import CursorPagination
from omni.api.permissions import ApiAccess
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet
from omni.choices import Audience
from omni.models import User

from .. import selectors, services
from ..choices import ChannelKind, ConversationStatus, MessageKind
from ..models import CannedReply, Channel, Conversation, InboxTeam, Label, Message
from .inbox_serializers import (
    CannedReplyIn,
    CannedReplyOut,
    ChannelIn,
    ChannelOut,
    ChannelSecretOut,
    ConversationChangeIn,
    ConversationMergeIn,
    ConversationOut,
    ConversationStartIn,
    InboxTeamIn,
    InboxTeamOut,
    LabelIn,
    LabelOut,
    MessageIn,
    MessageOut,
)

CONFLICT = error_responses(409)
DELETED = OpenApiResponse(description="Deleted")


def _staff(model):
    """Staff see every row; anyone else nothing (ApiAccess refuses them before this is read)."""

    def queryset(request):
        user = request.user
        if getattr(user, "audience", None) != Audience.STAFF or not user.is_staff:
            return model.objects.none()
        return model.objects.all()

    return queryset


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's ValidationError with its fields named as this API names them (body -> message)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(key, key): value for key, value in exc.message_dict.items()})


# ---- channels -----------------------------------------------------------------------------------------------------


class ChannelFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices, distinct=False, label=_("Kind"))
    active = django_filters.BooleanFilter(label=_("Active"))
    q = SearchFilter(
        condition=lambda v: Q(name__icontains=v) | Q(address__icontains=v), label=_("Name or address contains")
    )

    class Meta:
        model = Channel
        fields = ["kind", "active", "q"]


@extend_schema_view(
    list=extend_schema(summary="List channels"),
    retrieve=extend_schema(summary="Get a channel"),
    create=extend_schema(
        summary="Add a channel",
        description="Credentials are write-only and checked per kind (400 naming the field): sms needs "
        "account_sid, auth_token and an E.164 from_number; whatsapp phone_number_id, access_token, app_secret and "
        "verify_token; email an address. api_base_url (an http(s) URL) points sms and whatsapp at another API. An "
        "email or web chat channel gets a generated secret, in `secret` of this answer only.",
        request=ChannelIn,
        responses={201: ChannelSecretOut},
    ),
    update=extend_schema(
        summary="Replace a channel",
        description="A credential left out keeps its value; the kind cannot change (400).",
        request=ChannelIn,
        responses={200: ChannelOut},
    ),
    partial_update=extend_schema(
        summary="Change a channel",
        description="A credential left out keeps its value; `config` replaces the settings.",
        request=ChannelIn,
        responses={200: ChannelOut},
    ),
    destroy=extend_schema(
        summary="Delete a channel",
        description="409 once it has conversations: switch it off (`active: false`) instead.",
        responses={204: DELETED, **CONFLICT},
    ),
)
class ChannelViewSet(ApiViewSet, viewsets.ModelViewSet):
    """The inbox's channels. Staff with crm.view_channel read (never the secrets); Admin writes."""

    serializer_class = ChannelOut
    filterset_class = ChannelFilterSet
    ordering_fields = ["kind", "name", "created_at", "updated_at"]
    ordering = ["kind", "name"]
    action_permission = {"rotate_secret": "change"}
    queryset = Channel.objects.none()  # for the schema; requests go through get_queryset

    def get_queryset(self):
        return _staff(Channel)(self.request)

    def _out(self, pk, status_code=status.HTTP_200_OK, secret=None):
        channel = self.get_queryset().get(pk=pk)
        if secret is None:
            return Response(ChannelOut(channel).data, status=status_code)
        return Response(ChannelSecretOut(channel, context={"secret": secret}).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = ChannelIn(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        channel, secret = services.channel_create(by=request.user, **serializer.service_fields())
        return self._out(channel.pk, status.HTTP_201_CREATED, secret=secret)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        channel = self.get_object()
        serializer = ChannelIn(data=request.data, partial=partial, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.channel_update(channel_id=channel.pk, by=request.user, **serializer.service_fields())
        return self._out(channel.pk)

    def destroy(self, request, *args, **kwargs):
        services.channel_delete(channel_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Generate a new secret",
        description="Email (the inbound Bearer secret) and web chat (the identity HMAC secret): the old one stops "
        "working now; the new one is in `secret` of this answer only. 409 for sms and whatsapp, whose secrets come "
        "from the provider (change the credentials instead).",
        request=None,
        responses={200: ChannelSecretOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        channel, secret = services.channel_secret_rotate(channel_id=self.get_object().pk, by=request.user)
        return self._out(channel.pk, secret=secret)


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
