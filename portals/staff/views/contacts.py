"""Contacts in the staff console: list, detail, create/edit with a duplicate check, account links, merging."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import to_python as to_phone

from crm import selectors, services
from crm.api.filters import ContactFilterSet
from crm.choices import ContactChannel
from crm.models import Contact
from omni.exceptions import DomainError

from ...htmx import wants_partial
from ..forms import ContactForm, LinkAccountForm, MergeForm
from ..helpers import (
    INVALID,
    add_service_errors,
    list_page,
    list_view,
    render_form,
    render_list,
    soft_delete_views,
    staff_view,
)

PAGE_SIZE = 25
HISTORY_LIMIT = 20
SORTS = {
    "name": ["last_name", "first_name"],
    "first_name": ["first_name", "last_name"],
    "email": ["email"],
    "channel": ["preferred_channel", "last_name"],
    "created": ["created_at"],
}


def _visible(request):
    return selectors.contact_list_visible_to(user=request.user)


def _live_accounts(request):
    return selectors.account_list_visible_to(user=request.user).live()


@list_view("crm.view_contact")
def contact_list(request):
    listing = list_page(request, ContactFilterSet(request.GET, queryset=_visible(request)), SORTS, "name", PAGE_SIZE)
    page = listing.page
    # Rows as dicts with their accounts: one query for the page, one for every link on it.
    rows = selectors.contact_rows(page.object_list, user=request.user, internal=True) if page.paginator.count else []
    context = {"rows": rows, "channels": ContactChannel.choices, "nav_contacts": True}
    return render_list(request, "staff/contacts/list.html", "contact-table", listing, context)


def _accounts_context(request, contact, link_form=None, notice=""):
    return {
        "contact": contact,
        "links": selectors.contact_links_visible_to(user=request.user, contact_ids=[contact.pk]).get(contact.pk, []),
        "link_form": link_form or LinkAccountForm(accounts=_live_accounts(request)),
        "notice": notice,
    }


@staff_view("crm.view_contact")
def contact_detail(request, pk):
    contact = get_object_or_404(_visible(request).select_related("merged_into"), pk=pk)
    context = {
        **_accounts_context(request, contact),
        "merged": _visible(request).filter(merged_into=contact).order_by("last_name", "first_name"),
        "portal_users": contact.portal_users.select_related("user", "account").order_by("user__email"),
        "history": selectors.record_history(record=contact, limit=HISTORY_LIMIT),
        "nav_contacts": True,
    }
    return render(request, "staff/contacts/detail.html", context)


def _phone(value) -> str:
    number = to_phone(str(value or "").strip())
    return number.as_e164 if number and number.is_valid() else ""


def _duplicates(email, phone, exclude_id=None) -> list:
    if not email and not phone:
        return []
    return list(selectors.contact_duplicates_of(email=email, phone=_phone(phone), exclude_id=exclude_id))


@staff_view("crm.view_contact")
def contact_duplicate_check(request):
    """The "possible duplicates" box for the contact form, refreshed by htmx as email and phone change."""
    exclude = request.GET.get("exclude", "")
    try:
        exclude_id = uuid.UUID(exclude) if exclude else None
    except ValueError:
        exclude_id = None
    duplicates = _duplicates(request.GET.get("email", ""), request.GET.get("phone", ""), exclude_id)
    return render(request, "staff/contacts/form.html#contact-duplicates", {"duplicates": duplicates, "live": True})


def _account_from(value, accounts):
    try:
        return accounts.filter(pk=uuid.UUID(str(value))).first() if value else None
    except ValueError:
        return None


def _form_page(request, form, contact=None, duplicates=(), link_account=None):
    context = {"contact": contact, "duplicates": duplicates, "link_account": link_account, "nav_contacts": True}
    return render_form(request, "staff/contacts/form.html", form, context)


@staff_view("crm.add_contact", methods=("GET", "POST"))
def contact_create(request):
    """?account=<id> links the new contact to that account with the chosen role."""
    accounts = _live_accounts(request)
    source = request.POST if request.method == "POST" else request.GET
    link_account = _account_from(source.get("account"), accounts)
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        initial={"account": link_account.pk if link_account else None},
        accounts=accounts,
    )
    duplicates = []
    if form.is_valid():
        fields = form.service_fields()
        if not form.cleaned_data["confirm_duplicates"]:
            duplicates = _duplicates(fields["email"], fields["phone"])
        if not duplicates:
            try:
                contact = services.contact_create(by=request.user, **fields)
            except (ValidationError, DomainError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Contact %(name)s created.") % {"name": contact.full_name})
                return redirect("staff:contact_detail", pk=contact.pk)
    return _form_page(request, form, duplicates=duplicates, link_account=link_account)


@staff_view("crm.change_contact", methods=("GET", "POST"))
def contact_edit(request, pk):
    contact = get_object_or_404(_visible(request), pk=pk)
    form = ContactForm(request.POST if request.method == "POST" else None, initial=ContactForm.initial_for(contact))
    duplicates = []
    if form.is_valid():
        fields = form.service_fields()
        # Only a new email or phone can make a new duplicate; re-saving other fields does not ask again.
        changed = fields["email"] != contact.email or _phone(fields["phone"]) != _phone(contact.phone)
        if changed and not form.cleaned_data["confirm_duplicates"]:
            duplicates = _duplicates(fields["email"], fields["phone"], exclude_id=contact.pk)
        if not duplicates:
            try:
                services.contact_update(contact_id=contact.pk, by=request.user, **fields)
            except (ValidationError, DomainError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Contact %(name)s saved.") % {"name": contact.full_name})
                return redirect("staff:contact_detail", pk=contact.pk)
    return _form_page(request, form, contact, duplicates)


def _links_response(request, contact, form=None, notice="", status=200):
    if wants_partial(request):
        context = _accounts_context(request, contact, form, notice)
        return render(request, "staff/contacts/detail.html#contact-accounts", context, status=status)
    if status == 200:
        messages.success(request, notice)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("staff:contact_detail", pk=contact.pk)


@staff_view("crm.change_contact", methods=("POST",))
def contact_link(request, pk):
    """Link the contact to an account with a role (or change the role of an existing link)."""
    contact = get_object_or_404(_visible(request).live(), pk=pk)
    form = LinkAccountForm(request.POST, accounts=_live_accounts(request))
    if form.is_valid():
        account, role = form.cleaned_data["account"], form.cleaned_data["role"]
        try:
            services.contact_link_account(contact_id=contact.pk, account_id=account.pk, role=role)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            notice = _("Linked to %(account)s.") % {"account": account}
            return _links_response(request, contact, notice=notice)
    return _links_response(request, contact, form, status=INVALID)


@staff_view("crm.change_contact", methods=("POST",))
def contact_unlink(request, pk, account_pk):
    contact = get_object_or_404(_visible(request), pk=pk)
    account = get_object_or_404(selectors.account_list_visible_to(user=request.user), pk=account_pk)
    services.contact_unlink_account(contact_id=contact.pk, account_id=account.pk)
    return _links_response(request, contact, notice=_("Unlinked from %(account)s.") % {"account": account})


contact_delete, contact_restore = soft_delete_views(
    Contact, _visible, services.contact_delete, services.contact_restore, label="full_name"
)


def _duplicates_page(request, status=200):
    context = {"groups": selectors.contact_duplicate_groups(), "nav_contacts": True}
    return render(request, "staff/contacts/duplicates.html", context, status=status)


@staff_view("crm.view_contact")
def contact_duplicates(request):
    return _duplicates_page(request)


# A merge deletes the duplicates: change and delete, as in the API (ContactViewSet.action_permission).
@staff_view(["crm.change_contact", "crm.delete_contact"], methods=("POST",))
def contact_merge(request):
    """Merge one duplicate group into the chosen survivor (the API's merge action does the same)."""
    form = MergeForm(request.POST, contacts=_visible(request))
    if form.is_valid():
        survivor = form.cleaned_data["survivor"]
        try:
            services.contact_merge(
                survivor_id=survivor.pk,
                duplicate_ids=[contact.pk for contact in form.cleaned_data["duplicates"]],
                by=request.user,
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Merged into %(name)s.") % {"name": survivor.full_name})
            return redirect("staff:contact_detail", pk=survivor.pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return _duplicates_page(request, status=INVALID)
