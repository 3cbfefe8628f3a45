"""The reseller portal's quotes, read-only: those of the reseller's accounts and leads (drafts included: they sell
on them), each with its PDF. Another reseller's quote is a 404."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from crm import selectors
from omni.auth import audience_required

from ..common import quote_pages

NAV = {"nav_quotes": True}
PAGE_SIZE = 25


def _visible(request):
    return selectors.quote_list_for_reseller(user=request.user)


@require_GET
@audience_required
def quote_list(request):
    quotes = _visible(request).prefetch_related(None).order_by("-created_at", "pk")
    page = Paginator(quotes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reseller/quotes/list.html", {**NAV, "page": page})


@require_GET
@audience_required
def quote_detail(request, pk):
    quote = get_object_or_404(_visible(request), pk=pk)
    context = {**NAV, "quote": quote, "pdf_url": reverse("reseller:quote_pdf", args=[quote.pk])}
    return render(request, "reseller/quotes/detail.html", context)


@require_GET
@audience_required
def quote_pdf(request, pk):
    return quote_pages.pdf_response(get_object_or_404(_visible(request), pk=pk))
