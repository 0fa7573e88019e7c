"""GeoReport v2's two formats. JSON is the answer as it is; XML names every element as the spec does:
a list is a plural element holding singular ones (<services><service>…, <attributes><attribute>…,
<values><value>…), true/false are spelled out and an absent value is an empty element."""
from xml.etree import ElementTree

from rest_framework.renderers import BaseRenderer, JSONRenderer

# The element inside each plural one.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311JSONRenderer(JSONRenderer):
    format = "json"
    media_type = "application/json"
    charset = "utf-8"


class Open311XMLRenderer(BaseRenderer):
    """Renders a list under the view's ``xml_root`` (e.g. "services") and a dict as the ``xml_root``
    element itself (e.g. "service_definition"); an error answer is always <errors><error>…"""

    format = "xml"
    media_type = "text/xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = renderer_context or {}
        response, view = context.get("response"), context.get("view")
        if response is not None and response.status_code >= 400:
            root = "errors"
        else:
            root = getattr(view, "xml_root", "response")
        element = ElementTree.Element(root)
        _fill(element, root, data)
        return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(element, encoding="utf-8")


def _fill(element, name: str, value) -> None:
    if isinstance(value, (list, tuple)):
        child_name = SINGULAR.get(name, "item")
        for item in value:
            _fill(ElementTree.SubElement(element, child_name), child_name, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), key, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
