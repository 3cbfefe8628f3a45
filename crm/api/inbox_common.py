"""What the inbox's API modules share (inbox_channels.py, inbox_conversations.py, inbox_config.py): the 409 and
204 answers of their schemas, the staff-only queryset, and a service's ValidationError renamed to the API's field
names."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse

from omni.api.schema import error_responses
from omni.choices import Audience

CONFLICT = error_responses(409)
DELETED = OpenApiResponse(description="Deleted")


def _staff(model):
    """Staff see every row; anyone else nothing (ApiAccess refuses them before this is read)."""

    def queryset(request):
        user = request.user
        if getattr(user, "audience", None) != Audience.STAFF or not user.is_staff:
            return model.objects.none()
        return model.objects.all()

    return queryset


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's ValidationError with its fields named as this API names them (body -> message)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(key, key): value for key, value in exc.message_dict.items()})
