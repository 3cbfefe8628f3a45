"""The staff console's ticket page: header, timeline (replies, internal notes, status changes, SLA events), a live
SLA countdown, the reply and note form (htmx: the new entry is added to the timeline without a reload), the status,
edit and macro forms. The ticket comes through tickets.selectors (out of scope: 404); a refusal of the services is
shown on the page with its status (409 for a transition the table forbids), read-only access is a 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from omni.exceptions import DomainError, NotAllowed
from tickets import selectors, services
from tickets.choices import TICKET_TRANSITIONS, TicketStatus

from ...htmx import wants_partial
from ..forms_tickets import MacroRunForm, ReplyForm, StatusForm, TicketEditForm
from ..helpers import INVALID, add_service_errors, staff_view

TEMPLATE = "staff/tickets/detail.html"


def _ticket(request, pk):
    return get_object_or_404(selectors.ticket_for_console(user=request.user), pk=pk)


def _context(request, ticket, **forms) -> dict:
    """A fixed number of queries: the timeline's five, the macros, the staff and team choices, whether the user
    may work the ticket."""
    can_work = selectors.ticket_can_work(user=request.user, ticket=ticket)
    perms = request.user.has_perm
    return {
        "ticket": ticket,
        "timeline": selectors.ticket_timeline(ticket=ticket),
        "can_work": can_work and perms("tickets.change_ticket"),
        "can_reply": can_work and perms("tickets.add_ticketcomment") and ticket.status != TicketStatus.CLOSED,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "status_form": forms.get("status_form") or StatusForm(initial={"to": ticket.status}),
        "edit_form": forms.get("edit_form") or TicketEditForm(initial=TicketEditForm.initial_for(ticket)),
        "macros": list(selectors.macro_list_active()),
        "macro_error": forms.get("macro_error", ""),
        "transitions": [
            (value, label) for value, label in TicketStatus.choices if value in TICKET_TRANSITIONS[ticket.status]
        ],
        "nav_tickets": True,
    }


@staff_view("tickets.view_ticket")
def ticket_detail(request, pk):
    ticket = _ticket(request, pk)
    return render(request, TEMPLATE, _context(request, ticket))


def _refused(exc: DomainError) -> None:
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message)


def _post_reply(request, ticket, form):
    data = form.cleaned_data
    return services.reply_post(
        ticket_id=ticket.pk,
        author=request.user,
        body=data["body"],
        public=data["public"],
        files=request.FILES.getlist("files"),
        mention_ids=[user.pk for user in data["mentions"]],
    )


@staff_view("tickets.add_ticketcomment", methods=("POST",))
def ticket_reply(request, pk):
    """A public reply or an internal note, with files and mentions (tickets.services.reply_post). To htmx: the
    emptied form, the new timeline entry and the header (out of band); invalid input 422 with the form (a refused
    file names `files`), a closed ticket 409, read-only access 403."""
    ticket = _ticket(request, pk)
    form, status = ReplyForm(request.POST), INVALID
    comment = None
    if form.is_valid():
        try:
            comment = _post_reply(request, ticket, form)
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError):
                _refused(exc)
                status = exc.status_code
            add_service_errors(form, exc, {"mention_ids": "mentions"})
    if not wants_partial(request):
        if comment is not None:
            messages.success(request, _("Reply posted.") if comment.public else _("Internal note added."))
            return redirect("staff:ticket_detail", pk=ticket.pk)
        return render(request, TEMPLATE, _context(request, ticket, reply_form=form), status=status)
    context = {"ticket": ticket, "can_reply": True, "reply_form": form}
    if comment is None:
        return render(request, f"{TEMPLATE}#ticket-reply", context, status=status)
    ticket = _ticket(request, pk)  # first response, status: the header shows them
    entry = selectors.TimelineEntry("comment", comment.created_at, comment)
    context |= {"ticket": ticket, "reply_form": ReplyForm(), "entry": entry, "posted": True}
    return render(request, "staff/tickets/_reply_posted.html", context)


@staff_view("tickets.change_ticket", methods=("POST",))
def ticket_status(request, pk):
    """Move the ticket to another status (resolving needs the note); a move the table forbids is shown as an error
    with 409."""
    ticket = _ticket(request, pk)
    form, status = StatusForm(request.POST), 400
    if form.is_valid():
        try:
            services.ticket_transition(
                ticket_id=ticket.pk,
                to=form.cleaned_data["to"],
                by=request.user,
                resolution=form.cleaned_data["resolution"],
            )
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError):
                _refused(exc)
                status = exc.status_code
            add_service_errors(form, exc, {"status": "to"})
        else:
            label = TicketStatus(form.cleaned_data["to"]).label
            messages.success(request, _("%(number)s is now %(status)s.") % {"number": ticket.number, "status": label})
            return redirect("staff:ticket_detail", pk=ticket.pk)
    return render(request, TEMPLATE, _context(request, ticket, status_form=form), status=status)


@staff_view("tickets.change_ticket", methods=("POST",))
def ticket_edit(request, pk):
    """Change the priority, team, assignee and tags."""
    ticket = _ticket(request, pk)
    form, status = TicketEditForm(request.POST), 400
    if form.is_valid():
        try:
            services.ticket_update(ticket_id=ticket.pk, by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError):
                _refused(exc)
                status = exc.status_code
            add_service_errors(form, exc, {"team_id": "team", "assignee_id": "assignee"})
        else:
            messages.success(request, _("%(number)s saved.") % {"number": ticket.number})
            return redirect("staff:ticket_detail", pk=ticket.pk)
    return render(request, TEMPLATE, _context(request, ticket, edit_form=form), status=status)


@staff_view(["tickets.change_ticket", "tickets.add_ticketcomment"], methods=("POST",))
def ticket_macro(request, pk):
    """Run a macro: its reply or note, status, priority, assignment and tags in one transaction; any refusal
    undoes all of it and is shown with its status."""
    ticket = _ticket(request, pk)
    form = MacroRunForm(request.POST)
    if not form.is_valid():
        error, status = _("Choose a macro."), 400
    else:
        try:
            services.macro_run(macro_id=form.cleaned_data["macro"], ticket_id=ticket.pk, by=request.user)
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError):
                _refused(exc)
                error, status = exc.message, exc.status_code
            else:
                error, status = " ".join(exc.messages), 400
        else:
            messages.success(request, _("Macro applied to %(number)s.") % {"number": ticket.number})
            return redirect("staff:ticket_detail", pk=ticket.pk)
    ticket = _ticket(request, pk)
    return render(request, TEMPLATE, _context(request, ticket, macro_error=error), status=status)
