"""The customer portal's quotes: the account's sent, accepted, rejected and expired quotes (never drafts), each with
its PDF and the accept and reject forms; and the lead's no-login page behind a signed, expiring link (`/q/<token>/`).
Another account's quote is a 404; a tampered link is a 404 and an expired one a 410."""

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm import selectors
from crm.models import Quote
from crm.services import quote_link_quote_id
from omni.auth import audience_required

from ..common import quote_pages

NAV = {"nav_quotes": True}
PAGE_SIZE = 25
DONE = {
    "accept": _("Thank you: the quote is accepted."),
    "reject": _("The quote is rejected. Thank you for telling us."),
}


def _quote(request, pk) -> Quote:
    return get_object_or_404(selectors.quote_list_for_customer(user=request.user), pk=pk)


@require_GET
@audience_required
def quote_list(request):
    quotes = selectors.quote_list_for_customer(user=request.user).prefetch_related(None).order_by("-created_at", "pk")
    page = Paginator(quotes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customer/quotes/list.html", {**NAV, "page": page})


def _detail(request, quote, status=200, **extra):
    context = quote_pages.decision_context(
        quote,
        accept_url=reverse("customer:quote_accept", args=[quote.pk]),
        reject_url=reverse("customer:quote_reject", args=[quote.pk]),
    )
    context.update(extra)
    return render(request, "customer/quotes/detail.html", {**NAV, **context}, status=status)


@require_GET
@audience_required
def quote_detail(request, pk):
    return _detail(request, _quote(request, pk))


@require_GET
@audience_required
def quote_pdf(request, pk):
    return quote_pages.pdf_response(_quote(request, pk))


def _answer(verb):
    @require_POST
    @audience_required
    def view(request, pk):
        quote = _quote(request, pk)
        status, extra = quote_pages.quote_answer(request, quote, verb)
        if status == 200:
            messages.success(request, DONE[verb])
            return redirect("customer:quote_detail", pk=quote.pk)
        return _detail(request, _quote(request, pk), status=status, **extra)

    view.__name__ = view.__qualname__ = f"quote_{verb}"
    return view


quote_accept, quote_reject = _answer("accept"), _answer("reject")


# ---- the lead's signed link (no sign-in) ------------------------------------------------------------------


def _link_quote(request, token) -> Quote:
    """The lead quote a link names; raises the pages' answers: 410 for an expired link, 404 for a bad one."""
    try:
        quote_id = quote_link_quote_id(token)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise Http404(_("This link is not valid.")) from None
    quote = selectors.quote_for_link(quote_id=quote_id)
    if quote is None:
        raise Http404(_("This link is not valid."))
    return quote


class LinkExpired(Exception):
    pass


def _link_detail(request, token, quote, status=200, **extra):
    context = quote_pages.decision_context(
        quote,
        accept_url=reverse("customer:quote_link_accept", args=[token]),
        reject_url=reverse("customer:quote_link_reject", args=[token]),
    )
    context.update(extra, token=token)
    return render(request, "customer/quotes/link.html", context, status=status)


def _expired(request):
    return render(request, "customer/quotes/link_expired.html", status=410)


@require_GET
def quote_link(request, token):
    try:
        return _link_detail(request, token, _link_quote(request, token))
    except LinkExpired:
        return _expired(request)


@require_GET
def quote_link_pdf(request, token):
    try:
        return quote_pages.pdf_response(_link_quote(request, token))
    except LinkExpired:
        return _expired(request)


def _link_answer(verb):
    @require_POST
    def view(request, token):
        try:
            quote = _link_quote(request, token)
        except LinkExpired:
            return _expired(request)
        status, extra = quote_pages.quote_answer(request, quote, verb)
        if status == 200:
            messages.success(request, DONE[verb])
            return redirect("customer:quote_link", token=token)
        return _link_detail(request, token, _link_quote(request, token), status=status, **extra)

    view.__name__ = view.__qualname__ = f"quote_link_{verb}"
    return view


quote_link_accept, quote_link_reject = _link_answer("accept"), _link_answer("reject")
