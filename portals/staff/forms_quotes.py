"""Forms of the staff console's quote pages: the draft's fields and its line formset (amounts parsed as Decimal from
the posted text, never a float), and the answer recorded on the customer's behalf."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.choices import QuoteStatus
from crm.models import Account, Contact, Lead


class QuoteForm(forms.Form):
    """A draft's fields. The account or lead is named by its number (ACC-…, LD-…), prefilled from the page the
    quote is made from (`?account=<id>` or `?lead=<id>`)."""

    account = forms.CharField(label=_("Account number"), required=False, max_length=20)
    lead = forms.CharField(label=_("Lead number"), required=False, max_length=20, help_text=_("Or a lead."))
    contact = forms.ModelChoiceField(
        label=_("Send to"), queryset=Contact.objects.none(), required=False, empty_label=_("The primary contact")
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("ISO 4217, e.g. NGN."))
    # ISO: an <input type="date"> shows nothing for a date in the locale's format.
    valid_until = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=_("Notes (printed)"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )

    def __init__(self, *args, contacts=None, fixed_customer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts if contacts is not None else Contact.objects.none()
        if fixed_customer:  # a draft keeps its account or lead
            self.fields["account"].disabled = self.fields["lead"].disabled = True

    def clean(self):
        data = super().clean()
        account_number, lead_number = data.get("account", "").strip(), data.get("lead", "").strip()
        if bool(account_number) == bool(lead_number):
            self.add_error("account", _("Give an account number or a lead number (one of them)."))
            return data
        if account_number:
            account = Account.objects.live().filter(number__iexact=account_number).first()
            if account is None:
                self.add_error("account", _("No account has this number."))
            data["account_obj"] = account
        if lead_number:
            lead = Lead.objects.filter(number__iexact=lead_number).first()
            if lead is None:
                self.add_error("lead", _("No lead has this number."))
            data["lead_obj"] = lead
        return data

    def service_fields(self, *, create: bool) -> dict:
        data = self.cleaned_data
        fields = {
            "contact_id": data["contact"].pk if data.get("contact") else None,
            "title": data["title"],
            "currency": data["currency"],
            "valid_until": data["valid_until"],
            "notes": data["notes"],
        }
        if create:
            account, lead = data.get("account_obj"), data.get("lead_obj")
            fields.update(account_id=account.pk if account else None, lead_id=lead.pk if lead else None)
        return fields


class QuoteLineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=500)
    quantity = forms.DecimalField(label=_("Qty"), max_digits=12, decimal_places=3, initial=Decimal(1))
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=16, decimal_places=4)
    discount_percent = forms.DecimalField(
        label=_("Discount %"), max_digits=5, decimal_places=2, initial=Decimal(0), required=False
    )
    tax_rate = forms.DecimalField(label=_("Tax %"), max_digits=5, decimal_places=2, initial=Decimal(0), required=False)
    recurring = forms.BooleanField(label=_("Monthly"), required=False)

    def line(self) -> dict:
        data = self.cleaned_data
        return {
            "description": data["description"],
            "quantity": data["quantity"],
            "unit_price": data["unit_price"],
            "discount_percent": data.get("discount_percent") or Decimal(0),
            "tax_rate": data.get("tax_rate") or Decimal(0),
            "recurring": data.get("recurring", False),
        }


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, extra=0, can_delete=True, min_num=1, max_num=200)


def formset_lines(formset) -> list[dict]:
    """The lines of a valid formset, in order, leaving out deleted and blank extra forms."""
    return [form.line() for form in formset.forms if form.has_changed() and not form.cleaned_data.get("DELETE")]


class QuoteAnswerForm(forms.Form):
    """The customer's answer, recorded by staff on their behalf (a phone call, a signed paper copy)."""

    verb = forms.ChoiceField(
        label=_("Answer"), choices=[("accept", _("Accepted")), ("reject", _("Rejected"))], widget=forms.RadioSelect
    )
    name = forms.CharField(label=_("Customer's name"), max_length=200)
    reason = forms.CharField(label=_("Reason (rejections)"), required=False, max_length=2000)


STATUS_CHOICES = QuoteStatus.choices
