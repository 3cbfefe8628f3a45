"""Web push subscriptions: the API (/api/v1/notifications/push-subscriptions/, bearer tokens or a session) and
what the page script static/js/push.js uses on every host (portal sessions are host-only, so the page cannot
call the staff host's /api/): the subscription endpoint, the VAPID public key and the service worker.

Service worker scope: the worker is served at /notifications/push/sw.js, so its scope is /notifications/push/
and it controls no page. That is all push needs: a push message reaches its registration whatever the scope,
and a click on the notification opens or focuses any window of the origin through the Clients API. Page loads
never pass through it (it has no fetch handler either), so it cannot break or cache a page.
"""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from omni.api import parse
from omni.api.permissions import OwnRecordsAccess, signed_in_may
from omni.api.routers import Router
from omni.api.views import ApiViewSet
from omni.auth import belongs_here

from .. import services
from ..channels.push import subscription_errors
from ..models import PushSubscription


class PushKeysIn(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200, help_text="The browser's P-256 public key, base64url.")
    auth = serializers.CharField(max_length=100, help_text="The 16-byte authentication secret, base64url.")


class PushSubscriptionIn(serializers.Serializer):
    """What the browser's PushSubscription.toJSON() gives (expirationTime is ignored)."""

    endpoint = serializers.URLField(max_length=1000, help_text="The push service URL (https).")
    keys = PushKeysIn()

    def validate(self, data):
        errors = subscription_errors(endpoint=data["endpoint"], **data["keys"])
        if errors:
            keys = {name: errors.pop(name) for name in ("p256dh", "auth") if name in errors}
            raise serializers.ValidationError({**errors, **({"keys": keys} if keys else {})})
        return data


class PushUnsubscribeIn(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)


class PushSubscriptionOut(serializers.ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "user_agent", "created_at", "last_used_at"]
        read_only_fields = fields


def _save(request):
    data = parse(PushSubscriptionIn, request)
    subscription, created = services.push_subscription_save(
        user=request.user,
        endpoint=data["endpoint"],
        p256dh=data["keys"]["p256dh"],
        auth=data["keys"]["auth"],
        user_agent=request.headers.get("User-Agent", ""),
    )
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return Response(PushSubscriptionOut(subscription).data, status=code)


@extend_schema_view(
    list=extend_schema(summary="List my push subscriptions", responses={200: PushSubscriptionOut(many=True)}),
    create=extend_schema(
        summary="Subscribe a browser to web push",
        description="The browser's PushSubscription JSON. Subscribing an endpoint again updates it (200).",
        request=PushSubscriptionIn,
        responses={201: PushSubscriptionOut, 200: PushSubscriptionOut},
    ),
    destroy=extend_schema(summary="Unsubscribe a browser", responses={204: OpenApiResponse(description="Deleted")}),
)
class PushSubscriptionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    """The signed-in user's Web Push subscriptions (one per browser). Subscribing and unsubscribing through the
    API is for staff (portal tokens are read-only); portal pages use PushSubscriptionPageView with their session."""

    serializer_class = PushSubscriptionOut
    permission_classes = [OwnRecordsAccess]
    ordering_fields = ["created_at", "last_used_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # the schema generator's fake request
            return PushSubscription.objects.none()
        return PushSubscription.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        return _save(request)

    def destroy(self, request, *args, **kwargs):
        services.push_subscription_delete(user=request.user, subscription_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


router = Router()
router.register("push-subscriptions", PushSubscriptionViewSet, basename="push-subscription")
urlpatterns = router.urls


# ---- what the page script uses, on every host (notifications/urls.py) ------------------------------------------


class OwnBrowserAccess(permissions.BasePermission):
    """The page endpoint: a signed-in session of a user who belongs on this host (omni.auth.belongs_here: the
    portal's own audience; on the staff host, staff with is_staff). Portal users write here, never in the API."""

    message = "This account does not belong to this portal."

    def has_permission(self, request, view):
        return signed_in_may(self, request) and belongs_here(request.user, request)


@extend_schema(exclude=True)  # a page endpoint on every host; the API's is PushSubscriptionViewSet
class PushSubscriptionPageView(APIView):
    """POST the browser's subscription JSON (201/200), DELETE {"endpoint"} to unsubscribe (204). A session with
    its CSRF token (X-CSRFToken), any audience, on its own host."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [OwnBrowserAccess]
    parser_classes = [JSONParser]

    def post(self, request):
        return _save(request)

    def delete(self, request):
        data = parse(PushUnsubscribeIn, request)
        services.push_subscription_delete(user=request.user, endpoint=data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@require_GET
@cache_control(max_age=300)
def push_config(request):
    """{"public_key": ...}: the VAPID application server key the browser subscribes with; empty when web push
    is not configured (the page then offers no push at all)."""
    configured = settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY
    return JsonResponse({"public_key": settings.VAPID_PUBLIC_KEY if configured else ""})


@require_GET
def push_worker(request):
    """static/js/sw.js, served from this path so that its scope is /notifications/push/ (see above). Not from
    /static/: a hashed file name would change the worker's URL on every deploy."""
    path = finders.find("js/sw.js")
    if not path:
        raise Http404("service worker missing")
    with open(path, "rb") as source:
        response = HttpResponse(source.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # browsers check for a new worker on every registration
    return response
