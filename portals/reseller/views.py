from django.shortcuts import render
from django.views.decorators.http import require_GET

from omni.auth import audience_required


@require_GET
@audience_required
def dashboard(request):
    return render(request, "reseller/dashboard.html", {"nav_dashboard": True})
