"""Partners in the staff console: resellers (crm) and vendors (workforce), one set of pages for both (the `kind`
in the URL: resellers or vendors). List with search and pages, detail (a reseller's accounts, the portal users,
inviting one), create and edit, switching off and on. Every write goes through omni.services.partner_*, as the API
and the admin do; each page needs the model's permission (view/add/change_<model>), 403 without."""

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from crm import selectors as crm_selectors
from crm.models import Reseller
from omni import services
from omni.api.partners import PartnerFilterSet
from omni.auth import audience_required
from omni.exceptions import DomainError
from workforce import selectors as workforce_selectors
from workforce.models import Vendor

from ...htmx import wants_partial
from ..forms_partners import PartnerForm, PartnerInviteForm
from ..helpers import INVALID, add_service_errors, list_page, render_form, render_list

PAGE_SIZE = 25
ACCOUNTS_SHOWN = 50  # on a reseller's page; the accounts list (filtered by reseller) has them all


@dataclass(frozen=True)
class Kind:
    """One kind of partner as the pages show it."""

    slug: str  # in the URL: "resellers"
    model: type
    title: str
    new_label: str
    rows: object  # (user) -> the visible partners with their counts (selectors.*_list_with_counts)
    portal_users: object  # (partner) -> its memberships, with their users
    has_accounts: bool

    def perm(self, verb: str) -> str:
        return f"{self.model._meta.app_label}.{verb}_{self.model._meta.model_name}"


KINDS = {
    "resellers": Kind(
        "resellers",
        Reseller,
        gettext_lazy("Resellers"),
        gettext_lazy("New reseller"),
        lambda user: crm_selectors.reseller_list_with_counts(user=user),
        lambda partner: crm_selectors.reseller_portal_users(reseller=partner),
        has_accounts=True,
    ),
    "vendors": Kind(
        "vendors",
        Vendor,
        gettext_lazy("Vendors"),
        gettext_lazy("New vendor"),
        lambda user: workforce_selectors.vendor_list_with_counts(user=user),
        lambda partner: workforce_selectors.vendor_portal_users(vendor=partner),
        has_accounts=False,
    ),
}


def partner_view(verb: str, methods: tuple[str, ...] = ("GET",)):
    """A partner page: the HTTP `methods` only (405), staff only, and `<verb>_<model>` of the URL's kind (403)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, kind, **kwargs):
            conf = KINDS.get(kind)
            if conf is None:
                raise Http404
            if not request.user.has_perm(conf.perm(verb)):
                raise PermissionDenied
            return view(request, conf, **kwargs)

        return require_http_methods(list(methods))(audience_required(wrapped))

    return decorate


def _nav(kind: Kind) -> dict:
    return {"kind": kind, "nav_partners": True, "kinds": list(KINDS.values())}


@require_http_methods(["GET"])
@audience_required
def partner_home(request):
    """The Partners link: the resellers, or the vendors for someone who may see only those."""
    for kind in KINDS.values():
        if request.user.has_perm(kind.perm("view")):
            return redirect("staff:partner_list", kind=kind.slug)
    raise PermissionDenied


SORTS = {
    "name": ["name"],
    "accounts": ["account_count", "name"],
    "users": ["portal_user_count", "name"],
    "created": ["created_at"],
}


@partner_view("view")
@vary_on_headers("HX-Request")
def partner_list(request, kind: Kind):
    sorts = SORTS if kind.has_accounts else {k: v for k, v in SORTS.items() if k != "accounts"}
    filters = PartnerFilterSet(request.GET, queryset=kind.rows(request.user))
    listing = list_page(request, filters, sorts, "name", PAGE_SIZE)
    context = {**_nav(kind), "may_add": request.user.has_perm(kind.perm("add"))}
    return render_list(request, "staff/partners/list.html", "partner-table", listing, context)


def _partner(request, kind: Kind, pk) -> object:
    return get_object_or_404(kind.rows(request.user), pk=pk)


def _portal_users_context(kind: Kind, partner, invite_form=None, notice="", notice_is_error=False) -> dict:
    return {
        "partner": partner,
        "portal_users": kind.portal_users(partner),
        "invite_form": invite_form or PartnerInviteForm(),
        "notice": notice,
        "notice_is_error": notice_is_error,
        **_nav(kind),
    }


def _detail_context(request, kind: Kind, partner, invite_form=None) -> dict:
    context = _portal_users_context(kind, partner, invite_form)
    if kind.has_accounts:
        context["accounts"] = crm_selectors.reseller_accounts(reseller=partner, limit=ACCOUNTS_SHOWN)
        context["accounts_url"] = f"{reverse('staff:account_list')}?reseller={partner.pk}"
    context["may_change"] = request.user.has_perm(kind.perm("change"))
    return context


@partner_view("view")
def partner_detail(request, kind: Kind, pk):
    partner = _partner(request, kind, pk)
    return render(request, "staff/partners/detail.html", _detail_context(request, kind, partner))


def _form_page(request, kind: Kind, form, partner=None):
    return render_form(request, "staff/partners/form.html", form, {"partner": partner, **_nav(kind)})


@partner_view("add", methods=("GET", "POST"))
def partner_create(request, kind: Kind):
    form = PartnerForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            partner = services.partner_create(kind.model, by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:  # the name is taken (whatever the case)
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s created.") % {"name": partner.name})
            return redirect("staff:partner_detail", kind=kind.slug, pk=partner.pk)
    return _form_page(request, kind, form)


@partner_view("change", methods=("GET", "POST"))
def partner_edit(request, kind: Kind, pk):
    partner = _partner(request, kind, pk)
    form = PartnerForm(request.POST if request.method == "POST" else None, initial=PartnerForm.initial_for(partner))
    if form.is_valid():
        try:
            services.partner_update(kind.model, partner_id=partner.pk, by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": form.cleaned_data["name"]})
            return redirect("staff:partner_detail", kind=kind.slug, pk=partner.pk)
    return _form_page(request, kind, form, partner)


@partner_view("change", methods=("POST",))
def partner_set_active(request, kind: Kind, pk):
    """Switch a partner off (`active=false`: its portal users are cut off at once) or on again (`active=true`)."""
    partner = _partner(request, kind, pk)
    active = request.POST.get("active")
    if active not in ("true", "false"):
        return HttpResponseBadRequest(_("active must be true or false."))
    services.partner_active_set(kind.model, partner_id=partner.pk, active=active == "true", by=request.user)
    if active == "true":
        messages.success(
            request, _("%(name)s is switched on; its portal users can sign in again.") % {"name": partner.name}
        )
    else:
        messages.success(
            request, _("%(name)s is switched off; its portal users cannot sign in.") % {"name": partner.name}
        )
    return redirect("staff:partner_detail", kind=kind.slug, pk=partner.pk)


def _portal_users_answer(request, kind: Kind, partner, *, form=None, notice="", is_error=False, status=200):
    """After an invitation (or a resend): the portal users' card to htmx, else the page (a redirect once done)."""
    if wants_partial(request):
        context = _portal_users_context(kind, partner, form, notice, is_error)
        context["may_change"] = True
        return render(request, "staff/partners/detail.html#partner-portal-users", context, status=status)
    if form is not None and form.errors:
        context = _detail_context(request, kind, partner, form)
        return render(request, "staff/partners/detail.html", context, status=status)
    messages.add_message(request, messages.ERROR if is_error else messages.SUCCESS, notice)
    return redirect("staff:partner_detail", kind=kind.slug, pk=partner.pk)


@partner_view("change", methods=("POST",))
def partner_invite(request, kind: Kind, pk):
    """Invite someone to the partner's portal: the user is created without a password and emailed a link (the
    accounts' invitation flow: omni.services.portal_user_create). Switched off, they start off with it."""
    partner = _partner(request, kind, pk)
    form = PartnerInviteForm(request.POST)
    if form.is_valid():
        try:
            user = services.partner_user_create(
                kind.model,
                partner_id=partner.pk,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
            )
        except (ValidationError, DomainError) as exc:  # Conflict: the email already has a user
            add_service_errors(form, exc)
        else:
            notice = _("Invitation sent to %(email)s.") % {"email": user.email}
            return _portal_users_answer(request, kind, partner, notice=notice)
    return _portal_users_answer(request, kind, partner, form=form, status=INVALID)


@partner_view("change", methods=("POST",))
def partner_invite_resend(request, kind: Kind, pk, user_pk):
    """Send a portal user's invitation again (they lost it, or it expired): this partner's users only (404)."""
    partner = _partner(request, kind, pk)
    membership = get_object_or_404(kind.portal_users(partner), user_id=user_pk)
    try:
        user = services.invitation_resend(user_id=membership.user_id)
    except DomainError as exc:  # Conflict: they chose a password meanwhile, or are deactivated
        return _portal_users_answer(request, kind, partner, notice=exc.message, is_error=True, status=exc.status_code)
    notice = _("Invitation sent again to %(email)s.") % {"email": user.email}
    return _portal_users_answer(request, kind, partner, notice=notice)
