"""The actions of the staff inbox's conversation page (issue 11, part 3): reply on the channel or add a private note,
set the status (snooze presets), assign to an agent and a team, add or remove a label, set the priority, and open a
ticket from the conversation. Each answers htmx with the refreshed fragment (the composer, the header) and the
refusal's status (422, 409, ...), a plain form post with the page or a redirect back to it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm import services
from crm.choices import ConversationStatus, MessageKind
from crm.models import Conversation
from omni.exceptions import DomainError, NotAllowed
from tickets import services as ticket_services

from ...htmx import wants_partial
from ..forms_inbox_console import AssignForm, LabelForm, PriorityForm, ReplyForm, StatusForm, TicketFromConversationForm
from ..helpers import INVALID, staff_view
from .inbox import CHANGE
from .inbox_conversation import _composer_context, _conversation, _header_context, _page, _thread, inbox_agents

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
