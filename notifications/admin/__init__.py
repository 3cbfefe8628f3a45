"""Admin for notifications, one module per part (templates and deliveries, webhooks, push)."""

from . import core, outbox, push, webhooks  # noqa: F401 - each module registers its models
