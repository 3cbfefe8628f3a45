"""The REST API: rate limits, trusted proxies, the metrics token, Django REST framework's defaults (Bearer tokens,
errors in one JSON shape) and drf-spectacular's OpenAPI schema (enum names made unambiguous)."""

from .base import DEBUG, OMNI_PRODUCT_NAME, env

# REST API
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=100)
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)
API_TOKEN_CACHE_SECONDS = 60
# Trusted reverse proxies in front of the web processes; the client address is read from X-Forwarded-For.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# Bearer token of /metrics and of /health/'s detailed answer. Without it both are open in development only: with
# DEBUG off /metrics is refused and /health/ answers each check's status alone.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "omni.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["omni.api.permissions.ApiAccess"],
    "DEFAULT_PAGINATION_CLASS": "omni.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "omni.api.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "omni.api.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "omni.api.schema.AutoSchema",  # declares each operation's 4xx answers
    "EXCEPTION_HANDLER": "omni.api.errors.exception_handler",
    "ORDERING_PARAM": "ordering",
    "NUM_PROXIES": NUM_PROXIES,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if not DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["omni.api.renderers.OrjsonRenderer"]
SPECTACULAR_SETTINGS = {
    "TITLE": f"{OMNI_PRODUCT_NAME} API",
    "DESCRIPTION": f"REST API of {OMNI_PRODUCT_NAME}. Authenticate with `Authorization: Bearer <token>` "
    "(`manage.py create_api_token`). Errors are `{code, detail, fields}`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several apps have a "status"; name each enum after its TextChoices so the schema stays unambiguous.
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "crm.choices.AccountStatus",
        "DeliveryStatusEnum": "notifications.choices.DeliveryStatus",
        "WebhookMessageStatusEnum": "notifications.choices.WebhookMessageStatus",
        "EscalationKindEnum": "tickets.choices.EscalationKind",
        "KindEnum": "crm.choices.AccountKind",
        "TicketStatusEnum": "tickets.choices.TicketStatus",
        "TicketSourceEnum": "tickets.choices.TicketSource",
        "SourceEnum": "tickets.choices.HolidaySource",
        "LeadSourceEnum": "crm.choices.LeadSource",
        "PlantStatusEnum": "network.choices.PlantStatus",
        "StructureKindEnum": "network.choices.StructureKind",
        "PathwayKindEnum": "network.choices.PathwayKind",
        "CableRoleEnum": "network.choices.CableRole",
        "EnclosureKindEnum": "network.choices.EnclosureKind",
        "TrayKindEnum": "network.choices.TrayKind",
        "SplitterKindEnum": "network.choices.SplitterKind",
        "ConnectionKindEnum": "network.choices.ConnectionKind",
        "ConnectionStatusEnum": "network.choices.ConnectionStatus",
        "SplicePlanStatusEnum": "network.choices.SplicePlanStatus",
        "ServiceabilityEnum": "network.choices.Serviceability",
        "StrandStateEnum": ["lit", "reserved", "dark"],
        "RoleEnum": "crm.choices.ContactRole",
        "DispatchRunStatusEnum": "workforce.choices.DispatchRunStatus",
        "DispatchRunKindEnum": "workforce.choices.DispatchRunKind",
        "TechnicianKindEnum": "workforce.choices.TechnicianKind",
        "MembershipKindEnum": "workforce.choices.MembershipKind",
        "ShiftKindEnum": "workforce.choices.ShiftKind",
        "TimeOffStatusEnum": "workforce.choices.TimeOffStatus",
        "WorkOrderPriorityEnum": "workforce.choices.WorkOrderPriority",
        "WorkOrderStatusEnum": "workforce.choices.WorkOrderStatus",
        "AppointmentStatusEnum": "workforce.choices.AppointmentStatus",
        "ChannelKindEnum": "crm.choices.ChannelKind",
        "ConversationStatusEnum": "crm.choices.ConversationStatus",
        "ConversationPriorityEnum": "crm.choices.ConversationPriority",
        "MessageKindEnum": "crm.choices.MessageKind",
        "MessageStatusEnum": "crm.choices.MessageStatus",
        "MessageDirectionEnum": "crm.choices.MessageDirection",
        "MessageInKindEnum": ["message", "note"],
        "PrechatRuleEnum": ["required", "optional", "off"],
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
    "SECURITY": [{"bearerAuth": []}],
}
