"""Filters for staff console templates that render selector rows (plain dicts with raw choice values)."""

from django import template

from crm.choices import ContactChannel, ContactRole

register = template.Library()


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value


@register.filter
def channel_label(value) -> str:
    return _label(ContactChannel, value)


@register.filter
def role_label(value) -> str:
    return _label(ContactRole, value)
