"""SLA policies, their conditions, targets and escalation rules: the database holds each rule (a bad row is
refused whoever writes it) and clean() names the field for forms; a calendar in use cannot be deleted."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from omni.exceptions import Conflict
from tests.omni.factories import StaffFactory
from tests.tickets.factories import BusinessCalendarFactory, SLAPolicyFactory
from tickets import selectors, services
from tickets.business_time import CalendarSpec, target_due
from tickets.choices import ConditionField, EscalationAction, EscalationKind, SLAMetric
from tickets.models import BusinessCalendar, EscalationRule, SLACondition, SLAPolicy, SLATarget


def _refused(constraint: str, model, **fields) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        model.objects.create(**fields)


def test_the_issues_escalation_ladder_is_stored(db):
    """Warn at 75%, L1 at the breach, L2 one hour and L3 four hours after it (issue 10's "Done when")."""
    policy = SLAPolicyFactory()
    lead = StaffFactory()
    SLATarget.objects.create(policy=policy, metric=SLAMetric.RESOLUTION, minutes=240)
    rules = [
        {"kind": EscalationKind.WARN, "level": 1, "percent": 75, "action": EscalationAction.NOTIFY_USER},
        {"kind": EscalationKind.BREACH, "level": 1, "action": EscalationAction.NOTIFY_USER},
        {"kind": EscalationKind.AFTER_BREACH, "level": 2, "offset_minutes": 60, "action": EscalationAction.REASSIGN},
        {"kind": EscalationKind.AFTER_BREACH, "level": 3, "offset_minutes": 240, "action": "raise_priority"},
    ]
    for rule in rules:
        user = None if rule["action"] == "raise_priority" else lead
        row = EscalationRule(
            policy=policy, metric=SLAMetric.RESOLUTION, user=user, priority="urgent" if not user else "", **rule
        )
        row.full_clean()
        row.save()
    assert list(policy.escalations.values_list("kind", "level", "percent", "offset_minutes")) == [
        ("breach", 1, None, None),
        ("warn", 1, 75, None),
        ("after_breach", 2, None, 60),
        ("after_breach", 3, None, 240),
    ]


def test_one_rule_per_metric_kind_and_level(db):
    policy = SLAPolicyFactory()
    fields = {"policy": policy, "metric": "resolution", "kind": "breach", "level": 1, "action": "raise_priority"}
    EscalationRule.objects.create(priority="high", **fields)
    _refused("tickets_escalationrule_one_per_level", EscalationRule, priority="urgent", **fields)


@pytest.mark.parametrize(
    ("fields", "constraint", "errors"),
    [
        (
            {"kind": "warn", "percent": None},
            "tickets_escalationrule_trigger_shape",
            {"percent": ["A warning needs a percent of the target from 1 to 99."]},
        ),
        (
            {"kind": "warn", "percent": 100},
            "tickets_escalationrule_trigger_shape",
            {"percent": ["A warning needs a percent of the target from 1 to 99."]},
        ),
        (
            {"kind": "after_breach"},
            "tickets_escalationrule_trigger_shape",
            {"offset_minutes": ["A level after the breach needs its minutes after the breach."]},
        ),
        (
            {"kind": "breach", "offset_minutes": 30},
            "tickets_escalationrule_trigger_shape",
            {"offset_minutes": ["Only a level after the breach has an offset."]},
        ),
        (
            {"kind": "breach", "action": "notify_user", "priority": ""},
            "tickets_escalationrule_action_target",
            {"user": ["Say whom to notify or reassign to."]},
        ),
        (
            {"kind": "breach", "priority": ""},
            "tickets_escalationrule_action_target",
            {"priority": ["Say which priority to raise to."]},
        ),
        ({"kind": "breach", "level": 0}, "tickets_escalationrule_level_positive", None),
        ({"kind": "breach", "metric": "on_site"}, "tickets_escalationrule_metric_valid", None),
    ],
)
def test_a_bad_escalation_rule_is_refused_by_the_database_and_named_by_clean(db, fields, constraint, errors):
    base = {"policy": SLAPolicyFactory(), "metric": "resolution", "level": 1, "action": "raise_priority"}
    base["priority"] = "urgent"
    _refused(constraint, EscalationRule, **{**base, **fields})
    if errors is not None:
        with pytest.raises(ValidationError) as caught:
            EscalationRule(**{**base, **fields}).clean()
        assert caught.value.message_dict == errors


def test_targets_are_positive_and_one_per_metric(db):
    policy = SLAPolicyFactory()
    SLATarget.objects.create(policy=policy, metric=SLAMetric.FIRST_RESPONSE, minutes=60)
    _refused("tickets_slatarget_one_per_metric", SLATarget, policy=policy, metric="first_response", minutes=30)
    _refused("tickets_slatarget_minutes_positive", SLATarget, policy=policy, metric="resolution", minutes=0)
    assert str(SLATarget.objects.get()) == "First response: 60 min (business)"


def test_conditions_check_their_values(db):
    policy = SLAPolicyFactory()
    condition = SLACondition(policy=policy, field=ConditionField.PRIORITY, values=["high", "urgent", "asap"])
    with pytest.raises(ValidationError) as caught:
        condition.full_clean()
    assert caught.value.message_dict == {"values": ["Not a priority: asap."]}
    tags = SLACondition(policy=policy, field=ConditionField.TAG, values=[" VIP ", "vip", "Fiber", ""])
    tags.full_clean()
    tags.save()
    assert SLACondition.objects.get().values == ["vip", "fiber"]
    _refused("tickets_slacondition_one_per_field", SLACondition, policy=policy, field="tag", values=["gold"])
    _refused("tickets_slacondition_values_given", SLACondition, policy=policy, field="channel", values=[])
    kinds = SLACondition(policy=policy, field=ConditionField.ACCOUNT_KIND, values=["business"])
    kinds.full_clean()


def test_a_calendar_a_policy_uses_cannot_be_deleted(db, api_as):
    calendar = BusinessCalendarFactory()
    SLAPolicyFactory(name="Business customers", calendar=calendar)
    with pytest.raises(Conflict) as caught:
        services.calendar_delete(calendar_id=calendar.pk)
    assert caught.value.message == "SLA policies use this calendar: Business customers."
    response = api_as(StaffFactory(roles=["Admin"])).delete(f"/api/v1/tickets/calendars/{calendar.pk}/")
    assert (response.status_code, response.json()) == (
        409,
        {"code": "conflict", "detail": "SLA policies use this calendar: Business customers.", "fields": {}},
    )
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()


def test_the_policy_admin_pages_show(admin_user, client_as):
    policy = SLAPolicyFactory()
    SLATarget.objects.create(policy=policy, metric=SLAMetric.RESOLUTION, minutes=480)
    admin = client_as(admin_user)
    for page in ("slapolicy/", f"slapolicy/{policy.pk}/change/", "slapolicy/add/", "slatarget/", "slacondition/"):
        assert admin.get(f"/admin/tickets/{page}?q=Policy").status_code == 200, page
    assert admin.get("/admin/tickets/escalationrule/").status_code == 200
    assert SLAPolicy.objects.get().targets.get().minutes == 480


def _policy(position, *, active=True, **conditions):
    policy = SLAPolicyFactory(name=f"P{position}", position=position, active=active)
    for field, values in conditions.items():
        SLACondition.objects.create(policy=policy, field=field, values=values)
    return policy


def test_the_first_active_policy_whose_conditions_all_match_applies(db, django_assert_num_queries):
    _policy(1, active=False)  # matches everything, but switched off
    urgent_vip = _policy(2, priority=["urgent"], tag=["vip"])
    business = _policy(3, account_kind=["business"], channel=["phone", "email"])
    outage = _policy(4, category=["outage"])
    default = _policy(9)
    with django_assert_num_queries(2):
        assert selectors.sla_policy_for(priority="urgent", tags=["Fiber", "VIP "]) == urgent_vip
    assert selectors.sla_policy_for(priority="urgent", tags=["fiber"], account_kind="business") == default
    assert selectors.sla_policy_for(priority="low", account_kind="business", channel="email") == business
    assert selectors.sla_policy_for(priority="low", account_kind="business", channel="chat") == default
    assert selectors.sla_policy_for(priority="low", category=" Outage") == outage
    SLAPolicy.objects.filter(pk=default.pk).update(active=False)
    assert selectors.sla_policy_for(priority="low") is None


def test_a_calendar_hours_target_runs_round_the_clock():
    lagos = ZoneInfo("Africa/Lagos")
    spec = CalendarSpec(zone=lagos, hours=dict.fromkeys(range(5), ((8 * 60, 17 * 60),)))
    friday = datetime.datetime(2026, 12, 4, 16, 30, tzinfo=lagos)
    hours = datetime.timedelta(hours=2)
    assert target_due(spec, friday, hours, business_hours=False) == datetime.datetime(2026, 12, 4, 18, 30, tzinfo=lagos)
    assert target_due(spec, friday, hours, business_hours=True) == datetime.datetime(2026, 12, 7, 9, 30, tzinfo=lagos)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "given", "errors"),
    [
        ("notify_team", {}, {"team"}),
        ("reassign_team", {"user": True}, {"team", "user"}),
        ("notify_user", {"team": True}, {"user", "team"}),
        ("raise_priority", {"team": True, "priority": "urgent"}, {"team"}),
    ],
)
def test_escalation_rule_names_the_field_its_action_needs_or_refuses(action, given, errors):
    from tests.tickets.factories import TeamFactory
    from tickets.models import EscalationRule

    rule = EscalationRule(
        policy=SLAPolicyFactory(),
        metric="resolution",
        kind="breach",
        action=action,
        user=StaffFactory() if given.get("user") else None,
        team=TeamFactory() if given.get("team") else None,
        priority=given.get("priority", ""),
    )
    with pytest.raises(ValidationError) as err:
        rule.full_clean()
    assert set(err.value.message_dict) == errors


@pytest.mark.django_db
def test_an_escalation_rule_names_an_active_staff_user(customer):
    from tickets.models import EscalationRule

    gone = StaffFactory(is_active=False)
    for user in (gone, customer):
        rule = EscalationRule(
            policy=SLAPolicyFactory(), metric="resolution", kind="breach", action="notify_user", user=user
        )
        with pytest.raises(ValidationError) as err:
            rule.full_clean()
        assert err.value.message_dict == {"user": ["Choose an active staff user."]}
