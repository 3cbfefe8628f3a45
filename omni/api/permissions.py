"""Who may use which API resource; the same rules as the console (omni.auth, the views' permission_required).

Staff (audience staff AND is_staff): reads need `<app>.view_<model>`, writes `add`/`change`/`delete` (a custom
action names its own verbs in `action_permission`). Portal users (customer, reseller, vendor): only the resources
whose view lists their audience in `portal_audiences`, read-only, through their audience's selector (out of
scope is 404). A user whose is_staff was cleared gets nothing, whatever roles they still hold.
"""

from rest_framework import permissions

from ..choices import Audience
from ..tokens import ResolvedToken

PERMS_FOR_METHOD = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}
STAFF_ACCESS_OFF = "Your staff access is switched off."
PORTAL_READ_ONLY = "Portal users have read-only API access."


def reads_only(request, view) -> bool:
    """A safe method, or a POST to a view that only answers a question too long for a query string (a view with
    `reads_only = True`, e.g. the network's impact: a set of ids in, nothing changed)."""
    return request.method in permissions.SAFE_METHODS or bool(getattr(view, "reads_only", False))


def signed_in_may(permission: permissions.BasePermission, request, view=None) -> bool:
    """The gate every API permission starts with: an active signed-in user; writes need a token with the write
    scope (or a browser session). Sets `permission.message` when a read-only token tries to write."""
    user = request.user
    if not (user and user.is_authenticated and user.is_active):
        return False
    if reads_only(request, view):
        return True
    if isinstance(request.auth, ResolvedToken) and not request.auth.can_write:
        permission.message = "This token has the read scope only."
        return False
    return True


def staff_may(permission: permissions.BasePermission, user) -> bool:
    """A staff-audience user still holds staff access (is_staff); the console's rule (omni.auth.belongs_here)."""
    if user.audience == Audience.STAFF and not user.is_staff:
        permission.message = STAFF_ACCESS_OFF
        return False
    return True


def required_permissions(view, request) -> tuple[type, list[str]]:
    """The model and the verbs the request needs on it: `view` for reads, add/change/delete by method; a custom
    action's verb, or verbs (a merge deletes, so it needs change and delete), from the view's `action_permission`.
    The model is the view's queryset's."""
    model = view.get_queryset().model
    verbs = getattr(view, "action_permission", {}).get(view.action) or PERMS_FOR_METHOD.get(request.method)
    return model, ([verbs] if isinstance(verbs, str) else list(verbs or []))


class ApiAccess(permissions.BasePermission):
    """The default for every API view (settings.REST_FRAMEWORK). See the module docstring."""

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        if not signed_in_may(self, request, view):
            return False
        user = request.user
        if user.audience != Audience.STAFF:
            if user.audience not in getattr(view, "portal_audiences", ()):
                self.message = f"{Audience(user.audience).label} users may not use this resource."
                return False
            if request.method not in permissions.SAFE_METHODS:
                self.message = PORTAL_READ_ONLY
                return False
            return True
        if not staff_may(self, user):
            return False
        model, verbs = required_permissions(view, request)
        if not verbs:
            return False
        for verb in verbs:
            if not user.has_perm(f"{model._meta.app_label}.{verb}_{model._meta.model_name}"):
                self.message = f"Your role may not {verb} {model._meta.verbose_name_plural}."
                return False
        return True


class OwnRecordsAccess(permissions.BasePermission):
    """A person's own records (the in-app inbox, push subscriptions): no role needed, every audience reads its
    own. Writes through the API are staff's only (portal tokens and sessions are read-only here, as everywhere
    in the API); a portal user marks their inbox read and subscribes a browser with their portal session, on
    their portal's host (notifications/urls.py). A staff user whose is_staff was cleared gets nothing."""

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        if not signed_in_may(self, request) or not staff_may(self, request.user):
            return False
        if request.method not in permissions.SAFE_METHODS and request.user.audience != Audience.STAFF:
            self.message = PORTAL_READ_ONLY
            return False
        return True
