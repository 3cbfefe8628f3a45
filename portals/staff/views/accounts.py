"""Accounts in the staff console: list, detail, create/edit, status, delete/restore, portal invitations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import selectors, services
from crm.api.filters import AccountFilterSet
from crm.choices import ACCOUNT_TRANSITIONS, AccountStatus
from crm.models import Account
from omni.exceptions import DomainError

from ...htmx import wants_partial
from ..forms import AccountForm, InviteForm, TransitionForm
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
    "number": ["number"],
    "name": ["name"],
    "status": ["status", "name"],
    "kind": ["kind", "name"],
    "reseller": ["reseller__name", "name"],
    "created": ["created_at"],
}
# The button that moves an account to each status.
TRANSITION_VERBS = {
    AccountStatus.PROSPECT: gettext_lazy("Back to prospect"),
    AccountStatus.ACTIVE: gettext_lazy("Activate"),
    AccountStatus.SUSPENDED: gettext_lazy("Suspend"),
    AccountStatus.CLOSED: gettext_lazy("Close account"),
}
# Service errors name model fields; the form shows the location as latitude/longitude.
ERROR_ALIASES = {"location": "latitude", "reseller_id": "reseller"}


def _visible(request):
    return selectors.account_list_visible_to(user=request.user)


@list_view("crm.view_account")
def account_list(request):
    filters = AccountFilterSet(request.GET, queryset=_visible(request), request=request)
    listing = list_page(request, filters, SORTS, "name", PAGE_SIZE)
    context = {"statuses": AccountStatus.choices, "nav_accounts": True}
    return render_list(request, "staff/accounts/list.html", "account-table", listing, context)


def _live_contacts(request, account):
    # A portal user can be linked to one of the account's live contacts.
    return selectors.contact_list_visible_to(user=request.user).live().filter(account_links__account=account)


def _portal_users_context(request, account, invite_form=None, notice="", notice_is_error=False):
    return {
        "account": account,
        "portal_users": selectors.account_portal_users(account=account),
        "invite_form": invite_form or InviteForm(contacts=_live_contacts(request, account)),
        "notice": notice,
        "notice_is_error": notice_is_error,
    }


def _detail_context(request, account, invite_form=None):
    return {
        **_portal_users_context(request, account, invite_form),
        "contact_links": selectors.account_contacts(account=account),
        "history": selectors.record_history(record=account, limit=HISTORY_LIMIT),
        # The leads converted into this account: the other end of the lead's link.
        "leads": account.leads.select_related("stage").order_by("-converted_at")[:20]
        if request.user.has_perm("crm.view_lead")
        else [],
        "transitions": [
            (status, TRANSITION_VERBS[status], AccountStatus(status).label)
            for status in AccountStatus.values
            if status in ACCOUNT_TRANSITIONS[account.status]
        ],
        "nav_accounts": True,
    }


@staff_view("crm.view_account")
def account_detail(request, pk):
    account = get_object_or_404(_visible(request), pk=pk)
    return render(request, "staff/accounts/detail.html", _detail_context(request, account))


def _form_page(request, form, account=None):
    context = {"account": account, "map_extent": selectors.account_map_extent(user=request.user), "nav_accounts": True}
    return render_form(request, "staff/accounts/form.html", form, context)


def _resellers(request, keep=None):
    # Switched-off resellers take no new accounts (the service refuses them too); an account keeps its own.
    return selectors.reseller_list_visible_to(user=request.user).filter(Q(is_active=True) | Q(pk=keep))


@staff_view("crm.add_account", methods=("GET", "POST"))
def account_create(request):
    resellers = _resellers(request)
    form = AccountForm(request.POST if request.method == "POST" else None, resellers=resellers)
    if form.is_valid():
        try:
            account = services.account_create(by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, ERROR_ALIASES)
        else:
            messages.success(request, _("Account %(number)s created.") % {"number": account.number})
            return redirect("staff:account_detail", pk=account.pk)
    return _form_page(request, form)


@staff_view("crm.change_account", methods=("GET", "POST"))
def account_edit(request, pk):
    account = get_object_or_404(_visible(request), pk=pk)
    resellers = _resellers(request, keep=account.reseller_id)
    data = request.POST if request.method == "POST" else None
    form = AccountForm(data, initial=AccountForm.initial_for(account), resellers=resellers)
    if form.is_valid():
        try:
            services.account_update(account_id=account.pk, by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, ERROR_ALIASES)
        else:
            messages.success(request, _("Account %(number)s saved.") % {"number": account.number})
            return redirect("staff:account_detail", pk=account.pk)
    return _form_page(request, form, account)


@staff_view("crm.change_account", methods=("POST",))
def account_transition(request, pk):
    account = get_object_or_404(_visible(request), pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown status."))
    try:
        services.account_transition(account_id=account.pk, to=form.cleaned_data["to"], by=request.user)
    except DomainError as exc:  # InvalidTransition: e.g. a stale page offered a change no longer allowed
        messages.error(request, exc.message)
    else:
        label = AccountStatus(form.cleaned_data["to"]).label
        message = _("Account %(number)s is now %(status)s.") % {"number": account.number, "status": label}
        messages.success(request, message)
    return redirect("staff:account_detail", pk=account.pk)


account_delete, account_restore = soft_delete_views(
    Account, _visible, services.account_delete, services.account_restore, label="number"
)


@staff_view("crm.change_account", methods=("POST",))
def account_invite(request, pk):
    """Invite someone to the customer portal: the user is created without a password and emailed a link."""
    account = get_object_or_404(_visible(request).live(), pk=pk)
    form = InviteForm(request.POST, contacts=_live_contacts(request, account))
    if form.is_valid():
        contact = form.cleaned_data["contact"]
        try:
            user = services.customer_user_create(
                account_id=account.pk,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                contact_id=contact.pk if contact else None,
            )
        except (ValidationError, DomainError) as exc:  # Conflict: the email already has a user
            add_service_errors(form, exc)
        else:
            notice = _("Invitation sent to %(email)s.") % {"email": user.email}
            if wants_partial(request):
                context = _portal_users_context(request, account, notice=notice)
                return render(request, "staff/accounts/detail.html#account-portal-users", context)
            messages.success(request, notice)
            return redirect("staff:account_detail", pk=account.pk)
    if wants_partial(request):
        context = _portal_users_context(request, account, form)
        return render(request, "staff/accounts/detail.html#account-portal-users", context, status=INVALID)
    return render(request, "staff/accounts/detail.html", _detail_context(request, account, form), status=INVALID)


@staff_view("crm.change_account", methods=("POST",))
def account_invite_resend(request, pk, user_pk):
    """Send a portal user's invitation again (they lost it, or it expired)."""
    account = get_object_or_404(_visible(request).live(), pk=pk)
    try:
        user = services.customer_invitation_resend(account_id=account.pk, user_id=user_pk)
    except ValidationError:
        raise Http404 from None
    except DomainError as exc:  # Conflict: they chose a password meanwhile, or were deactivated
        notice, level, status = exc.message, messages.ERROR, exc.status_code
    else:
        notice, level, status = _("Invitation sent again to %(email)s.") % {"email": user.email}, messages.SUCCESS, 200
    if wants_partial(request):
        context = _portal_users_context(request, account, notice=notice, notice_is_error=level == messages.ERROR)
        return render(request, "staff/accounts/detail.html#account-portal-users", context, status=status)
    messages.add_message(request, level, notice)
    return redirect("staff:account_detail", pk=account.pk)
