"""The reseller portal's lead pages: the leads of the signed-in user's reseller (crm.selectors: another reseller's
lead is a 404), a lead's page, and "register a lead", which becomes their reseller's with source "reseller" for
the sales team to qualify (crm.services.lead_create decides both, whatever is posted)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from phonenumber_field.formfields import PhoneNumberField

from crm import selectors, services
from crm.api.leads import LeadFilterSet
from omni.auth import audience_required
from omni.exceptions import DomainError

from ..htmx import wants_partial

PAGE_SIZE = 25
NAV = {"nav_leads": True}


class LeadRegisterForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    company = forms.CharField(label=gettext_lazy("Company"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    phone = PhoneNumberField(
        label=gettext_lazy("Phone"), required=False, help_text=gettext_lazy("e.g. 0803 123 4567 or +2348031234567.")
    )
    service_address = forms.CharField(
        label=gettext_lazy("Service address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    expected_monthly_value = forms.DecimalField(
        label=gettext_lazy("Expected monthly value"), max_digits=14, decimal_places=2, min_value=0, required=False
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone") and not self.errors:
            raise ValidationError(_("Give an email or a phone number, so that the sales team can reach them."))
        return cleaned

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["phone"] = data["phone"] or ""
        if data["expected_monthly_value"] is None:
            del data["expected_monthly_value"]
        return data


def _visible(request):
    return selectors.lead_list_visible_to(user=request.user)


@require_GET
@vary_on_headers("HX-Request")
@audience_required
def lead_list(request):
    queryset = _visible(request).order_by("-created_at", "pk")
    filters = LeadFilterSet(request.GET or None, queryset=queryset, request=request)
    valid = filters.is_valid() if filters.is_bound else True
    queryset = filters.qs if valid else filters.queryset.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "reseller/leads/list.html" + ("#lead-table" if wants_partial(request) else "")
    context = {**NAV, "filters": filters, "page": page, "valid": valid}
    return render(request, template, context, status=200 if valid else 422)


@require_GET
@audience_required
def lead_detail(request, pk):
    lead = get_object_or_404(_visible(request), pk=pk)
    return render(request, "reseller/leads/detail.html", {**NAV, "lead": lead})


@require_http_methods(["GET", "POST"])
@audience_required
def lead_new(request):
    form = LeadRegisterForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            lead = services.lead_create(by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError):
                form.add_error(None, exc.message)
            else:
                for name, texts in exc.message_dict.items():
                    for text in texts:
                        form.add_error(name if name in form.fields else None, text)
        else:
            messages.success(
                request, _("Lead %(number)s registered. Our sales team will follow it up.") % {"number": lead.number}
            )
            return redirect("reseller:lead_detail", pk=lead.pk)
    return render(request, "reseller/leads/new.html", {**NAV, "form": form}, status=422 if form.errors else 200)
