"""`{% product_name %}` (a builtin: no `{% load %}`): OMNI_PRODUCT_NAME in any template, also in those rendered
without a request or context processors (the 500 page, emails sent by the worker)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def product_name() -> str:
    return settings.OMNI_PRODUCT_NAME
