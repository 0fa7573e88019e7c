"""Our server read through a third-party Open311 client from PyPI (``georeport``), unchanged.

georeport cannot file, so the request is filed with a plain HTTP POST (``requests``) first, as a
city's hotline system would, then read back through the client in both of its formats."""
import pytest
import requests
from georeport import GeoReport

from grids.boundaries import to_shape
from issues.demo import DEMO_OPEN311_KEY
from issues.models import Issue

pytestmark = pytest.mark.django_db(transaction=True)


def test_georeport_reads_services_definitions_and_the_filed_request(live_server, demo_district, service_attributes,
                                                                    grid_officer):
    # demo_district reseeds after a flush, and with it the demo client whose key seed_demo prints.
    root = f"{live_server.url}/open311/v2"
    spot = to_shape(grid_officer.grid.boundary).representative_point()
    filed = requests.post(f"{root}/requests.json", data={
        "api_key": DEMO_OPEN311_KEY, "jurisdiction_id": "jianhua.qiqihar.gov.cn", "service_code": "elevator",
        "lat": spot.y, "long": spot.x, "description": "3号楼电梯停在两层之间，里面有人。",
        "attribute[people-trapped]": "yes", "first_name": "建国", "last_name": "王", "phone": "13812345678",
    }, timeout=30)
    assert filed.status_code == 201, filed.text
    number = filed.json()[0]["service_request_id"]
    assert Issue.objects.get(number=number).grid == grid_officer.grid

    for output_format in ("json", "xml"):
        client = GeoReport(root_address=root, jurisdiction="jianhua.qiqihar.gov.cn", output_format=output_format)
        services = client.get_service_list()
        assert "elevator" in {service["service_code"] for service in services}
        definition = client.get_service_definition("elevator")
        assert definition["service_code"] == "elevator"
        attributes = definition["attributes"]
        if output_format == "xml":  # xmltodict: <attributes><attribute>… → {"attribute": [...]}
            attributes = attributes["attribute"]
        assert "people-trapped" in {attribute["code"] for attribute in attributes}

        listed = client.get_service_requests(service_code="elevator", status="open")
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict gives one element as a dict
        assert number in {request["service_request_id"] for request in listed}
        request = client.get_service_request(number)
        assert request["service_request_id"] == number
        assert request["service_code"] == "elevator"
        assert request["status"] == "open"
        assert "王" not in str(request) and "13812345678" not in str(request)
