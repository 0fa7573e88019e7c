"""Open311 GeoReport v2 under /open311/v2/: thin views that check the jurisdiction and the api_key,
read the spec's parameters, call one service or selector and answer in the spec's shape, as JSON or
XML by the URL's suffix. Every refusal is the spec's list of {code, description}."""
import re
import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from grids.locate import parse_coordinates
from grids.selectors import place_named_in
from issues import services
from issues.models import Channel

from . import answers, selectors
from .clients import client_for_key, rate_limit_check
from .errors import Open311Error
from .renderers import Open311JSONRenderer, Open311XMLRenderer

# The spec's limits on text we store (description up to 4,000 characters) and ours on the rest.
DESCRIPTION_MAX = 4000
TITLE_LENGTH = 30
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class Open311Schema(AutoSchema):
    def _get_format_parameters(self):
        return []  # the format is the URL's suffix; ?format= is not read


class Open311View(APIView):
    """What every call shares: no session or token (CSRF does not apply), the two renderers, the
    jurisdiction check and the error shape."""

    schema = Open311Schema()
    authentication_classes: list = []
    permission_classes: list = []
    renderer_classes = [Open311JSONRenderer, Open311XMLRenderer]
    parser_classes = [FormParser, MultiPartParser]
    xml_root = "service_requests"

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        # NUL characters are refused here, in the spec's error list (params(), initial()), not by the
        # site's middleware (jianhua.middleware.RefuseNulCharactersMiddleware).
        view.answers_nul_characters = True
        return view

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for name, value in kwargs.items():
            _refuse_nul(name, value)
        jurisdiction = self.param("jurisdiction_id")
        if jurisdiction and jurisdiction != settings.OPEN311_JURISDICTION_ID:
            raise Open311Error(404, _("jurisdiction_id %(given)s is not served here; this endpoint serves %(ours)s.")
                               % {"given": jurisdiction, "ours": settings.OPEN311_JURISDICTION_ID})
        self.client = None
        api_key = self.param("api_key")
        if api_key or request.method == "POST":
            self.client = client_for_key(api_key)
            rate_limit_check(self.client)

    def get_format_suffix(self, **kwargs):
        # Named response_format, not format: DRF's schema generator leaves ".{format}" URLs out.
        return kwargs.get("response_format")

    def param(self, name: str) -> str:
        """A parameter from the form body (POST) or the query string, stripped; declared several times,
        the last one (as Django reads a form)."""
        values = self.params(name)
        return values[-1] if values else ""

    def params(self, name: str) -> list[str]:
        """Every value of a parameter, from the form body (POST) or else the query string, stripped.
        A NUL character is refused (400) here, before it reaches the database, which cannot store it."""
        values = []
        if self.request.method == "POST" and hasattr(self.request.data, "getlist"):
            values = self.request.data.getlist(name)
        if not values:
            values = self.request.query_params.getlist(name)
        values = [str(value).strip() for value in values]
        for value in values:
            _refuse_nul(name, value)
        return values

    def handle_exception(self, exc):
        if isinstance(exc, Open311Error):
            error = exc
        elif isinstance(exc, services.IssueError):
            error = Open311Error(exc.status_code, exc.message)
        elif isinstance(exc, Http404):
            error = Open311Error(404, str(exc) or _("Not found."))
        elif isinstance(exc, exceptions.APIException):
            error = Open311Error(exc.status_code, str(exc.detail))
        else:
            return super().handle_exception(exc)
        if getattr(self.request, "accepted_renderer", None) is None:
            self.request.accepted_renderer, self.request.accepted_media_type = Open311JSONRenderer(), "application/json"
        response = Response(error.as_data(), status=error.status, headers=error.headers)
        response.exception = True
        return response


# Documentation (drf-spectacular) ------------------------------------------------------------------

FORMAT = OpenApiParameter("response_format", str, OpenApiParameter.PATH, enum=["json", "xml"],
                          description="the answer's format: the URL ends in .json or .xml")
JURISDICTION = OpenApiParameter("jurisdiction_id", str, required=False,
                                description="optional; when given it must be this endpoint's "
                                            "(OPEN311_JURISDICTION_ID), else 404")
ERROR_LIST = {"type": "array", "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer", "description": "the HTTP status"}, "description": {"type": "string"}},
}}
ERRORS = OpenApiResponse(
    ERROR_LIST,
    description="GeoReport v2 errors: a list of {code, description} (XML: <errors><error><code/><description/>)",
)
SERVICE = inline_serializer("Open311Service", {
    "service_code": serializers.CharField(), "service_name": serializers.CharField(),
    "description": serializers.CharField(), "metadata": serializers.BooleanField(),
    "type": serializers.ChoiceField(["realtime", "batch", "blackbox"]), "keywords": serializers.CharField(),
    "group": serializers.CharField(),
}, many=True)
VALUE = inline_serializer("Open311AttributeValue", {"key": serializers.CharField(), "name": serializers.CharField()})
DEFINITION = inline_serializer("Open311ServiceDefinition", {
    "service_code": serializers.CharField(),
    "attributes": inline_serializer("Open311Attribute", {
        "variable": serializers.BooleanField(), "code": serializers.CharField(),
        "datatype": serializers.ChoiceField(["string", "number", "datetime", "text", "singlevaluelist",
                                             "multivaluelist"]),
        "required": serializers.BooleanField(), "datatype_description": serializers.CharField(),
        "order": serializers.IntegerField(), "description": serializers.CharField(),
        "values": serializers.ListField(child=VALUE),
    }, many=True),
})
REQUEST = inline_serializer("Open311ServiceRequest", {
    "service_request_id": serializers.CharField(help_text="our tracking number, e.g. JH-20261125-0001"),
    "status": serializers.ChoiceField(["open", "closed"], help_text="closed = our closed, rejected or withdrawn"),
    "status_notes": serializers.CharField(), "service_name": serializers.CharField(),
    "service_code": serializers.CharField(), "description": serializers.CharField(),
    "agency_responsible": serializers.CharField(help_text="the department, community, street or command centre "
                                                          "holding it"),
    "service_notice": serializers.CharField(), "requested_datetime": serializers.DateTimeField(),
    "updated_datetime": serializers.DateTimeField(),
    "expected_datetime": serializers.DateTimeField(allow_null=True, help_text="the resolution deadline, once "
                                                                             "accepted"),
    "address": serializers.CharField(), "address_id": serializers.CharField(allow_null=True),
    "zipcode": serializers.CharField(allow_null=True), "lat": serializers.FloatField(),
    "long": serializers.FloatField(), "media_url": serializers.URLField(allow_null=True),
}, many=True)
CREATED = inline_serializer("Open311Created", {
    "service_request_id": serializers.CharField(), "service_notice": serializers.CharField(),
    "account_id": serializers.CharField(allow_null=True, help_text="always null: we keep no account for callers"),
}, many=True)
TOKEN = inline_serializer("Open311Token", {
    "service_request_id": serializers.CharField(), "token": serializers.CharField()}, many=True)
POST_BODY = inline_serializer("Open311NewRequest", {
    "api_key": serializers.CharField(), "jurisdiction_id": serializers.CharField(required=False),
    "service_code": serializers.CharField(),
    "lat": serializers.FloatField(required=False), "long": serializers.FloatField(required=False),
    "address_string": serializers.CharField(required=False, help_text="names a grid, community or street of the "
                                                                      "district when lat/long are not given"),
    "address_id": serializers.CharField(required=False, help_text="not supported (400)"),
    "email": serializers.EmailField(required=False), "device_id": serializers.CharField(required=False),
    "account_id": serializers.CharField(required=False), "first_name": serializers.CharField(required=False),
    "last_name": serializers.CharField(required=False), "phone": serializers.CharField(required=False),
    "description": serializers.CharField(required=False, max_length=DESCRIPTION_MAX),
    "media_url": serializers.URLField(required=False, help_text="stored and shown, never fetched"),
})
TAGS = ["open311"]


# The calls --------------------------------------------------------------------------------------

class DiscoveryView(Open311View):
    xml_root = "discovery"

    @extend_schema(tags=TAGS, parameters=[FORMAT, JURISDICTION], responses={200: OpenApiTypes.OBJECT, 404: ERRORS},
                   operation_id="open311_discovery", summary="GET discovery",
                   description="The endpoint's self-description: changeset, contact, key service and the endpoint "
                               "with its formats.")
    def get(self, request, response_format=None):
        discovery_url = reverse("open311-discovery", kwargs={"response_format": response_format or "json"})
        root = request.build_absolute_uri(discovery_url.rsplit("/", 1)[0])
        return Response(answers.discovery(root))


class ServiceListView(Open311View):
    xml_root = "services"

    @extend_schema(tags=TAGS, parameters=[FORMAT, JURISDICTION], responses={200: SERVICE, 404: ERRORS},
                   operation_id="open311_service_list", summary="GET services",
                   description="One service per sub-category; metadata is true when the service asks extra "
                               "questions (see its definition).")
    def get(self, request, response_format=None):
        return Response([answers.service(c, has_attributes=c.has_attributes) for c in selectors.service_list()])


class ServiceDefinitionView(Open311View):
    xml_root = "service_definition"

    @extend_schema(tags=TAGS, parameters=[FORMAT, JURISDICTION], responses={200: DEFINITION, 404: ERRORS},
                   operation_id="open311_service_definition", summary="GET services/{service_code}",
                   description="The service's attributes (extra questions).")
    def get(self, request, service_code, response_format=None):
        category = selectors.service_get(service_code)
        if category is None:
            raise Open311Error(404, _("service_code %(code)s is not a service of this endpoint.")
                               % {"code": service_code})
        return Response(answers.service_definition(category, selectors.service_attributes(category)))


class RequestListView(Open311View):
    @extend_schema(
        tags=TAGS, operation_id="open311_request_list", summary="GET requests",
        responses={200: REQUEST, 400: ERRORS, 403: ERRORS, 404: ERRORS, 429: ERRORS},
        description=(f"Requests newest first, at most {settings.OPEN311_MAX_REQUESTS}. Without dates, the last "
                     f"{settings.OPEN311_DEFAULT_DAYS} days; a window may span at most "
                     f"{settings.OPEN311_DEFAULT_DAYS} days. service_request_id overrides the other filters. "
                     "Never shows who reported a request."),
        parameters=[FORMAT, JURISDICTION,
                    OpenApiParameter("service_request_id", str, description="tracking numbers, comma-separated"),
                    OpenApiParameter("service_code", str, description="comma-separated"),
                    OpenApiParameter("start_date", OpenApiTypes.DATETIME, description="W3C date and time"),
                    OpenApiParameter("end_date", OpenApiTypes.DATETIME, description="W3C date and time"),
                    OpenApiParameter("status", str, description="open, closed or both, comma-separated")],
    )
    def get(self, request, response_format=None):
        # "can be declared multiple times, comma delimited": service_code=a,b and service_code=a&service_code=b.
        numbers = _split(*self.params("service_request_id"))
        if numbers:
            filters = selectors.RequestFilters(numbers=numbers[: settings.OPEN311_MAX_REQUESTS])
        else:
            statuses = _split(*self.params("status"))
            unknown = [s for s in statuses if s not in ("open", "closed")]
            if unknown:
                raise Open311Error(400, _("status must be open or closed, not %(status)s.") % {"status": unknown[0]})
            start, end = _window(self.param("start_date"), self.param("end_date"))
            filters = selectors.RequestFilters(service_codes=_split(*self.params("service_code")), statuses=statuses,
                                               start=start, end=end)
        return Response(answers.service_requests(selectors.request_list(filters)))

    @extend_schema(
        tags=TAGS, operation_id="open311_request_create", summary="POST requests", parameters=[FORMAT],
        request={"application/x-www-form-urlencoded": POST_BODY, "multipart/form-data": POST_BODY},
        responses={201: CREATED, 200: CREATED, 400: ERRORS, 403: ERRORS, 404: ERRORS,
                   429: OpenApiResponse(ERROR_LIST, description="over the client's requests per minute")},
        description=("File a whistle. Needs api_key. The location is lat/long (inside the district), else an "
                     "address_string naming a grid, community or street; extra answers are attribute[code]=value "
                     "(attribute[code][]=… for several). Answers the tracking number (services are realtime: no "
                     "token). With an "
                     "Idempotency-Key header (per device_id) a repeat answers the first request (200)."),
    )
    def post(self, request, response_format=None):
        category = selectors.service_get(self.param("service_code")) if self.param("service_code") else None
        if not self.param("service_code"):
            raise Open311Error(400, _("service_code is required."))
        if category is None:  # the spec: 404 when the service_code was not found, 400 when not provided
            raise Open311Error(404, _("service_code %(code)s is not a service of this endpoint.")
                               % {"code": self.param("service_code")})
        lat, lng, address = self._location()
        description = self.param("description")
        if len(description) > DESCRIPTION_MAX:
            raise Open311Error(400, _("description is longer than %(limit)s characters.") % {"limit": DESCRIPTION_MAX})
        contact = self._contact()
        media_url = self.param("media_url")
        if media_url:
            try:
                URLValidator(schemes=["http", "https"])(media_url)
            except ValidationError:
                media_url = None
            if media_url is None or len(media_url) > 500:
                raise Open311Error(400, _("media_url must be an http(s) address of at most 500 characters."))
        key = request.headers.get("Idempotency-Key", "").strip()
        submission = services.issue_submit(
            filed_by=self.client.account, intake_client=self.client, channel=Channel.OPEN311, category=category,
            title=_title(description, category), description=description, lat=lat, lng=lng, address=address,
            reporter_name=contact["name"], reporter_phone=contact["phone"],
            reporter_contact={k: contact[k] for k in ("email", "device_id", "account_id")},
            attributes=self._attributes(), media_url=media_url or "",
            idempotency_key=f"{contact['device_id']}:{key}"[-80:] if key else None,
        )
        return Response([answers.created(submission.issue)],
                        status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK)

    def _location(self) -> tuple[float, float, str]:
        address = self.param("address_string")
        if len(address) > 200:
            raise Open311Error(400, _("address_string is longer than 200 characters."))
        if self.param("lat") or self.param("long"):
            try:
                lat, lng = parse_coordinates(self.param("lat"), self.param("long"))
            except ValueError as wrong:
                raise Open311Error(400, str(wrong).replace("lng", "long")) from None
            return lat, lng, address
        if address:
            place = place_named_in(address)
            if place is not None:
                return place.lat, place.lng, address
        elif self.param("address_id"):
            raise Open311Error(400, _("address_id is not supported here: give lat/long, or an address_string that "
                                      "names a community or grid of the district."))
        raise Open311Error(400, _("missing location: give lat/long, or an address_string that names a community or "
                                  "grid of the district."))

    def _contact(self) -> dict:
        first, last = self.param("first_name"), self.param("last_name")
        # Chinese names are written family name first, without a space.
        name = f"{last}{first}" if re.search(r"[\u4e00-\u9fff]", first + last) else f"{first} {last}".strip()
        contact = {"name": name, "phone": self.param("phone"), "email": self.param("email"),
                   "device_id": self.param("device_id"), "account_id": self.param("account_id")}
        if len(name) > 40:
            raise Open311Error(400, _("first_name and last_name together may have at most 40 characters."))
        if len(contact["phone"]) > 20 or (contact["phone"] and not re.fullmatch(r"\+?[0-9 ()-]{3,20}",
                                                                                   contact["phone"])):
            raise Open311Error(400, _("phone is not a telephone number."))
        if contact["email"]:
            try:
                validate_email(contact["email"])
            except ValidationError:
                raise Open311Error(400, _("email is not an email address.")) from None
        for field in ("device_id", "account_id"):
            if len(contact[field]) > 100:
                raise Open311Error(400, _("%(field)s is longer than 100 characters.") % {"field": field})
        return contact

    def _attributes(self) -> dict:
        answers_given: dict[str, list[str]] = {}
        data = self.request.data
        for name in data:
            match = _ATTRIBUTE.match(name)
            if match:
                values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
                for value in values:
                    _refuse_nul(name, value)
                answers_given.setdefault(match.group(1), []).extend(values)
        return {code: values[0] if len(values) == 1 else values for code, values in answers_given.items()}


class RequestDetailView(Open311View):
    @extend_schema(tags=TAGS, parameters=[FORMAT, JURISDICTION], responses={200: REQUEST, 404: ERRORS},
                   operation_id="open311_request_detail", summary="GET requests/{service_request_id}",
                   description="One request, as a list of one.")
    def get(self, request, service_request_id, response_format=None):
        issue = selectors.request_get(service_request_id)
        if issue is None:
            raise Open311Error(404, _("No request %(id)s.") % {"id": service_request_id})
        return Response([answers.service_request(issue)])


class TokenView(Open311View):
    @extend_schema(tags=TAGS, parameters=[FORMAT, JURISDICTION], responses={200: TOKEN, 404: ERRORS},
                   operation_id="open311_token", summary="GET tokens/{token}",
                   description="The service_request_id a POST's token stands for.")
    def get(self, request, token, response_format=None):
        try:
            issue = selectors.token_get(uuid.UUID(token))
        except ValueError:
            issue = None
        if issue is None:
            raise Open311Error(404, _("No request has the token %(token)s.") % {"token": token})
        return Response([{"service_request_id": issue.number, "token": str(issue.intake_token)}])


class UnknownCallView(Open311View):
    """Any other address under /open311/v2/ (a typo, a format other than .json and .xml): the spec's
    error list, not a page of HTML, in XML when the address ends in .xml."""

    schema = None

    def get_format_suffix(self, **kwargs):
        return "xml" if self.request.path.endswith(".xml") else "json"

    def initial(self, request, *args, **kwargs):
        APIView.initial(self, request, *args, **kwargs)
        raise Open311Error(404, _("%(path)s is not a GeoReport v2 call: the calls are discovery, services, "
                                  "services/{service_code}, requests, requests/{service_request_id} and "
                                  "tokens/{token}, each ending in .json or .xml.") % {"path": request.path[:200]})


def _split(*values: str) -> tuple[str, ...]:
    """The comma-separated parts of one or more declarations of a parameter."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _refuse_nul(name: str, value) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise Open311Error(400, _("%(name)s contains a NUL character.") % {"name": name})


def _moment(value: str, name: str, *, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None and parse_date(value) is not None:
            day = parse_date(value)
            moment = datetime.combine(day, time.max if end else time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, _("%(name)s is not a W3C date and time, e.g. 2026-11-25T00:00:00+08:00.")
                           % {"name": name})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _window(start_value: str, end_value: str) -> tuple[datetime, datetime]:
    """The spec's window: the last 90 days by default, and never more than 90 days."""
    span = timedelta(days=settings.OPEN311_DEFAULT_DAYS)
    start, end = _moment(start_value, "start_date", end=False), _moment(end_value, "end_date", end=True)
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - span
    if end is None:
        end = start + span
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > span:
        raise Open311Error(400, _("start_date and end_date may span at most %(days)s days.")
                           % {"days": settings.OPEN311_DEFAULT_DAYS})
    return start, end


def _title(description: str, category) -> str:
    """A whistle's title: its first words, else the service's name."""
    first_line = description.strip().splitlines()[0].strip() if description.strip() else ""
    if not first_line:
        return answers.service_name(category)
    return first_line if len(first_line) <= TITLE_LENGTH else first_line[: TITLE_LENGTH - 1] + "…"
