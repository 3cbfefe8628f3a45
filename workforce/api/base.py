"""What every workforce resource shares: the viewset that parses an `…In`, calls a service and answers with the
`…Out` re-read through the audience's selector, and the schema of its operations."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from omni.api import parse
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet
from omni.choices import Audience

from .. import selectors, services

CONFLICT = error_responses(409)


def crud_schema(noun: str, in_class, out_class, *, delete: str = "Refused (409) while something still uses it."):
    return extend_schema_view(
        list=extend_schema(summary=f"List {noun}s", responses={200: out_class(many=True)}),
        retrieve=extend_schema(summary=f"Get a {noun}", responses={200: out_class}),
        create=extend_schema(summary=f"Create a {noun}", request=in_class, responses={201: out_class}),
        update=extend_schema(summary=f"Replace a {noun}", request=in_class, responses={200: out_class, **CONFLICT}),
        partial_update=extend_schema(
            summary=f"Change a {noun}", request=in_class, responses={200: out_class, **CONFLICT}
        ),
        destroy=extend_schema(
            summary=f"Delete a {noun}",
            description=delete,
            responses={204: OpenApiResponse(description="Deleted"), **CONFLICT},
        ),
    )


class WorkforceReadViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """List and detail of one workforce model through its audience's selector (staff only unless
    `portal_audiences` says otherwise; a portal user reads `portal_serializer_class`, default the staff one). The
    write mixins below add create (`create_record(data)`), update (`update_record(record, data)`) and delete
    (services.record_delete: 409 while in use)."""

    model: type
    in_class: type[serializers.Serializer]
    portal_serializer_class: type[serializers.Serializer] | None = None
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.workforce_list_visible_to(self.model, user=self.request.user)

    def get_serializer_class(self):
        if self.portal_serializer_class and getattr(self.request.user, "audience", None) != Audience.STAFF:
            return self.portal_serializer_class
        return self.serializer_class

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer_class()(self.get_queryset().get(pk=pk)).data, status=status_code)

    def create_record(self, data: dict):
        raise NotImplementedError

    def update_record(self, record, data: dict):
        raise NotImplementedError


class CreateMixin:
    def create(self, request, *args, **kwargs):
        record = self.create_record(parse(self.in_class, request))
        return self._out(record.pk, status.HTTP_201_CREATED)


class UpdateMixin:
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        record = self.get_object()
        self.update_record(record, parse(self.in_class, request, partial=partial))
        return self._out(record.pk)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


class DestroyMixin:
    def destroy(self, request, *args, **kwargs):
        services.record_delete(self.model, pk=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkforceViewSet(CreateMixin, UpdateMixin, DestroyMixin, WorkforceReadViewSet):
    """Full CRUD of one workforce model."""
