"""Admin for vendors' crews: writes through workforce.services.crew_* (members of the crew's vendor only)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from omni.admin import RecordServiceAdmin

from .. import services
from ..models import Crew


class CrewForm(forms.ModelForm):
    class Meta:
        model = Crew
        fields = ["vendor", "name", "members"]

    def clean(self):
        data = super().clean()
        try:
            services.crew_members_check(data.get("vendor"), data.get("members") or ())
        except ValidationError as exc:
            self.add_error("members", exc.message_dict["members"])
        return data


@admin.register(Crew)
class CrewAdmin(RecordServiceAdmin):
    form = CrewForm
    list_display = ["name", "vendor", "member_count", "updated_at"]
    list_filter = ["vendor"]
    search_fields = ["name", "vendor__name", "members__user__email"]
    filter_horizontal = ["members"]
    list_select_related = ["vendor"]

    @admin.display(description="members")
    def member_count(self, obj):
        return obj.members.count()

    def record_create(self, *, by, **fields):
        return services.crew_create(**fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.crew_update(crew_id=obj.pk, **fields)

    def service_fields(self, form) -> dict:
        return {**super().service_fields(form), "members": list(form.cleaned_data.get("members") or ())}

    def save_related(self, request, form, formsets, change):
        form.save_m2m = lambda: None  # the members were set by the service
        super().save_related(request, form, formsets, change)
