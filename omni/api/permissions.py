from rest_framework import permissions

from ..choices import Audience
from ..tokens import ResolvedToken

PERMS_FOR_METHOD = {
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def signed_in_may(permission: permissions.BasePermission, request) -> bool:
    """The gate every API permission starts with: an active signed-in user; writes need a token with the write
    scope (or a browser session). Sets `permission.message` when a read-only token tries to write."""
    user = request.user
    if not (user and user.is_authenticated and user.is_active):
        return False
    if request.method in permissions.SAFE_METHODS:
        return True
    if isinstance(request.auth, ResolvedToken) and not request.auth.can_write:
        permission.message = "This token has the read scope only."
        return False
    return True


class ApiAccess(permissions.BasePermission):
    """Reads: any signed-in user, through their audience's selector (out of scope is 404).
    Writes: a token with the write scope (or a browser session), a staff user, and the model permission
    that the user's role grants (`action_permission` on the view overrides the verb for custom actions)."""

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        if not signed_in_may(self, request):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        if user.audience != Audience.STAFF:
            self.message = "Portal users have read-only API access."
            return False
        model = view.get_queryset().model
        verb = getattr(view, "action_permission", {}).get(view.action) or PERMS_FOR_METHOD.get(request.method)
        if verb is None:
            return False
        if not user.has_perm(f"{model._meta.app_label}.{verb}_{model._meta.model_name}"):
            self.message = f"Your role may not {verb} {model._meta.verbose_name_plural}."
            return False
        return True
