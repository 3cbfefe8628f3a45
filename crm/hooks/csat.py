"""The satisfaction survey's public page (`/hooks/csat/<token>/`, no sign-in: the signed token is the proof). The
customer picks 1-5 and may comment; one answer per conversation and resolution (crm.services.csat_answer).
Answers: 200 the form / thanks, 400 a bad rating (the form names it), 404 a tampered or unknown link, 410 an
expired one."""

from datetime import datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm import services
from crm.models import CsatResponse

RATINGS = [
    (5, _("Very satisfied")),
    (4, _("Satisfied")),
    (3, _("Neutral")),
    (2, _("Dissatisfied")),
    (1, _("Very dissatisfied")),
]


def _survey(token: str):
    try:
        return services.csat_survey_for_token(token)
    except signing.SignatureExpired:
        return None
    except signing.BadSignature:
        raise Http404(_("This link is not valid.")) from None


@require_http_methods(["GET", "POST"])
def csat(request, token):
    survey = _survey(token)
    if survey is None:
        return render(request, "hooks/csat_expired.html", status=410)
    context = {"survey": survey, "conversation": survey.conversation, "ratings": RATINGS, "token": token}
    resolved_at = datetime.fromisoformat((survey.data or {}).get("resolved_at") or survey.key)
    answered = CsatResponse.objects.filter(conversation_id=survey.conversation_id, resolved_at=resolved_at).first()
    if request.method == "GET":
        if answered is not None:
            return render(request, "hooks/csat_thanks.html", {**context, "response": answered, "again": True})
        return render(request, "hooks/csat.html", {**context, "selected": request.GET.get("rating", "")})
    try:
        response, created = services.csat_answer(
            survey=survey, rating=request.POST.get("rating", ""), comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        errors = exc.message_dict
        context |= {
            "errors": errors,
            "selected": request.POST.get("rating", ""),
            "comment": request.POST.get("comment"),
        }
        return render(request, "hooks/csat.html", context, status=400)
    return render(request, "hooks/csat_thanks.html", {**context, "response": response, "again": not created})
