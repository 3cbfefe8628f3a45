"""Vendor portal pages: the vendor organisation of the signed-in user (workforce.selectors)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from omni.auth import audience_required
from workforce import selectors as workforce_selectors


@require_GET
@audience_required
def dashboard(request):
    vendor = workforce_selectors.vendor_of(user=request.user)
    return render(request, "vendor/dashboard.html", {"nav_dashboard": True, "vendor": vendor})
