"""Forms of the staff console's ticket pages: the list's filters, saved views, bulk actions, and the ticket page's
reply, status, edit and macro forms. Choices of teams and staff are active ones; the services check again."""

import uuid

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from omni.models import User
from tickets import selectors
from tickets.api.filters import TicketFilterSet
from tickets.choices import SLAState, TicketPriority, TicketStatus
from tickets.models import Team

SLA_STATES = [(value, label) for value, label in SLAState.choices if value]


class TicketConsoleFilterSet(TicketFilterSet):
    """The API's ticket filters plus full-text search (`q`, subject, description, replies and internal notes,
    ranked), a tag and the SLA state."""

    q = django_filters.CharFilter(method="full_text", label=_("Search"))
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    sla_state = django_filters.MultipleChoiceFilter(choices=SLA_STATES, distinct=False, label=_("SLA"))

    class Meta(TicketFilterSet.Meta):
        # The API's filters (whatever they grow to) and these; sla_state may be among the API's already.
        fields = list(dict.fromkeys([*TicketFilterSet.Meta.fields, "q", "tag", "sla_state"]))

    def full_text(self, queryset, name, value):
        return selectors.ticket_search(queryset, value.strip()) if value.strip() else queryset

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()]) if value.strip() else queryset


def staff_choices():
    return User.objects.working_staff().order_by("full_name", "email")


def team_choices():
    return Team.objects.filter(active=True).order_by("name")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    shared = forms.BooleanField(label=_("Share with every staff user"), required=False)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


class UUIDListField(forms.Field):
    """The ids of the ticked rows (checkboxes named alike); 400 naming the field for one that is not an id."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return [uuid.UUID(str(item)) for item in value or []]
        except ValueError:
            raise forms.ValidationError(_("Not a ticket id."), code="invalid") from None

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(_("Select at least one ticket."), code="required")


BULK_ACTIONS = [("assign", _("Assign")), ("status", _("Change status")), ("tag", _("Add tag"))]


class BulkForm(forms.Form):
    """One bulk action on the selected tickets; what it needs depends on the action (clean)."""

    tickets = UUIDListField(label=_("Tickets"))
    action = forms.ChoiceField(label=_("Action"), choices=BULK_ACTIONS)
    assignee = StaffChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    unassign = forms.BooleanField(label=_("Unassign"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", "—"), *TicketStatus.choices], required=False)
    resolution = forms.CharField(label=_("Resolution note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_choices()
        self.fields["team"].queryset = team_choices()

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "assign" and not (data.get("assignee") or data.get("team") or data.get("unassign")):
            self.add_error("assignee", _("Choose an assignee or a team."))
        if action == "status" and not data.get("status"):
            self.add_error("status", _("Choose a status."))
        if action == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Give a tag."))
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    public = forms.TypedChoiceField(
        label=_("Kind"),
        choices=[("1", _("Public reply")), ("0", _("Internal note"))],
        coerce=lambda value: value == "1",
        initial="1",
    )
    mentions = StaffMultipleChoiceField(
        label=_("Mention"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentions"].queryset = staff_choices()


class StatusForm(forms.Form):
    to = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    resolution = forms.CharField(label=_("Resolution note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TicketEditForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=TicketPriority.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    assignee = StaffChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma separated."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_choices()
        self.fields["team"].queryset = team_choices()

    @staticmethod
    def initial_for(ticket) -> dict:
        return {
            "priority": ticket.priority,
            "team": ticket.team_id,
            "assignee": ticket.assignee_id,
            "tags": ", ".join(ticket.tags),
        }

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "priority": data["priority"],
            "team_id": data["team"].pk if data["team"] else None,
            "assignee_id": data["assignee"].pk if data["assignee"] else None,
            "tags": [tag for tag in data["tags"].split(",") if tag.strip()],
        }


class MacroRunForm(forms.Form):
    macro = forms.UUIDField(label=_("Macro"))
