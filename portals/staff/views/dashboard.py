from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm import selectors
from crm.choices import AccountStatus
from omni.auth import audience_required


@require_GET
@audience_required
def dashboard(request):
    """Accounts by status (bars), totals, the newest accounts and a map; account figures need view_account."""
    context = {"nav_dashboard": True}
    if request.user.has_perm("crm.view_account"):
        counts = selectors.account_counts_by_status(user=request.user)
        total = sum(counts.values())
        biggest = max(counts.values(), default=0)
        context |= {
            "total": total,
            "by_status": [
                {
                    "status": status,
                    "label": label,
                    "count": counts.get(status, 0),
                    "width": round(100 * counts.get(status, 0) / biggest) if biggest else 0,  # longest bar: full
                    "share": round(100 * counts.get(status, 0) / total) if total else 0,
                }
                for status, label in AccountStatus.choices
            ],
            "status_labels": dict(AccountStatus.choices),
            "recent": selectors.account_list_recent(user=request.user),
            "points": selectors.account_map_points(
                queryset=selectors.account_list_visible_to(user=request.user).live()
            ),
        }
    return render(request, "staff/dashboard.html", context)
