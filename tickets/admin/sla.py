"""Admin for business calendars, their hours and holidays: every write goes through tickets.services
(omni.admin.ServiceAdmin), so an admin edit meets the same checks as the API and the management commands."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.admin import ReadOnlyAdminMixin, RecordServiceAdmin, ServiceAdmin, refusal_messages

from .. import services
from ..models import BusinessCalendar, BusinessHours, EscalationRule, Holiday, SLACondition, SLAPolicy, SLATarget


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    fields = ["weekday", "start", "end"]
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    fields = ["date", "name", "source"]
    readonly_fields = ["source"]
    extra = 0


def _save_hours(calendar: BusinessCalendar, formset) -> None:
    """The hours inline through services.hours_set: every weekday a row was added to, changed on, moved from or
    removed from gets the ranges its rows now hold, in one call each (overlaps are refused there)."""
    touched: set[int] = set()
    for row in formset.forms:
        if not row.has_changed() and row not in formset.deleted_forms:
            continue
        if row.initial.get("weekday") is not None:
            touched.add(row.initial["weekday"])
        if row.cleaned_data.get("weekday") is not None:
            touched.add(int(row.cleaned_data["weekday"]))
    kept: dict[int, list] = {day: [] for day in touched}
    for row in formset.forms:
        if row in formset.deleted_forms or not row.cleaned_data:
            continue
        day = int(row.cleaned_data["weekday"])
        if day in kept:
            kept[day].append((row.cleaned_data["start"], row.cleaned_data["end"]))
    for day, ranges in sorted(kept.items()):
        services.hours_set(calendar_id=calendar.pk, weekday=day, ranges=ranges)
    ServiceAdmin.formset_saved(formset)


def _save_holidays(calendar: BusinessCalendar, formset) -> None:
    """The holidays inline through holiday_delete and holiday_add: a changed row is the old date removed and
    the new one added by hand."""
    for row in formset.forms:
        if row.instance._state.adding or not (row in formset.deleted_forms or row.has_changed()):
            continue
        services.holiday_delete(calendar_id=calendar.pk, date=row.initial["date"])
    for row in formset.forms:
        if row in formset.deleted_forms or not row.has_changed() or not row.cleaned_data:
            continue
        services.holiday_add(calendar_id=calendar.pk, date=row.cleaned_data["date"], name=row.cleaned_data["name"])
    ServiceAdmin.formset_saved(formset)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(RecordServiceAdmin):
    list_display = ["name", "time_zone", "country", "hours_count", "holidays_count", "ical_synced_at", "updated_at"]
    list_filter = ["time_zone", "country"]
    search_fields = ["name", "time_zone", "country"]
    readonly_fields = ["ical_synced_at", "created_at", "updated_at"]
    inlines = [BusinessHoursInline, HolidayInline]
    actions = ["seed_holidays", "import_ical"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                hours_total=Count("hours", distinct=True),
                holidays_total=Count("holidays", distinct=True),
            )
        )

    @admin.display(description=_("hour ranges"), ordering="hours_total")
    def hours_count(self, obj):
        return obj.hours_total

    @admin.display(description=_("holidays"), ordering="holidays_total")
    def holidays_count(self, obj):
        return obj.holidays_total

    def service_fields(self, form) -> dict:
        return {name: form.cleaned_data[name] for name in services.CALENDAR_EDITABLE}

    def record_create(self, *, by, **fields):
        return services.calendar_create(by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.calendar_update(calendar_id=obj.pk, by=by, **fields)

    def save_formset(self, request, form, formset, change):
        if formset.model is BusinessHours:
            return _save_hours(form.instance, formset)
        if formset.model is Holiday:
            return _save_holidays(form.instance, formset)
        return super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        services.calendar_delete(calendar_id=obj.pk, by=request.user)

    def get_deleted_objects(self, objs, request):
        """Hours and holidays are parts of their calendar: deleting it needs no permission on them (hours have
        no delete permission of their own here). SLA policies that use it make the service refuse (409)."""
        objs = list(objs)
        return [str(obj) for obj in objs], {self.model._meta.verbose_name_plural: len(objs)}, set(), []

    def _each(self, request, queryset, call) -> int:
        added = 0
        for calendar in queryset:
            try:
                added += call(calendar)
            except ValidationError as exc:
                for message in refusal_messages(exc):
                    self.message_user(request, f"{calendar}: {message}", messages.ERROR)
        return added

    @admin.action(description=_("Seed public holidays (this year and next)"), permissions=["change"])
    def seed_holidays(self, request, queryset):
        year = timezone.localdate().year
        added = self._each(
            request,
            queryset,
            lambda calendar: sum(
                services.holidays_seed(calendar_id=calendar.pk, year=y, by=request.user) for y in (year, year + 1)
            ),
        )
        self.message_user(request, _("%(n)d holiday(s) added.") % {"n": added}, messages.SUCCESS)

    @admin.action(description=_("Import holidays from the iCal feed"), permissions=["change"])
    def import_ical(self, request, queryset):
        added = self._each(
            request, queryset, lambda calendar: services.holidays_import_ical(calendar_id=calendar.pk, by=request.user)
        )
        self.message_user(request, _("%(n)d holiday(s) imported.") % {"n": added}, messages.SUCCESS)


@admin.register(BusinessHours)
class BusinessHoursAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A read-only list across calendars: hours are edited on their calendar's page, a weekday at a time
    (services.hours_set)."""

    list_display = ["calendar", "weekday", "start", "end"]
    list_filter = ["weekday", ("calendar", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["calendar__name"]
    list_select_related = ["calendar"]


@admin.register(Holiday)
class HolidayAdmin(ServiceAdmin):
    """Holidays across calendars: added by hand or removed here; seeding and imports run from the calendar."""

    list_display = ["date", "name", "calendar", "source"]
    list_filter = ["source", ("calendar", admin.RelatedOnlyFieldListFilter), ("date", admin.DateFieldListFilter)]
    search_fields = ["name", "calendar__name"]
    list_select_related = ["calendar"]
    date_hierarchy = "date"
    fields = ["calendar", "date", "name", "source"]
    readonly_fields = ["source"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)  # the list, not a row: delete and re-add

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.holiday_add(
            calendar_id=data["calendar"].pk, date=data["date"], name=data["name"], by=request.user
        )
        self.adopt(obj, saved)

    def delete_model(self, request, obj):
        services.holiday_delete(calendar_id=obj.calendar_id, date=obj.date, by=request.user)


# ---- SLA policies: configuration rows with no rule beyond their own (model clean() and constraints), saved by
# the admin's forms until the policy services and API come with tickets and clocks (issue 10, next step).


class SLAConditionInline(admin.TabularInline):
    model = SLACondition
    fields = ["field", "values"]
    extra = 0


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    fields = ["metric", "minutes", "business_hours"]
    extra = 0


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    fields = ["metric", "kind", "level", "percent", "offset_minutes", "action", "user", "team", "priority"]
    autocomplete_fields = ["user", "team"]
    extra = 0


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "calendar", "active", "updated_at"]
    list_display_links = ["name"]
    list_filter = ["active", ("calendar", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "description", "calendar__name"]
    list_select_related = ["calendar"]
    autocomplete_fields = ["calendar"]
    inlines = [SLAConditionInline, SLATargetInline, EscalationRuleInline]


@admin.register(SLATarget)
class SLATargetAdmin(admin.ModelAdmin):
    list_display = ["policy", "metric", "minutes", "business_hours"]
    list_filter = ["metric", "business_hours", ("policy", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["policy__name"]
    list_select_related = ["policy"]
    autocomplete_fields = ["policy"]


@admin.register(SLACondition)
class SLAConditionAdmin(admin.ModelAdmin):
    list_display = ["policy", "field", "values"]
    list_filter = ["field", ("policy", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["policy__name"]
    list_select_related = ["policy"]
    autocomplete_fields = ["policy"]


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = [
        "policy",
        "metric",
        "kind",
        "level",
        "percent",
        "offset_minutes",
        "action",
        "user",
        "team",
        "priority",
    ]
    list_filter = ["metric", "kind", "action", ("policy", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["policy__name", "user__email"]
    list_select_related = ["policy", "user", "team"]
    autocomplete_fields = ["policy", "user", "team"]
