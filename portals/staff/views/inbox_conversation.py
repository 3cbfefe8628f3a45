"""The conversation page of the staff inbox (issue 11, part 3): the whole thread, the contact, their account with
its open tickets and recent work orders, their other conversations, the header (status, priority, assignee, team,
labels and their forms) and the composer; and the fragments the live page refetches (the thread, one message, the
header, the sidebar) and attachment downloads. The actions posted from it are in inbox_actions.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from crm import selectors
from crm.choices import ChannelKind, ConversationPriority, ConversationStatus
from crm.models import Conversation, Label, Message, MessageAttachment
from crm.providers import whatsapp
from omni.models import User
from tickets import selectors as ticket_selectors
from tickets.choices import DONE_STATUSES
from workforce import selectors as workforce_selectors

from ..forms_inbox_console import AssignForm, ReplyForm, StatusForm, TicketFromConversationForm
from ..helpers import staff_view
from .inbox import CHANGE, VIEW

SIDEBAR_ROWS = 5  # open tickets, work orders and other conversations shown beside the thread


# The live streams and the typing endpoint (built beside this page, portals/staff/urls_inbox_live.py). The pages
# take them from the context so the URLs can move without touching the JS.


CONVERSATION_LIVE_URL = "/inbox/{pk}/live/"
TYPING_URL = "/inbox/{pk}/typing/"


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
