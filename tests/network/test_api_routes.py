"""The cable segments (a cable's route, pathway by pathway, in order from its A end) and slack loops as API resources
(`/api/v1/network/cable-segments/`, `/api/v1/network/slack-loops/`): the shared plant contracts (staff only:
Dispatcher, Technician and Admin read, Admin writes; hard delete; limit/offset lists whose query count does not
grow; bad input a 400 naming the field) and what is particular to a route: a position meets its neighbours at a
structure, one pathway per position, a segment stays on its cable."""

import pytest
from django.contrib.gis.geos import LineString

from network import services
from network.models import CableSegment, Pathway, SlackLoop
from tests.omni.api_contract import MISSING_ID, assert_error

from . import factories
from .test_api_contracts import API, PlantContract


def pathway(a, b) -> Pathway:
    return services.record_create(
        Pathway, kind="conduit", a_structure=a, b_structure=b, geom=LineString(a.geom.coords, b.geom.coords)
    )


@pytest.fixture
def route(db):
    """Structures A-B-C in a row and D far away; conduits A-B and B-C meet at B, D-A does not meet B-C."""
    a, b, c = (factories.structure(lon=3.40 + i / 1000) for i in range(3))
    d = factories.structure(lon=3.50)
    cable = factories.cable(name="Feeder R")
    return {"cable": cable, "ab": pathway(a, b), "bc": pathway(b, c), "da": pathway(d, a)}


class TestCableSegmentApi(PlantContract):
    url = f"{API}cable-segments/"
    model = CableSegment
    list_queries = 5  # token + user, last_used_at stamp, COUNT, the page
    ordering_fields = ["seq", "slack_m", "created_at", "updated_at"]

    def make_rows(self, n):
        cable = factories.cable()
        conduit = pathway(factories.structure(lon=3.2), factories.structure(lon=3.21))
        CableSegment.objects.bulk_create(
            [CableSegment(cable=cable, pathway=conduit, seq=i, slack_m=i % 7) for i in range(1, n + 1)]
        )

    @pytest.fixture
    def obj(self, route):
        return services.cable_segment_create(cable=route["cable"], pathway=route["ab"], slack_m=5)

    @pytest.fixture
    def create_payload(self, route):
        return {"cable": str(route["cable"].pk), "pathway": str(route["bc"].pk), "slack_m": "12.50"}

    @pytest.fixture
    def update_payload(self):
        return {"slack_m": "20.00"}

    @pytest.fixture
    def bad_payloads(self, route):
        body = {"cable": str(route["cable"].pk), "pathway": str(route["bc"].pk)}
        return [
            ("seq", {**body, "seq": 0}),
            ("slack_m", {**body, "slack_m": "-1"}),
            ("pathway", {**body, "pathway": MISSING_ID}),
        ]


def test_a_new_position_goes_after_the_last_and_must_meet_its_neighbour(api_as, admin_user, route):
    client = api_as(admin_user)
    cable = route["cable"]
    first = client.post(f"{API}cable-segments/", {"cable": str(cable.pk), "pathway": str(route["ab"].pk)})
    assert first.status_code == 201 and first.json()["seq"] == 1
    second = client.post(f"{API}cable-segments/", {"cable": str(cable.pk), "pathway": str(route["bc"].pk)})
    assert second.status_code == 201 and second.json()["seq"] == 2
    # D-A does not meet B-C at a structure: 400 naming the pathway, and nothing stored.
    body = assert_error(
        client.post(f"{API}cable-segments/", {"cable": str(cable.pk), "pathway": str(route["da"].pk)}),
        400, field="pathway", code="invalid",
    )  # fmt: skip
    assert "pathway 2" in body["fields"]["pathway"][0]
    # A taken position: 400 naming seq.
    assert_error(
        client.post(f"{API}cable-segments/", {"cable": str(cable.pk), "pathway": str(route["bc"].pk), "seq": 1}),
        400, field="seq", code="invalid",
    )  # fmt: skip
    assert list(CableSegment.objects.filter(cable=cable).values_list("seq", "pathway")) == [
        (1, route["ab"].pk), (2, route["bc"].pk),
    ]  # fmt: skip
    # The route of one cable, in order; the cable's `pathways` agree.
    rows = client.get(f"{API}cable-segments/", {"cable": str(cable.pk), "ordering": "seq"}).json()["results"]
    assert [row["pathway"] for row in rows] == [str(route["ab"].pk), str(route["bc"].pk)]
    assert client.get(f"{API}cables/{cable.pk}/").json()["pathways"] == [str(route["ab"].pk), str(route["bc"].pk)]
    in_bc = client.get(f"{API}cable-segments/", {"pathway": str(route["bc"].pk)}).json()["results"]
    assert [row["cable"] for row in in_bc] == [str(cable.pk)]


def test_a_segment_stays_on_its_cable_and_a_move_must_still_meet(api_as, admin_user, route):
    client = api_as(admin_user)
    one = services.cable_segment_create(cable=route["cable"], pathway=route["ab"])
    services.cable_segment_create(cable=route["cable"], pathway=route["bc"])
    other = factories.cable(name="Other")
    assert_error(
        client.patch(f"{API}cable-segments/{one.pk}/", {"cable": str(other.pk)}), 400, field="cable", code="invalid"
    )
    assert_error(
        client.patch(f"{API}cable-segments/{one.pk}/", {"pathway": str(route["da"].pk)}),
        400, field="pathway", code="invalid",
    )  # fmt: skip
    one.refresh_from_db()
    assert (one.cable_id, one.pathway_id) == (route["cable"].pk, route["ab"].pk)


def test_bad_filters_are_400_naming_the_field(api_as, admin_user, route):
    client = api_as(admin_user)
    assert_error(client.get(f"{API}cable-segments/", {"cable": "nope"}), 400, field="cable", code="invalid")
    assert_error(client.get(f"{API}slack-loops/", {"structure": "nope"}), 400, field="structure", code="invalid")
    assert_error(client.get(f"{API}slack-loops/", {"storage": "heap"}), 400, field="storage", code="invalid")


class TestSlackLoopApi(PlantContract):
    url = f"{API}slack-loops/"
    model = SlackLoop
    list_queries = 5
    ordering_fields = ["start_mark_m", "end_mark_m", "length_m", "storage", "created_at", "updated_at"]

    def make_rows(self, n):
        cable, structure = factories.cable(), factories.structure(lon=3.2)
        SlackLoop.objects.bulk_create(
            [
                SlackLoop(cable=cable, structure=structure, start_mark_m=i * 10, end_mark_m=i * 10 + i % 9)
                for i in range(n)
            ]
        )

    @pytest.fixture
    def obj(self, route):
        return services.slack_loop_create(
            cable=route["cable"], structure=route["ab"].b_structure, start_mark_m=100, end_mark_m=130
        )

    @pytest.fixture
    def create_payload(self, route):
        return {
            "cable": str(route["cable"].pk), "structure": str(route["bc"].b_structure_id), "start_mark_m": "200.00",
            "end_mark_m": "230.00", "storage": "figure_8",
        }  # fmt: skip

    @pytest.fixture
    def update_payload(self):
        return {"storage": "on_pole", "notes": "Snowshoes on the pole"}

    @pytest.fixture
    def bad_payloads(self, route):
        body = {"cable": str(route["cable"].pk), "structure": str(route["ab"].a_structure_id), "end_mark_m": "10"}
        return [
            ("start_mark_m", {**body, "start_mark_m": "-5"}),
            ("storage", {**body, "start_mark_m": "0", "storage": "heap"}),
            ("structure", {**body, "start_mark_m": "0", "structure": MISSING_ID}),
        ]


def test_a_slack_loops_length_is_between_its_marks(api_as, admin_user, route):
    client = api_as(admin_user)
    response = client.post(
        f"{API}slack-loops/",
        {"cable": str(route["cable"].pk), "structure": str(route["ab"].a_structure_id), "start_mark_m": "350",
         "end_mark_m": "320"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["length_m"] == "30.00"
    listed = client.get(f"{API}slack-loops/", {"cable": str(route["cable"].pk)}).json()["results"]
    assert [row["id"] for row in listed] == [response.json()["id"]]


def test_the_admin_adds_a_route_position_through_the_service(client_as, admin_user, route):
    client = client_as(admin_user)
    services.cable_segment_create(cable=route["cable"], pathway=route["bc"])
    data = {"cable": str(route["cable"].pk), "pathway": str(route["da"].pk), "seq": "2", "slack_m": "0"}
    refused = client.post("/admin/network/cablesegment/add/", data, follow=True)
    assert "does not meet pathway 1" in refused.content.decode()
    assert CableSegment.objects.filter(cable=route["cable"]).count() == 1
    data["pathway"] = str(route["ab"].pk)  # A-B meets B-C at B
    assert client.post("/admin/network/cablesegment/add/", data).status_code == 302
    assert CableSegment.objects.filter(cable=route["cable"], seq=2, pathway=route["ab"]).exists()
    assert client.get("/admin/network/slackloop/?q=nothing").status_code == 200
