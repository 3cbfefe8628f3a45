"""The inbox in the staff console (issue 11, part 3), after Chatwoot's: the list (views mine / unassigned / my teams
/ all with counts, filters by channel, label, status, team and text, three sorts, pages, the table refreshed by
htmx) and the conversation page (the whole thread, the contact, their account with its open tickets and recent work
orders, their other conversations; reply, private note with @mentions, canned replies by `/shortcode`, labels,
assignment, status with snooze presets, priority, a ticket from the conversation).

Every write goes through crm.services (tickets.services for the ticket); every staff user with
crm.view_conversation sees every conversation (one organisation per instance). The pages follow changes live:
static/js/inbox.js listens to the Server-Sent Events streams (LIVE_URL, the conversation's live URL) and refetches
the fragments below (the list's table, one message, the header)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from crm import selectors, services
from crm.choices import ChannelKind, ConversationPriority, ConversationStatus, MessageKind
from crm.models import CannedReply, Conversation, InboxTeam, Label, Message, MessageAttachment
from crm.providers import whatsapp
from omni.choices import Audience
from omni.exceptions import DomainError, NotAllowed
from omni.models import User
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.choices import DONE_STATUSES
from workforce import selectors as workforce_selectors

from ...htmx import wants_partial
from ..forms_inbox_console import (
    STATUS_ALL,
    VIEWS,
    AssignForm,
    InboxFilterForm,
    LabelForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TicketFromConversationForm,
)
from ..helpers import INVALID, staff_view

PAGE_SIZE = 25
SIDEBAR_ROWS = 5  # open tickets, work orders and other conversations shown beside the thread
CANNED_LIMIT = 8
# The live streams and the typing endpoint (built beside this page, portals/staff/urls_inbox_live.py). The pages
# take them from the context so the URLs can move without touching the JS.
LIVE_URL = "/inbox/live/"
CONVERSATION_LIVE_URL = "/inbox/{pk}/live/"
TYPING_URL = "/inbox/{pk}/typing/"
SORTS = {
    "newest": [F("last_message_at").desc(nulls_last=True), "-created_at", "pk"],
    "oldest": [F("last_message_at").asc(nulls_last=True), "created_at", "pk"],
    # The customer who wrote first and still waits: the oldest last customer message first.
    "waiting": [F("last_inbound_at").asc(nulls_last=True), "created_at", "pk"],
}

VIEW = "crm.view_conversation"
CHANGE = "crm.change_conversation"


# ---- the list ------------------------------------------------------------------------------------------------


def _view_q(view: str, user) -> Q | None:
    """The conversations of a view (None: every one)."""
    if view == "mine":
        return Q(assignee_id=user.pk)
    if view == "unassigned":
        return Q(assignee__isnull=True)
    if view == "teams":
        member = InboxTeam.members.through.objects.filter(inboxteam_id=OuterRef("team_id"), user_id=user.pk)
        return Q(Exists(member))
    return None


def _status_q(status: str) -> Q | None:
    return None if status == STATUS_ALL else Q(status=status)


def _both(*conditions: Q | None) -> Q | None:
    found = [c for c in conditions if c is not None]
    if not found:
        return None
    combined = found[0]
    for condition in found[1:]:
        combined &= condition
    return combined


def _search(queryset, text: str):
    """Each word must match the number, subject, the contact's name, email or phone, or a message's text."""
    for word in text.split()[:8]:
        said = Message.objects.filter(conversation=OuterRef("pk"), kind=MessageKind.MESSAGE, body__icontains=word)
        queryset = queryset.filter(
            Q(number__iexact=word)
            | Q(subject__icontains=word)
            | Q(contact__first_name__icontains=word)
            | Q(contact__last_name__icontains=word)
            | Q(contact__email__icontains=word)
            | Q(contact__phone__icontains=word)
            | Q(Exists(said))
        )
    return queryset


def _filtered(data: dict):
    """The live conversations matching the filters that are not the view or the status (the counts split those)."""
    queryset = selectors.conversations_live()
    if data.get("channel"):
        queryset = queryset.filter(channel=data["channel"])
    if data.get("team"):
        queryset = queryset.filter(team=data["team"])
    if data.get("label"):
        tagged = Conversation.labels.through.objects.filter(conversation_id=OuterRef("pk"), label=data["label"])
        queryset = queryset.filter(Exists(tagged))
    if data.get("q", "").strip():
        queryset = _search(queryset, data["q"])
    return queryset


def inbox_counts(queryset, user) -> dict[str, int]:
    """How many conversations each view holds in each status ("mine__open", "all__all", ...), in one grouped
    query."""
    statuses = [*ConversationStatus.values, STATUS_ALL]
    aggregates = {}
    for view, _label in VIEWS:
        for status in statuses:
            condition = _both(_view_q(view, user), _status_q(status))
            aggregates[f"{view}__{status}"] = Count("pk", filter=condition) if condition is not None else Count("pk")
    return queryset.aggregate(**aggregates)


def inbox_rows(queryset):
    """The list's rows: contact, channel, assignee and team joined; the last message's text and direction and the
    labels (name, colour) as subqueries, so a page is one query whatever its size."""
    last = Message.objects.filter(conversation=OuterRef("pk"), kind=MessageKind.MESSAGE).order_by("-created_at")
    labels = Label.objects.filter(conversations=OuterRef("pk")).order_by("name")
    return queryset.select_related("contact", "channel", "assignee", "team").annotate(
        last_body=Subquery(last.values("body")[:1]),
        last_direction=Subquery(last.values("direction")[:1]),
        label_list=ArraySubquery(labels.values(json=JSONObject(name="name", colour="colour"))),
    )


@staff_view(VIEW)
@vary_on_headers("HX-Request")
def inbox_list(request):
    """The inbox list, or its table (#inbox-table) to htmx (the filters, the live refresh). Bad filters: 400 (422
    to htmx) with the form's errors and no rows."""
    form = InboxFilterForm(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {"view": "all", "status": ConversationStatus.OPEN, "sort": "newest"}
    base = _filtered(data) if valid else selectors.conversations_live().none()
    counts = inbox_counts(base, request.user)
    rows = base
    condition = _both(_view_q(data["view"], request.user), _status_q(data["status"]))
    if condition is not None:
        rows = rows.filter(condition)
    rows = inbox_rows(rows).order_by(*SORTS[data["sort"]])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "data": data,
        "page": page,
        "counts": counts,
        "views": [(key, label, counts[f"{key}__{data['status']}"]) for key, label in VIEWS],
        "statuses": [
            (key, label, counts[f"{data['view']}__{key}"])
            for key, label in [*ConversationStatus.choices, (STATUS_ALL, _("All"))]
        ],
        "live_url": LIVE_URL,
        "today": timezone.localdate().isoformat(),
        "nav_inbox": True,
    }
    htmx = wants_partial(request)
    status = 200 if valid else (INVALID if htmx else 400)
    template = "staff/inbox/list.html" + ("#inbox-table" if htmx else "")
    return render(request, template, context, status=status)


# ---- the conversation page ---------------------------------------------------------------------------------


def _conversation(pk) -> Conversation:
    """A live conversation (404 when unknown; a merged one redirects to its survivor in the page view)."""
    return get_object_or_404(
        Conversation.objects.select_related("contact", "account", "channel", "assignee", "team").prefetch_related(
            "labels"
        ),
        pk=pk,
    )


def _thread(conversation: Conversation):
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author", "sender")
        .prefetch_related("attachments", "mentions")
        .order_by("created_at", "id")
    )


def inbox_agents():
    """Who a conversation may be assigned to: active staff whose role (or own permissions) let them view
    conversations, and superusers."""
    holds = Q(
        groups__permissions__codename="view_conversation", groups__permissions__content_type__app_label="crm"
    ) | Q(user_permissions__codename="view_conversation", user_permissions__content_type__app_label="crm")
    return User.objects.working_staff().filter(holds | Q(is_superuser=True)).distinct().order_by("email")


def whatsapp_window_open(conversation: Conversation) -> bool:
    """True unless a WhatsApp conversation's customer has been silent for 24 hours (or never wrote): then only an
    approved template may be sent (crm.providers.whatsapp). Other channels have no window."""
    if conversation.channel.kind != ChannelKind.WHATSAPP:
        return True
    return whatsapp.whatsapp_window_open(conversation)


def _header_context(request, conversation: Conversation, **extra) -> dict:
    return {
        "conversation": conversation,
        "can_change": request.user.has_perm(CHANGE),
        "statuses": ConversationStatus.choices,
        "priorities": ConversationPriority.choices,
        "all_labels": list(Label.objects.all()),
        "assign_form": AssignForm(
            initial={"assignee": conversation.assignee_id, "team": conversation.team_id}, agents=inbox_agents()
        ),
        "status_form": extra.pop("status_form", None) or StatusForm(initial={"status": conversation.status}),
        **extra,
    }


def _sidebar_context(request, conversation: Conversation) -> dict:
    user = request.user
    account = conversation.account
    tickets = ticket_selectors.ticket_list_visible_to(user=user)
    open_tickets, work_orders = [], []
    if account is not None:
        open_tickets = list(
            tickets.filter(account=account).exclude(status__in=DONE_STATUSES).order_by("-created_at")[:SIDEBAR_ROWS]
        )
        # The account's recent field work is context for the conversation ("when is the technician coming?"):
        # a summary every inbox user sees; the work orders themselves stay the dispatchers'.
        work_orders = list(
            workforce_selectors.work_order_list_visible_to(user=user)
            .prefetch_related(None)
            .filter(account=account)
            .select_related("work_type")
            .order_by("-created_at")[:SIDEBAR_ROWS]
        )
    others = list(
        selectors.conversations_live()
        .filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by(F("last_message_at").desc(nulls_last=True))[: SIDEBAR_ROWS * 2]
    )
    return {
        "conversation": conversation,
        "open_tickets": open_tickets,
        "linked_tickets": list(tickets.filter(conversation=conversation).order_by("-created_at")),
        "work_orders": work_orders,
        "other_conversations": others,
        "can_add_ticket": user.has_perm("tickets.add_ticket"),
        "ticket_form": TicketFromConversationForm(),
    }


def _composer_context(request, conversation: Conversation, form=None, notice="", notice_is_error=False) -> dict:
    return {
        "conversation": conversation,
        "reply_form": form or ReplyForm(),
        "window_open": whatsapp_window_open(conversation),
        "can_reply": request.user.has_perm("crm.add_message") and conversation.merged_into_id is None,
        "composer_notice": notice,
        "composer_error": notice_is_error,
    }


def _live_context(conversation: Conversation) -> dict:
    return {
        "live_url": CONVERSATION_LIVE_URL.format(pk=conversation.pk),
        "typing_url": TYPING_URL.format(pk=conversation.pk),
    }


def _page(request, conversation: Conversation, status: int = 200, *, header=None, composer=None, **extra):
    """The whole conversation page; `header` and `composer` override their parts' context (a refused form)."""
    context = {
        **_header_context(request, conversation, **(header or {})),
        **_sidebar_context(request, conversation),
        **_composer_context(request, conversation, **(composer or {})),
        **_live_context(conversation),
        "thread": list(_thread(conversation)),
        "nav_inbox": True,
        **extra,
    }
    return render(request, "staff/inbox/conversation.html", context, status=status)


@staff_view(VIEW)
def inbox_conversation(request, pk):
    conversation = _conversation(pk)
    if conversation.merged_into_id:
        messages.info(request, _("%(n)s was merged into this conversation.") % {"n": conversation.number})
        return redirect("staff:inbox_conversation", pk=conversation.merged_into_id)
    return _page(request, conversation)


@staff_view(VIEW)
def inbox_thread(request, pk):
    """The whole thread (#conversation-thread): the live page refetches it after a reconnect. With `?after=<message
    id>`, only the entries written after that one (bare, for the page to append): activity lines, which have no
    event of their own, follow a status, assignment or label event this way. An unknown `after` is 400."""
    conversation = _conversation(pk)
    thread = _thread(conversation)
    if "after" not in request.GET:
        return render(request, "staff/inbox/_thread.html", {"conversation": conversation, "thread": list(thread)})
    try:
        anchor = thread.filter(pk=request.GET["after"]).values_list("created_at", flat=True).first()
    except ValidationError:
        anchor = None
    if anchor is None:
        return HttpResponseBadRequest(_("after: no such message in this conversation."))
    context = {"conversation": conversation, "thread": list(thread.filter(created_at__gt=anchor))}
    return render(request, "staff/inbox/_messages.html", context)


@staff_view(VIEW)
def inbox_message(request, pk, message_pk):
    """One message of the thread (#message-<id>): what the live page appends or replaces on message.created and
    message.status."""
    conversation = _conversation(pk)
    message = get_object_or_404(_thread(conversation), pk=message_pk)
    return render(request, "staff/inbox/_message.html", {"conversation": conversation, "message": message})


@staff_view(VIEW)
def inbox_header(request, pk):
    """The conversation's header (#conversation-header: status, priority, assignee, team, labels and their
    forms): the live page refetches it on conversation.* events."""
    conversation = _conversation(pk)
    return render(request, "staff/inbox/_header.html", _header_context(request, conversation))


@staff_view(VIEW)
def inbox_sidebar(request, pk):
    """The sidebar (#conversation-sidebar): contact, account, tickets, work orders, other conversations."""
    conversation = _conversation(pk)
    return render(request, "staff/inbox/_sidebar.html", _sidebar_context(request, conversation))


@staff_view(VIEW)
def inbox_attachment(request, pk):
    """A message's file, as a download (never rendered from our origin)."""
    attachment = get_object_or_404(MessageAttachment.objects.select_related("message"), pk=pk)
    if not attachment.file or not attachment.file.storage.exists(attachment.file.name):
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# `{{ contact.first_name }}` or `{{ account.name|default:"your area" }}`: the only syntax canned replies take.
PLACEHOLDER = re.compile(r"""\{\{\s*(\w+)\.(\w+)\s*(?:\|\s*default\s*:\s*(["'])(.*?)\3\s*)?\}\}""")


def _placeholders(conversation: Conversation, user) -> dict[str, dict[str, str]]:
    """What a canned reply may say, as plain strings (never a model: no template reaches passwords or other
    rows)."""
    contact, account = conversation.contact, conversation.account
    return {
        "contact": {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "full_name": contact.full_name,
            "name": contact.full_name,
            "email": contact.email,
            "phone": str(contact.phone or ""),
        },
        "account": {"name": account.name, "number": str(account.number)} if account else {},
        "conversation": {"number": conversation.number, "subject": conversation.subject},
        "agent": {
            "first_name": (user.get_full_name() or "").split(" ")[0],
            "full_name": user.get_full_name(),
            "name": user.get_full_name() or user.email,
            "email": user.email,
        },
    }


def canned_fill(body: str, conversation: Conversation, user) -> str:
    """A canned reply's placeholders filled from the conversation: `{{ contact.first_name }}`, `{{ account.name }}`,
    `{{ conversation.number }}`, `{{ agent.name }}`..., each with an optional `|default:"..."` for an empty value.
    A placeholder it does not know stays as written (the agent sees it before sending)."""
    values = _placeholders(conversation, user)

    def fill(match):
        group, name, _quote, default = match.groups()
        if group not in values or (values[group] and name not in values[group]):
            return match.group(0)
        return values[group].get(name) or default or ""

    return PLACEHOLDER.sub(fill, body)


@staff_view(VIEW)
def inbox_canned(request, pk):
    """The canned replies whose shortcode starts with `?q=` (then those whose title contains it), filled for this
    conversation: the reply box's `/shortcode` suggestions (JSON)."""
    conversation = _conversation(pk)
    text = request.GET.get("q", "").strip().lstrip("/")[:50]
    replies = CannedReply.objects.all()
    if text:
        replies = replies.filter(Q(shortcode__istartswith=text) | Q(title__icontains=text))
    rows = [
        {
            "shortcode": reply.shortcode,
            "title": reply.title,
            "body": canned_fill(reply.body, conversation, request.user),
        }
        for reply in replies.order_by("shortcode")[:CANNED_LIMIT]
    ]
    return JsonResponse({"results": rows})


@staff_view(VIEW)
def inbox_mentions(request):
    """The colleagues whose name or email starts with `?q=` (JSON): the note box's `@name` suggestions. `handle`
    is what note_add resolves: the email's local part, or the whole email when another colleague shares it."""
    text = request.GET.get("q", "").strip().lstrip("@")[:50]
    agents = inbox_agents()
    if text:
        agents = agents.filter(Q(email__istartswith=text) | Q(full_name__istartswith=text))
    found = list(agents[:CANNED_LIMIT])
    locals_ = [agent.email.split("@")[0].lower() for agent in found]
    same_local = User.objects.filter(_email_locals_q(locals_), audience=Audience.STAFF, is_active=True)
    taken = set(same_local.values_list("email", flat=True))
    rows = []
    for agent, local in zip(found, locals_, strict=True):
        shared = sum(1 for email in taken if email.split("@")[0].lower() == local) > 1
        rows.append({"handle": agent.email if shared else local, "name": agent.get_full_name() or agent.email})
    return JsonResponse({"results": rows})


def _email_locals_q(locals_: list[str]) -> Q:
    condition = Q(pk__in=[])
    for local in set(locals_):
        condition |= Q(email__istartswith=f"{local}@")
    return condition


# ---- actions -------------------------------------------------------------------------------------------------


def _error_text(exc) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if hasattr(exc, "error_dict"):  # each message names its field, as helpers.add_service_errors does
        return " ".join(
            f"{name}: {message}" if name != "__all__" else message
            for name, texts in exc.message_dict.items()
            for message in texts
        )
    return " ".join(exc.messages)


def _form_error_text(form) -> str:
    """The form's errors, each prefixed with its field's label (the field it names)."""
    texts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        prefix = f"{field.label}: " if field is not None and field.label else ""
        texts += [f"{prefix}{error}" for error in errors]
    return " ".join(texts)


def _refusal_status(exc) -> int:
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message)
    return exc.status_code if isinstance(exc, DomainError) else INVALID


def _header_answer(request, conversation, ok: str, error: str = "", status: int = 200, **extra):
    """After a header action: to htmx the header again (with what happened, and the refusal's status), else the
    page again with the refusal (400 for bad input, the service's status), or back to it after a change."""
    conversation = _conversation(conversation.pk)
    header = {"header_notice": error or ok, "header_error": bool(error), **extra}
    if wants_partial(request):
        context = _header_context(request, conversation, **header)
        return render(request, "staff/inbox/_header.html", context, status=status)
    if error:
        return _page(request, conversation, 400 if status == INVALID else status, header=header)
    messages.success(request, ok)
    return redirect("staff:inbox_conversation", pk=conversation.pk)


def _live_conversation(pk) -> Conversation:
    conversation = _conversation(pk)
    if conversation.merged_into_id:
        raise Http404(_("This conversation was merged into another."))
    return conversation


@staff_view(["crm.view_conversation", "crm.add_message"], methods=("POST",))
def inbox_reply(request, pk):
    """A reply on the conversation's channel, or a private note (mode=note). To htmx: the emptied composer and the
    new message out of band; a refusal (WhatsApp's closed window, an empty body, a switched-off channel) is the
    composer again with the reason, 422 (409 for a conflict)."""
    conversation = _live_conversation(pk)
    form = ReplyForm(request.POST)
    message, error, status = None, "", INVALID
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["mode"] == "note":
                message = services.note_add(conversation_id=conversation.pk, author=request.user, body=data["body"])
            else:
                message = services.reply_send(
                    conversation_id=conversation.pk,
                    author=request.user,
                    body=data["body"],
                    metadata=form.metadata(),
                )
        except (ValidationError, DomainError) as exc:
            error, status = _error_text(exc), _refusal_status(exc)
    else:
        error = _form_error_text(form)
    if not wants_partial(request):
        if message is None:
            composer = {"form": form, "notice": error, "notice_is_error": True}
            return _page(request, conversation, 400 if status == INVALID else status, composer=composer)
        messages.success(request, _("Note added.") if message.kind == MessageKind.NOTE else _("Reply sent."))
        return redirect("staff:inbox_conversation", pk=conversation.pk)
    if message is None:
        context = _composer_context(request, conversation, form, error, True)
        return render(request, "staff/inbox/_composer.html", context, status=status)
    message = _thread(conversation).get(pk=message.pk)
    conversation = _conversation(conversation.pk)
    context = {**_composer_context(request, conversation), "message": message, "oob": True}
    return render(request, "staff/inbox/_reply_posted.html", context)


@staff_view(["crm.view_conversation", CHANGE], methods=("POST",))
def inbox_status(request, pk):
    """Open, pending, resolved, or snoozed until a preset (1 hour, tomorrow 9:00, next Monday 9:00) or a custom
    time. The status it already has is 409."""
    conversation = _live_conversation(pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _header_answer(request, conversation, "", _form_error_text(form), INVALID, status_form=form)
    data = form.cleaned_data
    try:
        services.conversation_status_set(
            conversation_id=conversation.pk, status=data["status"], snoozed_until=data["until"], by=request.user
        )
    except (ValidationError, DomainError) as exc:
        return _header_answer(request, conversation, "", _error_text(exc), _refusal_status(exc), status_form=form)
    label = ConversationStatus(data["status"]).label
    return _header_answer(request, conversation, _("%(n)s is now %(s)s.") % {"n": conversation.number, "s": label})


@staff_view(["crm.view_conversation", CHANGE], methods=("POST",))
def inbox_assign(request, pk):
    """Assign to an agent and a team (the form carries both), or `me=1`: to the signed-in user, team kept."""
    conversation = _live_conversation(pk)
    form = AssignForm(request.POST, agents=inbox_agents())
    if not form.is_valid():
        return _header_answer(request, conversation, "", _form_error_text(form), INVALID)
    data = form.cleaned_data
    try:
        if data["me"]:
            services.conversation_assign(conversation_id=conversation.pk, assignee=request.user, by=request.user)
        else:
            team = data["team"]
            services.conversation_assign(
                conversation_id=conversation.pk,
                assignee=data["assignee"],
                team_id=team.pk if team else None,
                keep_team=False,
                by=request.user,
            )
    except (ValidationError, DomainError) as exc:
        return _header_answer(request, conversation, "", _error_text(exc), _refusal_status(exc))
    return _header_answer(request, conversation, _("Assignment saved."))


@staff_view(["crm.view_conversation", CHANGE], methods=("POST",))
def inbox_labels(request, pk):
    """Add one label (`add`) or remove one (`remove`)."""
    conversation = _live_conversation(pk)
    form = LabelForm(request.POST)
    if not form.is_valid():
        return _header_answer(request, conversation, "", _form_error_text(form), INVALID)
    data = form.cleaned_data
    try:
        services.conversation_labels_change(
            conversation_id=conversation.pk,
            add=[data["add"]] if data.get("add") else [],
            remove=[data["remove"]] if data.get("remove") else [],
            by=request.user,
        )
    except (ValidationError, DomainError) as exc:
        return _header_answer(request, conversation, "", _error_text(exc), _refusal_status(exc))
    return _header_answer(request, conversation, _("Labels saved."))


@staff_view(["crm.view_conversation", CHANGE], methods=("POST",))
def inbox_priority(request, pk):
    conversation = _live_conversation(pk)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _header_answer(request, conversation, "", _form_error_text(form), INVALID)
    try:
        services.conversation_priority_set(
            conversation_id=conversation.pk, priority=form.cleaned_data["priority"], by=request.user
        )
    except (ValidationError, DomainError) as exc:
        return _header_answer(request, conversation, "", _error_text(exc), _refusal_status(exc))
    return _header_answer(request, conversation, _("Priority saved."))


@staff_view(["crm.view_conversation", "tickets.add_ticket"], methods=("POST",))
def inbox_ticket(request, pk):
    """Open a ticket from the conversation (tickets.services.ticket_from_conversation): to the new ticket's page.
    No account: 409 with the reason on the conversation page; a bad priority 400."""
    conversation = _live_conversation(pk)
    form = TicketFromConversationForm(request.POST)
    if form.is_valid():
        try:
            ticket = ticket_services.ticket_from_conversation(
                conversation_id=conversation.pk,
                by=request.user,
                subject=form.cleaned_data["subject"],
                priority=form.cleaned_data["priority"],
            )
        except (ValidationError, DomainError) as exc:
            error, status = _error_text(exc), _refusal_status(exc)
            status = 400 if status == INVALID else status
        else:
            ticket.refresh_from_db(fields=["number"])
            messages.success(request, _("Ticket %(n)s opened.") % {"n": ticket.number})
            return redirect("staff:ticket_detail", pk=ticket.pk)
    else:
        error, status = _form_error_text(form), 400
    return _page(request, conversation, status, ticket_error=error)
