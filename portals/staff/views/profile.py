"""My profile in the staff console: the phone SMS notifications and escalations reach, and the time zone quiet
hours follow. Staff only: the portals have no such page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from omni import services
from omni.auth import audience_required

from ..forms import ProfileForm
from ..helpers import add_service_errors, render_form


@require_http_methods(["GET", "POST"])
@audience_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=ProfileForm.initial_for(user))
    if form.is_valid():
        try:
            services.user_profile_update(user_id=user.pk, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("staff:profile")
    return render_form(request, "staff/profile.html", form, {"nav_profile": True})
