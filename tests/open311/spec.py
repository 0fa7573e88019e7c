"""GeoReport v2 as the spec (wiki.open311.org/GeoReport_v2) names and types it, to check answers against."""
import json
from datetime import datetime
from xml.etree import ElementTree

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"]
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
# A realtime service answers its service_request_id and then, as the spec says, no token.
CREATED_FIELDS = ["service_request_id", "service_notice", "account_id"]


def body(response, fmt):
    """JSON as Python, XML as the root element."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return json.loads(response.content)
    assert response["Content-Type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)


def children(element) -> dict:
    """An XML element's children by tag, as text (each tag once)."""
    tags = [child.tag for child in element]
    assert len(tags) == len(set(tags)), tags
    return {child.tag: child.text for child in element}


def w3c(text) -> datetime:
    """A W3C date and time with an offset, as the spec requires."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def xml_bool(text) -> bool:
    assert text in ("true", "false"), text
    return text == "true"


def requests_of(response, fmt) -> list[dict]:
    """The service requests of an answer, as dicts with Python types, each checked against the spec."""
    data = body(response, fmt)
    if fmt == "json":
        assert isinstance(data, list)
        items = data
        for item in items:
            assert list(item) == REQUEST_FIELDS
            assert isinstance(item["lat"], float) and isinstance(item["long"], float)
            for name in ("service_request_id", "status_notes", "service_name", "service_code", "description",
                         "agency_responsible", "service_notice", "address"):
                assert isinstance(item[name], str) and item[name], name
    else:
        assert data.tag == "service_requests"
        items = []
        for element in data:
            assert element.tag == "request"
            item = children(element)
            assert list(item) == REQUEST_FIELDS
            item["lat"], item["long"] = float(item["lat"]), float(item["long"])
            items.append(item)
    for item in items:
        assert item["status"] in ("open", "closed")
        w3c(item["requested_datetime"])
        w3c(item["updated_datetime"])
        if item["expected_datetime"] is not None:
            w3c(item["expected_datetime"])
    return items


def errors_of(response, fmt) -> list[dict]:
    """The spec's error list: [{code, description}] (XML: <errors><error><code/><description/>)."""
    data = body(response, fmt)
    if fmt == "json":
        assert isinstance(data, list) and data
        for error in data:
            assert list(error) == ["code", "description"]
            assert isinstance(error["code"], int) and isinstance(error["description"], str)
        return data
    assert data.tag == "errors"
    errors = []
    for element in data:
        assert element.tag == "error"
        error = children(element)
        assert list(error) == ["code", "description"]
        errors.append({"code": int(error["code"]), "description": error["description"]})
    assert errors
    return errors
