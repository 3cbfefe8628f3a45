"""Inbox automation in the staff console: the rules (list by event in running order, create/edit with a builder of
condition and action rows, move up/down, switch on/off, delete; Admin's: crm.*_rule) and the agent's own
availability for round-robin assignment (any inbox agent)."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import selectors, services
from crm.choices import (
    ACTIONS,
    CONDITION_FIELDS,
    AccountKind,
    ChannelKind,
    ConversationPriority,
    RuleEvent,
    RuleMatch,
)
from crm.models import CannedReply, Channel, InboxAgent, InboxTeam, Label, Rule
from omni.exceptions import DomainError
from omni.models import User

from ...htmx import wants_partial
from ..helpers import INVALID, add_service_errors, staff_view

FIELD_LABELS = {
    "channel": gettext_lazy("Channel"),
    "channel_kind": gettext_lazy("Channel kind"),
    "email_domain": gettext_lazy("Contact's email domain"),
    "message_body": gettext_lazy("Message"),
    "subject": gettext_lazy("Subject"),
    "account_kind": gettext_lazy("Account kind"),
    "business_hours": gettext_lazy("Business hours"),
    "label": gettext_lazy("Label"),
}
OPERATOR_LABELS = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "present": gettext_lazy("is on the conversation"),
    "absent": gettext_lazy("is not on the conversation"),
}
ACTION_LABELS = {
    "assign_team": gettext_lazy("Assign to team"),
    "assign_agent": gettext_lazy("Assign to agent"),
    "add_label": gettext_lazy("Add label"),
    "set_priority": gettext_lazy("Set priority"),
    "send_canned_reply": gettext_lazy("Send canned reply"),
    "snooze": gettext_lazy("Snooze (hours)"),
    "resolve": gettext_lazy("Resolve"),
}


class RuleForm(forms.Form):
    """A rule: its name, event, match, and the condition and action rows (JSON lists, built on the page)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    event = forms.ChoiceField(label=gettext_lazy("When"), choices=RuleEvent.choices)
    match = forms.ChoiceField(label=gettext_lazy("Match"), choices=RuleMatch.choices, initial=RuleMatch.ALL)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    conditions = forms.CharField(label=gettext_lazy("Conditions"), required=False, widget=forms.HiddenInput)
    actions = forms.CharField(label=gettext_lazy("Actions"), required=False, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, rule: Rule) -> dict:
        return {
            "name": rule.name,
            "event": rule.event,
            "match": rule.match,
            "active": rule.active,
            "conditions": json.dumps(rule.conditions),
            "actions": json.dumps(rule.actions),
        }

    def _rows(self, name: str) -> list:
        text = self.cleaned_data.get(name) or "[]"
        try:
            rows = json.loads(text)
        except ValueError:
            raise ValidationError(_("Not valid JSON.")) from None
        if not isinstance(rows, list):
            raise ValidationError(_("Must be a list of rows."))
        return rows

    def clean_conditions(self):
        return self._rows("conditions")

    def clean_actions(self):
        return self._rows("actions")

    def rows_json(self, name: str) -> str:
        """The rows as the builder starts from: what was posted (even when invalid) or the rule's."""
        value = self[name].value() or "[]"
        try:
            rows = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            rows = []
        return json.dumps(rows if isinstance(rows, list) else [])


def _builder_options() -> dict:
    """What the row builder offers: fields with their operators and kind of value, actions, and the choices of each
    kind (one query per referenced model)."""
    staff = User.objects.working_staff().order_by("email")
    choices = {
        "channel": [[str(pk), name] for pk, name in Channel.objects.values_list("pk", "name")],
        "label": [[str(pk), name] for pk, name in Label.objects.values_list("pk", "name")],
        "team": [[str(pk), name] for pk, name in InboxTeam.objects.filter(active=True).values_list("pk", "name")],
        "agent": [[str(pk), name or email] for pk, name, email in staff.values_list("pk", "full_name", "email")],
        "canned_reply": [[str(pk), f"/{code}"] for pk, code in CannedReply.objects.values_list("pk", "shortcode")],
        "channel_kind": [[value, str(label)] for value, label in ChannelKind.choices],
        "account_kind": [[value, str(label)] for value, label in AccountKind.choices] + [["none", _("No account")]],
        "open_closed": [["open", _("open")], ["closed", _("closed")]],
        "priority": [[value, str(label)] for value, label in ConversationPriority.choices],
    }
    return {
        "fields": {
            name: {"label": str(FIELD_LABELS[name]), "operators": list(operators), "kind": kind}
            for name, (operators, kind) in CONDITION_FIELDS.items()
        },
        "operators": {name: str(label) for name, label in OPERATOR_LABELS.items()},
        "actions": {name: {"label": str(ACTION_LABELS[name]), "kind": kind} for name, kind in ACTIONS.items()},
        "choices": choices,
    }


def _form_page(request, form, rule=None):
    context = {
        "form": form,
        "rule": rule,
        "options": _builder_options(),
        "conditions_json": form.rows_json("conditions"),
        "actions_json": form.rows_json("actions"),
        "nav_inbox": True,
    }
    return render(request, "staff/inbox/automation/form.html", context, status=INVALID if form.errors else 200)


def _save(request, form, rule=None):
    """Call the service with the form's data; returns the rule, or None with the service's errors on the form."""
    data = form.cleaned_data
    fields = {key: data[key] for key in ("name", "event", "match", "active", "conditions", "actions")}
    try:
        if rule is None:
            return services.rule_create(**fields)
        return services.rule_update(rule_id=rule.pk, **fields)
    except (ValidationError, DomainError) as exc:
        add_service_errors(form, exc)
        return None


@staff_view("crm.view_rule")
def rule_list(request):
    rows = selectors.rule_rows(selectors.rules_in_order())
    events = [(value, label, [row for row in rows if row["rule"].event == value]) for value, label in RuleEvent.choices]
    context = {
        "events": events,
        "field_labels": FIELD_LABELS,
        "operator_labels": OPERATOR_LABELS,
        "action_labels": ACTION_LABELS,
        "nav_inbox": True,
    }
    return render(request, "staff/inbox/automation/list.html", context)


@staff_view("crm.add_rule", methods=("GET", "POST"))
def rule_create(request):
    form = RuleForm(request.POST if request.method == "POST" else None, initial={"active": True})
    if form.is_valid():
        rule = _save(request, form)
        if rule is not None:
            messages.success(request, _("Rule %(name)s created.") % {"name": rule.name})
            return redirect("staff:inbox_rule_list")
    return _form_page(request, form)


@staff_view("crm.change_rule", methods=("GET", "POST"))
def rule_edit(request, pk):
    rule = get_object_or_404(Rule, pk=pk)
    form = RuleForm(request.POST if request.method == "POST" else None, initial=RuleForm.initial_for(rule))
    if form.is_valid():
        saved = _save(request, form, rule)
        if saved is not None:
            messages.success(request, _("Rule %(name)s saved.") % {"name": saved.name})
            return redirect("staff:inbox_rule_list")
    return _form_page(request, form, rule)


@staff_view("crm.change_rule", methods=("POST",))
def rule_set_active(request, pk):
    rule = get_object_or_404(Rule, pk=pk)
    active = request.POST.get("active") == "true"
    services.rule_set_active(rule_id=rule.pk, active=active)
    messages.success(request, _("Rule %(name)s switched on.") if active else _("Rule %(name)s switched off."))
    return redirect("staff:inbox_rule_list")


@staff_view("crm.change_rule", methods=("POST",))
def rule_move(request, pk):
    """Move a rule one place up or down among its event's rules (`direction`: up / down)."""
    rule = get_object_or_404(Rule, pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return render(
            request,
            "staff/inbox/automation/error.html",
            {"error": _("direction: say up or down."), "nav_inbox": True},
            status=400,
        )
    ids = list(Rule.objects.filter(event=rule.event).order_by("position", "name").values_list("pk", flat=True))
    index = ids.index(rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        services.rule_reorder(event=rule.event, rule_ids=ids)
    return redirect("staff:inbox_rule_list")


@staff_view("crm.delete_rule", methods=("POST",))
def rule_delete(request, pk):
    rule = get_object_or_404(Rule, pk=pk)
    services.rule_delete(rule_id=rule.pk)
    messages.success(request, _("Rule %(name)s deleted.") % {"name": rule.name})
    return redirect("staff:inbox_rule_list")


@staff_view("crm.view_conversation", methods=("POST",))
def availability(request):
    """The signed-in agent's own availability for round-robin: `available` = true / false, or absent to toggle.
    To htmx: the toggle's partial; otherwise back to `next` (a local URL) or the inbox."""
    value = request.POST.get("available")
    if value not in (None, "", "true", "false"):
        return render(
            request,
            "staff/inbox/automation/error.html",
            {"error": _("available: say true or false."), "nav_inbox": True},
            status=400,
        )
    agent = services.agent_availability_set(user=request.user, available=None if not value else value == "true")
    if wants_partial(request):
        return render(request, "staff/inbox/automation/_availability.html", {"inbox_agent": agent})
    messages.success(request, _("You are available for new conversations.") if agent.available else _("You are away."))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = ""
    return redirect(target or "staff:inbox_list")


def inbox_agent_of(user) -> InboxAgent | None:
    """The user's inbox presence row (None until they first toggle), for the console's availability toggle."""
    return InboxAgent.objects.filter(user=user).first()
