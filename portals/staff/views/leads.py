"""Leads in the staff console: the list, the pipeline board (drag and drop through htmx), the lead page with its
duplicates, history and conversion, create and edit with a duplicate check. Sales edit; Agents read."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from crm import selectors, services
from crm.api.leads import LeadFilterSet
from crm.choices import LeadSource
from omni.exceptions import DomainError

from ...htmx import wants_partial
from ..forms_leads import LeadConvertForm, LeadForm, LeadMoveForm
from ..helpers import INVALID, add_service_errors, list_page, list_view, render_form, render_list, staff_view

PAGE_SIZE = 25
HISTORY_LIMIT = 20
SORTS = {
    "number": ["number"],
    "name": ["last_name", "first_name"],
    "company": ["company", "last_name"],
    "stage": ["stage__position", "-stage_changed_at"],
    "value": ["expected_monthly_value"],
    "follow_up": ["next_follow_up"],
    "created": ["created_at"],
}
ERROR_ALIASES = {"location": "latitude", "owner_id": "owner", "reseller_id": "reseller", "stage_id": "stage"}


def _visible(request):
    return selectors.lead_list_visible_to(user=request.user)


def _filters(request):
    return LeadFilterSet(request.GET, queryset=_visible(request), request=request)


@list_view("crm.view_lead")
def lead_list(request):
    listing = list_page(request, _filters(request), SORTS, "-created", PAGE_SIZE)
    context = {"sources": LeadSource.choices, "today": timezone.localdate(), "nav_leads": True}
    return render_list(request, "staff/leads/list.html", "lead-table", listing, context)


def _board_context(request, filters, notice="", notice_is_error=False):
    queryset = filters.qs if filters.is_valid() else filters.queryset.none()
    return {
        "filters": filters,
        "columns": selectors.lead_board(queryset=queryset),
        "notice": notice,
        "notice_is_error": notice_is_error,
        "query": request.GET.urlencode(),
        "today": timezone.localdate(),
        "nav_leads": True,
    }


@staff_view("crm.view_lead")
@vary_on_headers("HX-Request")
def lead_board(request):
    """One column per active stage: its count, its expected monthly value per currency, its newest cards."""
    filters = _filters(request)
    template = "staff/leads/board.html" + ("#lead-board" if wants_partial(request) else "")
    return render(request, template, _board_context(request, filters), status=200 if filters.is_valid() else 400)


@staff_view("crm.change_lead", methods=("POST",))
def lead_move(request, pk):
    """Move a lead to a stage: from the board (htmx: the board comes back, its counts and totals redone, keeping
    the board's filters from the query string) or from the lead's page (back to it)."""
    lead = get_object_or_404(_visible(request), pk=pk)
    form = LeadMoveForm(request.POST, stages=selectors.lead_stages_active())
    error = ""
    if form.is_valid():
        try:
            services.lead_move(
                lead_id=lead.pk,
                stage_id=form.cleaned_data["stage"].pk,
                by=request.user,
                lost_reason=form.cleaned_data["lost_reason"],
            )
        except (ValidationError, DomainError) as exc:
            error = exc.message if isinstance(exc, DomainError) else " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if wants_partial(request):
        notice = error or _("%(number)s moved to %(stage)s.") % {
            "number": lead.number,
            "stage": form.cleaned_data["stage"],
        }
        context = _board_context(request, _filters(request), notice, bool(error))
        return render(request, "staff/leads/board.html#lead-board", context, status=INVALID if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("%(number)s moved to %(stage)s.") % {"number": lead.number, "stage": lead.stage})
    return redirect("staff:lead_detail", pk=lead.pk)


def _duplicates(email, phone, exclude_id=None) -> dict:
    return selectors.lead_duplicates_of(email=email or "", phone=phone or "", exclude_id=exclude_id)


def _has_duplicates(found: dict) -> bool:
    return bool(found["contacts"] or found["leads"])


@staff_view("crm.view_lead")
def lead_duplicate_check(request):
    """The "possible duplicates" box of the lead form, refreshed by htmx as email and phone change."""
    try:
        exclude_id = uuid.UUID(request.GET.get("exclude", "")) if request.GET.get("exclude") else None
    except ValueError:
        exclude_id = None
    found = _duplicates(request.GET.get("email", ""), request.GET.get("phone", ""), exclude_id)
    return render(request, "staff/leads/form.html#lead-duplicates", {"duplicates": found, "live": True})


@staff_view("crm.view_lead")
def lead_detail(request, pk):
    lead = get_object_or_404(_visible(request).select_related("converted_by", "created_by"), pk=pk)
    context = {
        "lead": lead,
        "duplicates": _duplicates(lead.email, lead.phone, lead.pk),
        "history": selectors.record_history(record=lead, limit=HISTORY_LIMIT),
        "move_form": LeadMoveForm(initial={"stage": lead.stage_id}, stages=selectors.lead_stages_active()),
        "convert_form": LeadConvertForm(accounts=None),
        "nav_leads": True,
    }
    return render(request, "staff/leads/detail.html", context)


def _form(request, data=None, initial=None):
    return LeadForm(
        data,
        initial=initial,
        owners=selectors.lead_owner_choices(),
        resellers=selectors.reseller_list_visible_to(user=request.user),
        stages=selectors.lead_stages_active(),
    )


def _form_page(request, form, lead=None, duplicates=None):
    context = {
        "lead": lead,
        "duplicates": duplicates or {"contacts": [], "leads": []},
        "map_extent": selectors.account_map_extent(user=request.user),
        "nav_leads": True,
    }
    return render_form(request, "staff/leads/form.html", form, context)


@staff_view("crm.add_lead", methods=("GET", "POST"))
def lead_create(request):
    initial = {
        "owner": request.user.pk,
        "stage": getattr(selectors.lead_stage_first_open(), "pk", None),
        "currency": settings.SALES_DEFAULT_CURRENCY,
    }
    form = _form(request, request.POST if request.method == "POST" else None, initial)
    duplicates = None
    if form.is_valid():
        fields = form.service_fields()
        if not form.cleaned_data["confirm_duplicates"]:
            duplicates = _duplicates(fields["email"], fields["phone"])
        if not duplicates or not _has_duplicates(duplicates):
            try:
                lead = services.lead_create(by=request.user, **fields)
            except (ValidationError, DomainError) as exc:
                add_service_errors(form, exc, ERROR_ALIASES)
            else:
                messages.success(request, _("Lead %(number)s created.") % {"number": lead.number})
                return redirect("staff:lead_detail", pk=lead.pk)
    return _form_page(request, form, duplicates=duplicates)


@staff_view("crm.change_lead", methods=("GET", "POST"))
def lead_edit(request, pk):
    lead = get_object_or_404(_visible(request), pk=pk)
    form = _form(request, request.POST if request.method == "POST" else None, LeadForm.initial_for(lead))
    duplicates = None
    if form.is_valid():
        fields = form.service_fields()
        # Only a new email or phone can make a new duplicate; re-saving other fields does not ask again.
        changed = fields["email"] != lead.email or selectors.phone_e164(fields["phone"]) != selectors.phone_e164(
            lead.phone
        )
        if changed and not form.cleaned_data["confirm_duplicates"]:
            duplicates = _duplicates(fields["email"], fields["phone"], lead.pk)
        if not duplicates or not _has_duplicates(duplicates):
            try:
                services.lead_update(lead_id=lead.pk, by=request.user, **fields)
            except (ValidationError, DomainError) as exc:
                add_service_errors(form, exc, ERROR_ALIASES)
            else:
                messages.success(request, _("Lead %(number)s saved.") % {"number": lead.number})
                return redirect("staff:lead_detail", pk=lead.pk)
    return _form_page(request, form, lead, duplicates)


# Converting creates an account and a contact: the permissions for those too (Sales and Admin hold them).
@staff_view(["crm.change_lead", "crm.add_account", "crm.add_contact"], methods=("POST",))
def lead_convert(request, pk):
    lead = get_object_or_404(_visible(request), pk=pk)
    form = LeadConvertForm(request.POST, accounts=selectors.account_list_visible_to(user=request.user).live())
    if form.is_valid():
        try:
            services.lead_convert(lead_id=lead.pk, by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            lead.refresh_from_db()
            messages.success(
                request,
                _("Lead %(number)s converted into account %(account)s.")
                % {"number": lead.number, "account": lead.account.number},
            )
            return redirect("staff:lead_detail", pk=lead.pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("staff:lead_detail", pk=lead.pk)


@staff_view("crm.delete_lead", methods=("POST",))
def lead_delete(request, pk):
    lead = get_object_or_404(_visible(request), pk=pk)
    try:
        services.lead_delete(lead_id=lead.pk, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:lead_detail", pk=lead.pk)
    messages.success(request, _("Lead %(number)s deleted.") % {"number": lead.number})
    return redirect("staff:lead_list")
