"""What the quote pages of every portal share: the accept and reject forms, the PDF answer, and answering a quote
through crm.services (name, time and the client's IP recorded there)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import services
from crm.models import Quote
from crm.pdf import quote_pdf
from omni.exceptions import DomainError
from omni.middleware import client_ip

from ..staff.helpers import add_service_errors


class QuoteAcceptForm(forms.Form):
    name = forms.CharField(label=_("Your full name"), max_length=200)
    agree = forms.BooleanField(label=_("I accept this quote and its terms on behalf of the customer."))


class QuoteRejectForm(forms.Form):
    name = forms.CharField(label=_("Your full name"), max_length=200)
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


def decision_context(quote: Quote, *, accept_url: str, reject_url: str, accept_form=None, reject_form=None) -> dict:
    return {
        "quote": quote,
        "quote_is_past": quote.valid_until < timezone.localdate(),
        "accept_form": accept_form or QuoteAcceptForm(prefix="accept"),
        "reject_form": reject_form or QuoteRejectForm(prefix="reject"),
        "accept_url": accept_url,
        "reject_url": reject_url,
    }


def quote_answer(request, quote: Quote, verb: str) -> tuple[int, dict]:
    """Answer `quote` (verb accept or reject) from the POSTed form. Returns (status, context overrides): 200 when
    done, 422 for a bad form, 409 when the quote was answered already or expired (the service's message)."""
    form_class = QuoteAcceptForm if verb == "accept" else QuoteRejectForm
    form = form_class(request.POST, prefix=verb)
    context = {f"{verb}_form": form}
    if not form.is_valid():
        return 422, context
    user = request.user if request.user.is_authenticated else None
    try:
        if verb == "accept":
            services.quote_accept(quote_id=quote.pk, name=form.cleaned_data["name"], ip=client_ip(request), by=user)
        else:
            services.quote_reject(
                quote_id=quote.pk,
                name=form.cleaned_data["name"],
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
                by=user,
            )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return 422, context
    except DomainError as exc:
        return exc.status_code, {"error": exc.message}
    return 200, {}


def pdf_response(quote: Quote) -> HttpResponse:
    """The quote's PDF, shown in the browser (inline) under its number."""
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{services.pdf_filename(quote)}"'
    return response
