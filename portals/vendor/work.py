"""The vendor portal's work (issue 14, item 9): the work orders its crew has live appointments for (list and
detail), and its crew with their skills and today's appointments. Reads go through workforce.selectors_portal:
another vendor's work order, or one only other technicians visit, is a 404."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from omni.auth import audience_required
from workforce import selectors as workforce_selectors
from workforce import selectors_portal as selectors

PAGE_SIZE = 25


@require_GET
@audience_required
def work_order_list(request):
    """A page of the vendor's work orders, newest first: count, page and the crew's appointments (one prefetch)."""
    work_orders = selectors.work_order_list_for_vendor(user=request.user).order_by("-created_at", "pk")
    page = Paginator(work_orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "vendor/work_orders/list.html", {"nav_work_orders": True, "page": page})


@require_GET
@audience_required
def work_order_detail(request, pk):
    work_order = get_object_or_404(selectors.work_order_list_for_vendor(user=request.user), pk=pk)
    return render(request, "vendor/work_orders/detail.html", {"nav_work_orders": True, "work_order": work_order})


@require_GET
@audience_required
def crew_list(request):
    context = {
        "nav_crew": True,
        "vendor": workforce_selectors.vendor_of(user=request.user),
        "crew": selectors.crew_list_for_vendor(user=request.user),
        "today": selectors.today_span().lower,
    }
    return render(request, "vendor/crew.html", context)
