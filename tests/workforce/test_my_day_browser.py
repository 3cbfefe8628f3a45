"""The technician view completes a job offline (issue 14, "done when"): in Debian's chromium the page is loaded,
the network cut (context.set_offline), the checklist ticked, the completion note written and the job completed;
nothing reaches the server meanwhile. Back online, the queue is sent: the server has exactly one completion (one
status-history row to completed), both ticks and the note; sending the same batch again changes nothing."""

import json

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.workforce.field_scene import booked_job
from workforce.choices import WorkOrderStatus
from workforce.models import ChecklistItem, SyncOperation, WorkOrder, WorkOrderStatusChange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = WorkOrderStatus


def test_a_job_completed_offline_reaches_the_server_once(live_server, context, page):
    technician, work_order = booked_job(status=S.ON_SITE)
    session = Client(HTTP_HOST="localhost")
    session.force_login(technician.user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie,
                "url": live_server.url,
                "secure": settings.SESSION_COOKIE_SECURE,
            }
        ]
    )
    batches = []
    page.on("request", lambda r: batches.append(r.post_data) if r.url.endswith("/my-day/sync/") else None)

    page.goto(f"{live_server.url}/my-day/")
    expect(page.locator("main[data-ready]")).to_be_attached()
    status = page.locator("#sync-status")
    job = page.locator(f'[data-job="{work_order.pk}"]')

    context.set_offline(True)
    job.get_by_label("Check the signal").check()
    job.get_by_label("Label the drop").check()
    job.get_by_label("Completion notes").fill("Spliced the drop and tested the signal")
    job.get_by_role("button", name="Complete job").click()
    expect(status).to_have_attribute("data-pending", "3")
    expect(status).to_have_attribute("data-state", "offline")
    expect(job.locator("[data-status-label]")).to_have_text("Completed")  # shown at once, queued
    assert WorkOrder.objects.get(pk=work_order.pk).status == S.ON_SITE  # nothing reached the server

    context.set_offline(False)
    expect(status).to_have_attribute("data-pending", "0")
    expect(status).to_have_attribute("data-state", "idle")

    def server_state():
        work_order.refresh_from_db()
        return (
            work_order.status,
            work_order.completion_notes,
            WorkOrderStatusChange.objects.filter(work_order=work_order, new=S.COMPLETED).count(),
            sorted(ChecklistItem.objects.filter(work_order=work_order).values_list("done", flat=True)),
            SyncOperation.objects.filter(technician=technician).count(),
        )

    expected = (S.COMPLETED, "Spliced the drop and tested the signal", 1, [True, True], 3)
    assert server_state() == expected
    sent = [op for batch in batches for op in json.loads(batch)["operations"]]
    assert [op["op"] for op in sent] == ["checklist", "checklist", "status"]  # in order, each sent once

    # The answer lost on the way back: the page would send the very same batch again. Nothing changes twice.
    replay = page.evaluate(
        """async (body) => {
            const root = document.querySelector("[data-my-day]");
            const response = await fetch(root.dataset.syncUrl, {method: "POST", body, credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf}});
            return (await response.json()).results.map((r) => [r.outcome, r.replayed]);
        }""",
        batches[-1],
    )
    assert replay == [["applied", True]] * 3
    assert server_state() == expected
