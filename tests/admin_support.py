"""Posting admin change forms as a browser would: the values the page shows, with some changed."""

from django.forms.formsets import ManagementForm


def _encode(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if hasattr(value, "ewkt"):  # a geometry: the map widget posts it serialized
        return value.ewkt
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def _form_values(form) -> dict:
    data = {}
    for name in form.fields:
        value = _encode(form[name].value())
        if value is not None:
            data[form.add_prefix(name)] = value
    return data


def admin_form_data(page, **changes) -> dict:
    """POST data for the admin add/change page `page` (a GET response): every field as shown, every inline
    with its management form, then `changes` (field name: value; None removes the field, e.g. a checkbox)."""
    data = _form_values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = ManagementForm(
            prefix=formset.prefix,
            initial={
                "TOTAL_FORMS": formset.initial_form_count(),  # no extra rows, unless `changes` adds some
                "INITIAL_FORMS": formset.initial_form_count(),
                "MIN_NUM_FORMS": formset.min_num,
                "MAX_NUM_FORMS": formset.max_num,
            },
        )
        data.update(_form_values(management))
        for form in formset.forms[: formset.initial_form_count()]:
            data.update(_form_values(form))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
