"""What the save-time check accepts and refuses (templates are rendered over samples that work as strings,
numbers, mappings and lists; unknown names stay errors; loops, ranges and sizes are capped), and the send-time
fallback to the app's default when a saved template does not render on the real payload or goes past a cap."""

import logging
import time

import pytest
from django.core.exceptions import ValidationError

from notifications import registry, rendering, services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Template
from notifications.registry import DefaultTemplate
from tests.notifications.email_support import contact, parts, smtp_running

INVOICE = "testtemplates.invoice.issued"
registry.register(
    INVOICE,
    "An invoice was issued (test event)",
    payload=("number", "amount", "reseller", "lines"),
    channels=(Channel.EMAIL,),
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="Invoice {{ number }}", text="Invoice {{ number }} is ready: {{ amount }} due.\n"
        )
    },
)
PAYLOAD = {"number": "INV-7", "amount": 1500.5, "reseller": None, "lines": [{"name": "Fibre 100"}]}
ADD = "/admin/notifications/template/add/"
PREVIEW = "/admin/notifications/template/preview/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_server(settings):
    with smtp_running(settings) as server:
        yield server


@pytest.fixture
def admin_client(client_as, admin_user):
    return client_as(admin_user)


def _form(**fields) -> dict:
    return {"event": INVOICE, "channel": Channel.EMAIL, "language": "en-gb", "subject": "Invoice {{ number }}",
            "body_text": "", "body_html": "", "is_active": "on", **fields}  # fmt: skip


def _errors(**parts) -> dict:
    with pytest.raises(ValidationError) as caught:
        rendering.validate(event=INVOICE, **{"subject": "", "text": "", "html": "", **parts})
    return caught.value.message_dict


def _rendering_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "notifications.rendering" and r.levelname == "WARNING"]


# ---- save: valid templates are accepted ---------------------------------------------------------------------


NUMBERS = {
    "format": 'Due: {{ "%.2f"|format(amount) }}',
    "comparison": "{% if amount > 5 %}A large invoice.{% else %}A small one.{% endif %}",
    "round": "Due: {{ amount|round }}",
}


@pytest.mark.parametrize("text", NUMBERS.values(), ids=NUMBERS.keys())
def test_the_admin_saves_a_template_that_uses_a_value_as_a_number(admin_client, text):
    response = admin_client.post(ADD, _form(body_text=text))
    assert response.status_code == 302  # not the form again with "TypeError: ..."
    assert Template.objects.get().body_text == text


def test_the_live_preview_shows_a_sample_as_a_number_where_the_template_uses_one(admin_client):
    text = '{{ "%.2f"|format(amount) }} {% if amount > 5 %}large{% else %}small{% endif %} {{ amount|round }}'
    response = admin_client.post(PREVIEW, {**_form(body_text=text), "body_text": text})
    body = response.content.decode()
    assert response.status_code == 200
    assert "1.00 small 1" in body  # a sample is the number 1 where the template needs a number
    assert "unknown value" not in body and "TypeError" not in body


@pytest.mark.parametrize(
    "text",
    [
        "{% for key, value in reseller|items %}{{ key }}: {{ value }}{% endfor %}",  # a mapping
        "{% for key, value in reseller.items() %}{{ key }}{% endfor %}",
        "{{ lines[0].name }} and {{ lines|length }} more; {{ lines|map(attribute='name')|join(', ') }}",  # a list
        "{{ '{:,.2f}'.format(amount) }} {{ amount * 1000000 }} {{ 100 / (amount - 1) }}",  # arithmetic
        "{{ number.upper() }} {{ 'INV' in number }} {{ number ~ '-' ~ amount }}",  # a string
        "{% if reseller.count > 3 %}{{ reseller.title }}{% endif %}",  # fields named like str methods
    ],
)
def test_a_sample_also_works_as_a_mapping_a_list_and_a_string(text):
    rendering.validate(event=INVOICE, subject="Invoice {{ number }}", text=text, html="")


# ---- save: broken templates are still refused with line and reason --------------------------------------------


def test_the_admin_refuses_an_unknown_field_with_its_line(admin_client):
    response = admin_client.post(ADD, _form(body_text="Invoice {{ number }}\n{{ reseller_name }}\n"))
    assert response.status_code == 200  # the form again, with the error
    assert "line 2: unknown value: &#x27;reseller_name&#x27; is undefined" in response.content.decode()
    assert not Template.objects.exists()


def test_a_typo_in_a_field_of_the_base_context_is_refused():
    errors = _errors(subject="Hi {{ recipient.nmae }}")
    assert errors == {"subject": ["line 1: unknown value: 'dict object' has no attribute 'nmae'"]}


def test_a_syntax_error_is_refused_with_its_line_and_reason():
    errors = _errors(text="Due:\n{% if amount > 5 %}\nlarge")
    assert errors == {
        "body_text": [
            "line 2: Unexpected end of template. Jinja was looking for the following tags: "
            "'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."
        ]
    }  # Jinja names the line of the block left open


def test_a_template_that_fails_for_every_payload_is_refused():
    assert _errors(text="{{ amount / 0 }}") == {"body_text": ["line 1: ZeroDivisionError: division by zero"]}
    (reason,) = _errors(text="{{ number() }}")["body_text"]  # a payload value is never callable
    assert reason == "line 1: TypeError: '_Sample' object is not callable"


@pytest.mark.parametrize(
    "text",
    ["{{ reseller['__class__'] }}", "{{ reseller.name.__class__ }}", "{{ number.title.__self__ }}",
     "{{ reseller.items.__self__ }}", "{{ '{0.__class__}'.format(amount) }}"],
)  # fmt: skip
def test_a_sample_answers_any_name_but_not_internals(text):
    (reason,) = _errors(text=text)["body_text"]
    assert reason.startswith("line 1: not allowed: access to attribute '__")


# ---- send: a template that fails on the real payload --------------------------------------------------------------


def test_a_template_failing_on_the_real_payload_sends_the_apps_default(admin_client, smtp_server, caplog):
    response = admin_client.post(ADD, _form(subject="Your invoice {{ number }}", body_text="Via {{ reseller.name }}."))
    assert response.status_code == 302  # accepted on save: over samples, reseller is an object
    template = Template.objects.get()
    (delivery,) = services.notify(INVOICE, [contact()], PAYLOAD)  # the real payload: reseller is null
    with caplog.at_level(logging.WARNING, logger="notifications.rendering"):
        assert services.deliveries_send([delivery.pk]) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (DeliveryStatus.SENT, "")
    assert delivery.subject == "Invoice INV-7"
    assert delivery.body_text.startswith("Invoice INV-7 is ready: 1500.5 due.\n")
    (message,) = smtp_server.messages
    assert message["Subject"] == "Invoice INV-7"
    assert parts(message)[0].splitlines()[0] == "Invoice INV-7 is ready: 1500.5 due."
    assert _rendering_warnings(caplog) == [
        f"notification template {template.pk} ({INVOICE}, email, en-gb) does not render for this payload, "
        "sending the app's default: line 1: unknown value: 'None' has no attribute 'name'"
    ]


def test_a_working_template_is_sent_as_it_is(smtp_server, caplog):
    Template.objects.create(event=INVOICE, channel=Channel.EMAIL, language="en", subject="Your invoice {{ number }}",
                            body_text="Via {{ reseller.name }}.\n")  # fmt: skip
    (delivery,) = services.notify(INVOICE, [contact()], {**PAYLOAD, "reseller": {"name": "FibreCo"}})
    with caplog.at_level(logging.WARNING, logger="notifications.rendering"):
        assert services.deliveries_send([delivery.pk]) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.subject) == (DeliveryStatus.SENT, "Your invoice INV-7")
    assert delivery.body_text.startswith("Via FibreCo.\n")
    (message,) = smtp_server.messages
    assert parts(message)[0].splitlines()[0] == "Via FibreCo."
    assert _rendering_warnings(caplog) == []


def test_the_fallback_is_per_delivery_within_a_batch(smtp_server, caplog):
    # One batch reads the template once (rendering.template_cache); a failure must not change what others get.
    Template.objects.create(event=INVOICE, channel=Channel.EMAIL, language="en", subject="Your invoice {{ number }}",
                            body_text="Via {{ reseller.name }}.\n")  # fmt: skip
    (direct,) = services.notify(INVOICE, [contact()], PAYLOAD)
    (resold,) = services.notify(INVOICE, [contact(name="Bo")], {**PAYLOAD, "reseller": {"name": "FibreCo"}})
    with caplog.at_level(logging.WARNING, logger="notifications.rendering"):
        assert services.deliveries_send([direct.pk, resold.pk]) == 2

    direct.refresh_from_db()
    resold.refresh_from_db()
    assert (direct.subject, resold.subject) == ("Invoice INV-7", "Your invoice INV-7")
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Invoice INV-7", "Your invoice INV-7"]
    assert len(_rendering_warnings(caplog)) == 1


def test_when_the_apps_default_fails_too_the_delivery_fails_with_the_templates_error(smtp_server, caplog):
    Template.objects.create(event=INVOICE, channel=Channel.EMAIL, language="en", subject="Your invoice",
                            body_text="Via {{ reseller.name }}.\n")  # fmt: skip
    (delivery,) = services.notify(INVOICE, [contact()], {"reseller": None})  # no number: the default fails too
    with caplog.at_level(logging.WARNING):
        assert services.deliveries_send([delivery.pk]) == 0

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.reason == "UndefinedError: 'None' has no attribute 'name'"  # the edited template's error
    assert smtp_server.messages == []
    assert len(_rendering_warnings(caplog)) == 1  # the fallback was tried
    (failure,) = [r for r in caplog.records if r.name == "notifications.services.sending" and r.exc_info]
    assert failure.exc_info[1].__notes__ == [
        "The app's default template failed too: line 1: unknown value: 'number' is undefined"
    ]


# ---- caps: a template cannot hang or exhaust a worker ------------------------------------------------------------

STEPS = f"line 1: not allowed: more than {rendering.MAX_STEPS} loop iterations, calls and filters"
TOO_LONG = f"longer than {rendering.MAX_OUTPUT} characters"
CAPPED = {
    "nested loops": ("{% for i in range(300) %}{% for j in range(300) %}.{% endfor %}{% endfor %}", STEPS),
    "a large range": ("{% for i in range(5000) %}{% endfor %}", "line 1: not allowed: range() of more than 1000 items"),
    "a macro calling itself twice": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(14) }}",
        STEPS,
    ),
    "a macro calling itself forever": (
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "not allowed: macros or recursive loops nested too deep",
    ),
    "a recursive loop": (
        "{% for x in range(3) recursive %}{{ loop(range(3)) }}{% endfor %}",
        "not allowed: macros or recursive loops nested too deep",
    ),
    "a text doubled by ~": (
        "{% set ns = namespace(s='ab') %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        f"line 1: not allowed: text {TOO_LONG}",
    ),
    "a text doubled by +": (
        "{% set ns = namespace(s='ab') %}{% for i in range(20) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
        f"line 1: not allowed: result {TOO_LONG}",
    ),
    "a number squared in a loop": (
        "{% set ns = namespace(n=3) %}{% for i in range(20) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
        "line 1: not allowed: a number of more than 4096 bits",
    ),
    "powers of powers": ("{{ ((9 ** 64) ** 64) ** 64 }}", "line 1: not allowed: a number of more than 4096 bits"),
    "a padded text": ("{{ number.ljust(10000000) }}", f"line 1: not allowed: ljust() result {TOO_LONG}"),
    "|center": ("{{ number|center(10000000) }}", f"line 1: not allowed: center() result {TOO_LONG}"),
    "|indent": ("{{ number|indent(10000000, true) }}", f"line 1: not allowed: indent() result {TOO_LONG}"),
    "|batch": ("{{ lines|batch(10000000, 'x')|list }}", "line 1: not allowed: batches of more than 1000 items"),
    "|replace": ("{{ ('a' * 1000)|replace('a', 'b' * 1000) }}", f"line 1: not allowed: replace() result {TOO_LONG}"),
    "|join": ("{{ range(1000)|join('x' * 1000) }}", f"line 1: not allowed: join() result {TOO_LONG}"),
    "a wide % field": ("{{ '%10000000d' % 1 }}", "line 1: not allowed: a format width or precision over 1000"),
    "a wide |format field": (
        "{{ '%10000000d'|format(amount) }}",
        "line 1: not allowed: a format width or precision over 1000",
    ),
    "a wide .format() field": (
        "{{ '{:>10000000}'.format(amount) }}",
        "line 1: not allowed: a format width or precision over 1000",
    ),
    "|sum of lists": ("{{ [[1] * 100] * 100|sum(start=[]) }}", "line 1: not allowed: sum() of anything but numbers"),
}


@pytest.mark.parametrize(("text", "reason"), CAPPED.values(), ids=CAPPED.keys())
def test_a_template_past_a_cap_is_refused_with_the_reason(text, reason):
    # The reason names the cap, not the clock ("rendering took longer than"): refused before it ran long.
    assert _errors(text=text) == {"body_text": [reason]}


def test_slow_work_in_a_loop_is_stopped_by_the_clock():
    text = (
        "{% for i in range(100) %}{% for j in range(90) %}{{ ('ab ' * 60000)|urlize|length }}{% endfor %}{% endfor %}"
    )
    started = time.monotonic()
    assert _errors(text=text) == {"body_text": ["line 1: not allowed: rendering took longer than 1 s"]}
    # Unchecked, this template renders for minutes; a busy machine may add seconds to the clock's 1 s.
    assert time.monotonic() - started < rendering.MAX_RENDER_SECONDS + 10


CAPPED_BUT_FINE = {
    "a loop over the lines": "{% for line in lines %}{{ loop.index }}. {{ line.name }}{% endfor %}",
    "a short range": "{% for i in range(10) %}{{ i }}{% endfor %}",
    "formats": "{{ '%.2f'|format(amount) }} {{ '%-12s|'|format(number) }} {{ '{:>10,.2f}'.format(amount) }}",
    "padding": "{{ number|center(30) }} {{ number.ljust(20, '.') }} {{ body|default('')|indent(2) }}",
    "a large number": "{{ 2 ** 64 }} {{ amount * 1000 }}",
    "joins": "{{ lines|map(attribute='name')|join(', ') }} {{ '-' * 40 }}",
}


@pytest.mark.parametrize("text", CAPPED_BUT_FINE.values(), ids=CAPPED_BUT_FINE.keys())
def test_templates_within_the_caps_are_saved(text):
    rendering.validate(event=INVOICE, subject="Invoice {{ number }}", text=text, html="")


def test_the_admin_refuses_a_template_past_a_cap_on_its_field(admin_client):
    text = "Lines:\n{% for i in range(300) %}{% for j in range(300) %}.{% endfor %}{% endfor %}\n"
    response = admin_client.post(ADD, _form(body_text=text))
    assert response.status_code == 200  # the form again, with the error on the body
    form = response.context["adminform"].form
    assert form.errors == {"body_text": [STEPS.replace("line 1", "line 2")]}
    assert not Template.objects.exists()


def test_a_template_past_a_cap_on_the_real_payload_sends_the_apps_default(admin_client, smtp_server, caplog):
    # Over samples `lines` holds one line: saved. The real invoice has 200, looped over twice: 40,000 steps.
    text = "{% for a in lines %}{% for b in lines %}{% endfor %}{% endfor %}Your invoice {{ number }}.\n"
    response = admin_client.post(ADD, _form(subject="Your invoice {{ number }}", body_text=text))
    assert response.status_code == 302
    template = Template.objects.get()
    payload = {**PAYLOAD, "lines": [{"name": f"Line {n}"} for n in range(200)]}
    (delivery,) = services.notify(INVOICE, [contact()], payload)
    with caplog.at_level(logging.WARNING, logger="notifications.rendering"):
        assert services.deliveries_send([delivery.pk]) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.subject) == (DeliveryStatus.SENT, "Invoice INV-7")  # the app's default
    (message,) = smtp_server.messages
    assert parts(message)[0].splitlines()[0] == "Invoice INV-7 is ready: 1500.5 due."
    assert _rendering_warnings(caplog) == [
        f"notification template {template.pk} ({INVOICE}, email, en-gb) does not render for this payload, "
        f"sending the app's default: {STEPS}"
    ]


def test_a_template_stored_around_validation_past_a_cap_sends_the_apps_default(smtp_server):
    Template.objects.create(event=INVOICE, channel=Channel.EMAIL, language="en", subject="x",
                            body_text="{% for i in range(100000) %}{% endfor %}")  # fmt: skip
    (delivery,) = services.notify(INVOICE, [contact()], PAYLOAD)
    assert services.deliveries_send([delivery.pk]) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.subject) == (DeliveryStatus.SENT, "Invoice INV-7")
