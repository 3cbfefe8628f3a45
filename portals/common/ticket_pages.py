"""The ticket pages' parts shared by the customer and reseller portals: forms, the list's filters, and the list,
open, detail and reply views' bodies. Every read goes through tickets.selectors for the signed-in user (portal
users get public comments and public files only); every write through tickets.services."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from omni.api.filters import SearchFilter
from omni.exceptions import DomainError
from tickets import selectors, services
from tickets.choices import DONE_STATUSES, TicketPriority, TicketStatus

from ..htmx import wants_partial

INVALID = 422  # an invalid form; the layouts' htmx-config swaps 422 (and 409) in
PAGE_SIZE = 25
# Customers choose among these; urgent is the desk's call (it drives the tightest SLA targets).
PORTAL_PRIORITIES = [(p.value, p.label) for p in (TicketPriority.LOW, TicketPriority.NORMAL, TicketPriority.HIGH)]


# ---- forms ---------------------------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the list may be empty. Limits are tickets.services.attachments_check's."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads if upload]


FILES_HELP = gettext_lazy("Optional: screenshots, photos or documents.")


class TicketOpenForm(forms.Form):
    """A new ticket. `accounts` (the reseller's) adds the account choice; customers open on their own account."""

    account = forms.ModelChoiceField(label=gettext_lazy("Account"), queryset=None, required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What happened, since when, and what you have tried."),
    )
    category = forms.CharField(
        label=gettext_lazy("Category"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Optional, e.g. connectivity, billing, installation."),
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=PORTAL_PRIORITIES, initial=TicketPriority.NORMAL
    )
    files = MultipleFileField(label=gettext_lazy("Attachments"), help_text=FILES_HELP)
    follow_up_of = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if accounts is None:
            del self.fields["account"]
        else:
            field = self.fields["account"]
            field.queryset, field.required = accounts, True
            field.label_from_instance = lambda account: f"{account.number} · {account.name}"


class ReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label=gettext_lazy("Attachments"), help_text=FILES_HELP)


def add_service_errors(form: forms.Form, exc: ValidationError | DomainError) -> None:
    """A service's error on the form: each field it names, or form-wide (prefixed with the name) otherwise."""
    if isinstance(exc, DomainError):
        errors = {NON_FIELD_ERRORS: [exc.message]}
    elif hasattr(exc, "error_dict"):
        errors = exc.message_dict
    else:
        errors = {NON_FIELD_ERRORS: exc.messages}
    for name, texts in errors.items():
        for message in texts:
            if name == NON_FIELD_ERRORS or name not in form.fields or form.fields[name].widget.is_hidden:
                prefix = "" if name == NON_FIELD_ERRORS else f"{name}: "
                form.add_error(None, f"{prefix}{message}")
            else:
                form.add_error(name, message)


# ---- the list ------------------------------------------------------------------------------------------------


class PortalTicketFilterSet(django_filters.FilterSet):
    """The portals' ticket filters: number or subject, open or done, and (resellers) the account."""

    search = SearchFilter(
        condition=lambda value: Q(number__icontains=value) | Q(subject__icontains=value),
        label=gettext_lazy("Search"),
        help_text=gettext_lazy("Ticket number or subject."),
    )
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=[("open", gettext_lazy("Open")), ("closed", gettext_lazy("Resolved or closed"))],
        empty_label=gettext_lazy("Any status"),
        method="by_state",
    )
    account = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Account"), queryset=None, empty_label=gettext_lazy("All accounts"), distinct=False
    )

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if accounts is None:
            del self.filters["account"]
        else:
            self.filters["account"].queryset = accounts
            self.form.fields["account"].label_from_instance = lambda a: f"{a.number} · {a.name}"

    def by_state(self, queryset, name, value):
        if value == "open":
            return queryset.exclude(status__in=DONE_STATUSES)
        return queryset.filter(status__in=DONE_STATUSES) if value == "closed" else queryset


def ticket_list(request, *, template: str, context: dict, accounts=None):
    """A page of the user's tickets, most recently updated first; the table alone to htmx. Invalid filters: the
    form names them, no rows, 400 (422 to htmx)."""
    queryset = selectors.ticket_list_visible_to(user=request.user).order_by("-updated_at", "pk")
    filters = PortalTicketFilterSet(request.GET or None, queryset=queryset, accounts=accounts)
    valid = filters.is_valid() if filters.is_bound else True
    page = Paginator(filters.qs if valid else queryset.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    partial = wants_partial(request)
    status = 200 if valid else (INVALID if partial else 400)
    context = {**context, "filters": filters, "page": page, "valid": valid}
    return render(request, template + ("#ticket-table" if partial else ""), context, status=status)


# ---- one ticket ----------------------------------------------------------------------------------------------


def visible_ticket(request, pk):
    """The ticket if the user sees it; another account's (or anyone's, for another audience) is a 404."""
    return get_object_or_404(selectors.ticket_list_visible_to(user=request.user), pk=pk)


def ticket_context(request, ticket, form: ReplyForm | None = None) -> dict:
    """The ticket page: its public conversation (selectors give portal users public comments and files only), the
    files opened with it, the ticket it follows up and its follow-ups, and the reply form."""
    user = request.user
    files = selectors.attachment_list_visible_to(user=user)
    comments = selectors.comment_list_visible_to(user=user, ticket_id=ticket.pk).prefetch_related(
        Prefetch("attachments", queryset=files, to_attr="files")
    )
    tickets = selectors.ticket_list_visible_to(user=user).select_related(None).only("id", "number", "status")
    follow_up_of = tickets.filter(pk=ticket.follow_up_of_id).first() if ticket.follow_up_of_id else None
    return {
        "ticket": ticket,
        "comments": comments,
        "opening_files": files.filter(ticket=ticket, comment__isnull=True),
        "follow_up_of": follow_up_of,
        "follow_ups": tickets.filter(follow_up_of=ticket).order_by("created_at")
        if ticket.status in DONE_STATUSES
        else [],
        "closed": ticket.status == TicketStatus.CLOSED,
        "form": form or ReplyForm(),
    }


def ticket_reply(request, pk, *, template: str, detail: str, context: dict):
    """POST a public reply with files (services.reply_post: a customer's reply reopens a resolved or pending
    ticket). htmx gets the thread back (the new reply, a fresh form); a plain form post is redirected to the ticket
    (PRG). Bad input: the form with its errors, 422; a closed ticket: 409 with the reason."""
    ticket = visible_ticket(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    status = INVALID
    if form.is_valid():
        try:
            services.reply_post(
                ticket_id=ticket.pk,
                author=request.user,
                body=form.cleaned_data["body"],
                public=True,
                files=form.cleaned_data["files"],
            )
        except (ValidationError, DomainError) as exc:  # Conflict (409): the ticket was closed meanwhile
            add_service_errors(form, exc)
            status = exc.status_code if isinstance(exc, DomainError) and exc.status_code != 400 else INVALID
        else:
            if not wants_partial(request):
                messages.success(request, _("Your reply was sent."))
                return redirect(detail, pk=ticket.pk)
            ticket, form, status = visible_ticket(request, pk), None, 200
    ctx = {**context, **ticket_context(request, ticket, form), "sent": status == 200}
    return render(request, template + ("#ticket-thread" if wants_partial(request) else ""), ctx, status=status)


def follow_up_source(request):
    """The closed ticket named by ?follow_up_of= (or the posted field), if the user sees it; else None."""
    raw = request.POST.get("follow_up_of") or request.GET.get("follow_up_of")
    if not raw:
        return None
    try:
        field = forms.UUIDField()
        pk = field.clean(raw)
    except ValidationError:
        return None
    visible = selectors.ticket_list_visible_to(user=request.user)
    return visible.filter(pk=pk, status=TicketStatus.CLOSED).first()


def ticket_open(request, *, account_id, template: str, detail: str, context: dict, accounts=None, initial=None):
    """Open a ticket (services.ticket_open: the user's account, their contact, the files, source portal), then to
    its page (PRG). Bad input: the form with its errors, 422, nothing written."""
    original = follow_up_source(request)
    initial = dict(initial or {})
    if original is not None:
        initial.update(follow_up_of=original.pk, subject=original.subject, account=original.account_id)
    posted = request.method == "POST"
    form = TicketOpenForm(
        request.POST if posted else None, request.FILES if posted else None, accounts=accounts, initial=initial
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_open(
                account_id=data["account"].pk if accounts is not None else account_id,
                by=request.user,
                subject=data["subject"],
                description=data["description"],
                category=data["category"].strip(),
                priority=data["priority"],
                files=data["files"],
                follow_up_of_id=data["follow_up_of"],
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s opened. We will reply here.") % {"number": ticket.number})
            return redirect(detail, pk=ticket.pk)
    ctx = {**context, "form": form, "follow_up_of": original}
    return render(request, template, ctx, status=INVALID if form.errors else 200)
