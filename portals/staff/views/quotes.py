"""Quotes in the staff console: the list (filters, search, pages), the quote page (lines, totals, history,
versions, send, revise, PDF, the customer's answer recorded on their behalf), and create/edit of drafts with a
line formset whose totals the server computes (crm.money) as lines are typed."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import money, selectors, services
from crm.api.quotes import QuoteFilterSet
from crm.choices import QuoteStatus
from crm.models import Account, Contact, Lead
from crm.services.quotes import REVISABLE
from omni.exceptions import DomainError
from omni.middleware import client_ip

from ...common.quote_pages import pdf_response
from ..forms_quotes import QuoteAnswerForm, QuoteForm, QuoteLineFormSet, formset_lines
from ..helpers import INVALID, add_service_errors, list_page, list_view, render_list, staff_view

PAGE_SIZE = 25
HISTORY_LIMIT = 20
SORTS = {
    "number": ["number", "version"],
    "status": ["status", "number"],
    "valid_until": ["valid_until"],
    "total": ["total_one_off"],
    "created": ["created_at"],
}
NAV = {"nav_quotes": True}
LINE_PREFIX = "lines"


def _visible(request):
    return selectors.quote_list_visible_to(user=request.user)


@list_view("crm.view_quote")
def quote_list(request):
    quotes = _visible(request).prefetch_related(None)  # the list shows totals, not lines
    filters = QuoteFilterSet(request.GET, queryset=quotes, request=request)
    listing = list_page(request, filters, SORTS, "-created", PAGE_SIZE)
    context = {"statuses": QuoteStatus.choices, **NAV}
    return render_list(request, "staff/quotes/list.html", "quote-table", listing, context)


def _detail_context(request, quote, answer_form=None) -> dict:
    return {
        **NAV,
        "quote": quote,
        "versions": selectors.quote_versions(quote=quote, queryset=_visible(request)),
        "history": selectors.record_history(record=quote, limit=HISTORY_LIMIT),
        "answer_form": answer_form or QuoteAnswerForm(),
        "can_revise": quote.status in REVISABLE,
        "is_past": quote.valid_until < timezone.localdate(),
    }


@staff_view("crm.view_quote")
def quote_detail(request, pk):
    quote = get_object_or_404(_visible(request), pk=pk)
    return render(request, "staff/quotes/detail.html", _detail_context(request, quote))


@staff_view("crm.view_quote")
def quote_pdf(request, pk):
    return pdf_response(get_object_or_404(_visible(request), pk=pk))


def _refuse(request, quote, exc) -> None:
    messages.error(request, exc.message if isinstance(exc, DomainError) else " ".join(exc.messages))


@staff_view("crm.change_quote", methods=("POST",))
def quote_send(request, pk):
    quote = get_object_or_404(_visible(request), pk=pk)
    try:
        services.quote_send(quote_id=quote.pk, by=request.user)
    except (ValidationError, DomainError) as exc:
        _refuse(request, quote, exc)
    else:
        messages.success(request, _("Quote %(quote)s sent.") % {"quote": quote})
    return redirect("staff:quote_detail", pk=quote.pk)


@staff_view("crm.add_quote", methods=("POST",))
def quote_revise(request, pk):
    quote = get_object_or_404(_visible(request), pk=pk)
    try:
        draft = services.quote_revise(quote_id=quote.pk, by=request.user)
    except DomainError as exc:
        _refuse(request, quote, exc)
        return redirect("staff:quote_detail", pk=quote.pk)
    messages.success(
        request, _("Version %(v)s of %(number)s is a draft now.") % {"v": draft.version, "number": draft.number}
    )
    return redirect("staff:quote_edit", pk=draft.pk)


@staff_view("crm.change_quote", methods=("POST",))
def quote_answer(request, pk):
    """The customer's answer recorded by staff on their behalf (name typed; staff user and IP recorded)."""
    quote = get_object_or_404(_visible(request), pk=pk)
    form = QuoteAnswerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["verb"] == "accept":
                services.quote_accept(quote_id=quote.pk, name=data["name"], ip=client_ip(request), by=request.user)
            else:
                services.quote_reject(
                    quote_id=quote.pk, name=data["name"], reason=data["reason"], ip=client_ip(request), by=request.user
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            _refuse(request, quote, exc)
            return redirect("staff:quote_detail", pk=quote.pk)
        else:
            messages.success(request, _("The customer's answer is recorded."))
            return redirect("staff:quote_detail", pk=quote.pk)
    quote = _visible(request).get(pk=quote.pk)
    return render(request, "staff/quotes/detail.html", _detail_context(request, quote, form), status=INVALID)


# ---- create and edit --------------------------------------------------------------------------------------


def _contacts(account_id=None, lead_id=None):
    if account_id:
        return Contact.objects.filter(account_links__account_id=account_id, deleted_at__isnull=True).order_by(
            "last_name", "first_name"
        )
    if lead_id:
        return Contact.objects.filter(leads__pk=lead_id)
    return Contact.objects.none()


def _preview(formset, currency: str) -> dict | None:
    """Totals of the lines typed so far (the server's arithmetic, nothing saved), or None when a line is bad."""
    try:
        money.quantum(currency)
        lines = formset_lines(formset) if formset.is_valid() else None
    except Exception:  # noqa: BLE001 - a half-typed form: no preview
        return None
    if lines is None:
        return None
    pairs = []
    for line in lines:
        amounts = money.line_amounts(
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            discount_percent=line["discount_percent"],
            tax_rate=line["tax_rate"],
            currency=currency,
        )
        pairs.append((amounts, line["recurring"]))
    return {"currency": currency, **money.totals(pairs, currency).as_dict()}


def _form_page(request, form, formset, quote=None, status=None):
    currency = (form["currency"].value() or "").strip().upper() or "XXX"
    context = {
        **NAV,
        "form": form,
        "formset": formset,
        "quote": quote,
        "preview": _preview(formset, currency) if formset.is_bound else None,
        "preview_url": reverse("staff:quote_preview"),
    }
    if status is None:
        status = INVALID if form.errors or formset.errors or formset.non_form_errors() else 200
    return render(request, "staff/quotes/form.html", context, status=status)


def _initial_customer(request) -> tuple[dict, object, object]:
    """The account or lead a quote is made for, from `?account=<id>` or `?lead=<id>` (account and lead pages)."""
    initial = {
        "currency": settings.SALES_DEFAULT_CURRENCY,
        "valid_until": timezone.localdate() + dt.timedelta(days=settings.QUOTE_VALIDITY_DAYS),
    }
    account = lead = None
    try:
        if request.GET.get("account"):
            account = Account.objects.live().filter(pk=request.GET["account"]).first()
        elif request.GET.get("lead"):
            lead = Lead.objects.filter(pk=request.GET["lead"]).first()
    except ValidationError:  # a malformed id prefills nothing
        pass
    if account:
        initial["account"] = account.number
    if lead:
        initial["lead"] = lead.number
        initial["currency"] = lead.currency
    return initial, account, lead


@staff_view("crm.add_quote", methods=("GET", "POST"))
def quote_create(request):
    if request.method == "GET":
        initial, account, lead = _initial_customer(request)
        form = QuoteForm(initial=initial, contacts=_contacts(account and account.pk, lead and lead.pk))
        formset = QuoteLineFormSet(prefix=LINE_PREFIX)
        return _form_page(request, form, formset)
    account_number = request.POST.get("account", "").strip()
    account = Account.objects.live().filter(number__iexact=account_number).first() if account_number else None
    lead_number = request.POST.get("lead", "").strip()
    lead = Lead.objects.filter(number__iexact=lead_number).first() if lead_number else None
    form = QuoteForm(request.POST, contacts=_contacts(account and account.pk, lead and lead.pk))
    formset = QuoteLineFormSet(request.POST, prefix=LINE_PREFIX)
    if form.is_valid() and formset.is_valid():
        try:
            quote = services.quote_create(
                by=request.user, lines=formset_lines(formset), **form.service_fields(create=True)
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, {"account_id": "account", "lead_id": "lead", "contact_id": "contact"})
        else:
            messages.success(request, _("Quote %(quote)s created as a draft.") % {"quote": quote})
            return redirect("staff:quote_detail", pk=quote.pk)
    return _form_page(request, form, formset)


def _initial_for(quote) -> tuple[dict, list[dict]]:
    fields = {
        "account": quote.account.number if quote.account else "",
        "lead": quote.lead.number if quote.lead else "",
        "contact": quote.contact_id,
        "title": quote.title,
        "currency": quote.currency,
        "valid_until": quote.valid_until,
        "notes": quote.notes,
    }
    lines = [
        {
            "description": line.description,
            "quantity": money.decimal_string(line.quantity),
            "unit_price": money.decimal_string(line.unit_price, min_places=money.minor_units(quote.currency)),
            "discount_percent": money.decimal_string(line.discount_percent),
            "tax_rate": money.decimal_string(line.tax_rate),
            "recurring": line.recurring,
        }
        for line in quote.lines.all()
    ]
    return fields, lines


@staff_view("crm.change_quote", methods=("GET", "POST"))
def quote_edit(request, pk):
    quote = get_object_or_404(_visible(request), pk=pk)
    if quote.status != QuoteStatus.DRAFT:
        messages.error(request, _("Only drafts can be edited; revise this quote instead."))
        return redirect("staff:quote_detail", pk=quote.pk)
    contacts = _contacts(quote.account_id, quote.lead_id)
    fields, lines = _initial_for(quote)
    if request.method == "GET":
        form = QuoteForm(initial=fields, contacts=contacts, fixed_customer=True)
        formset = QuoteLineFormSet(initial=lines, prefix=LINE_PREFIX)
        return _form_page(request, form, formset, quote)
    form = QuoteForm(request.POST, initial=fields, contacts=contacts, fixed_customer=True)
    formset = QuoteLineFormSet(request.POST, prefix=LINE_PREFIX)
    if form.is_valid() and formset.is_valid():
        try:
            services.quote_update(
                quote_id=quote.pk, by=request.user, lines=formset_lines(formset), **form.service_fields(create=False)
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, {"contact_id": "contact"})
            if isinstance(exc, DomainError):
                return _form_page(request, form, formset, quote, status=exc.status_code)
        else:
            messages.success(request, _("Quote %(quote)s saved.") % {"quote": quote})
            return redirect("staff:quote_detail", pk=quote.pk)
    return _form_page(request, form, formset, quote)


@staff_view(["crm.view_quote"], methods=("POST",))
def quote_preview(request):
    """The form's totals as typed (htmx, on every change): the server's arithmetic, nothing saved."""
    formset = QuoteLineFormSet(request.POST, prefix=LINE_PREFIX)
    currency = request.POST.get("currency", "").strip().upper()
    preview = _preview(formset, currency) if len(currency) == 3 and currency.isalpha() else None
    return render(request, "staff/quotes/form.html#quote-preview", {"preview": preview})
