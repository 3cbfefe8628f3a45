import datetime

from django.utils import timezone
from rest_framework import viewsets
from rest_framework.parsers import JSONParser


class ApiViewSet(viewsets.GenericViewSet):
    """Base for every viewset.

    - Filters and ordering apply to lists only, so a detail URL (restore, say) finds a row that the default
      list filters would hide.
    - Times are UTC (`…Z`) whatever TIME_ZONE is, so serializers and row-built lists print them alike.
    - Bodies are JSON only: form encodings cannot carry the nested values (GeoJSON, account links) and would
      silently drop them; anything else is a 415.
    - Access (omni.api.permissions.ApiAccess): staff need `view_<model>` to read and add/change/delete to write
      (`action_permission` names a custom action's verbs); portal users only reach the viewsets that list their
      audience in `portal_audiences`, read-only. None listed (the default): staff only.
    - Error answers are declared in the schema by omni.api.schema.AutoSchema; a view adds only its own (409).
    """

    parser_classes = [JSONParser]
    portal_audiences: tuple[str, ...] = ()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def initial(self, request, *args, **kwargs):
        timezone.activate(datetime.UTC)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        timezone.deactivate()
        return super().finalize_response(request, response, *args, **kwargs)
