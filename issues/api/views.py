"""The issues API: thin views that validate input, call one service or selector and serialize."""
from django.contrib.auth.signals import user_logged_in
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..models import Category, Issue
from .serializers import (
    CategoryTreeSerializer,
    AssistReleaseSerializer,
    AssistReportSerializer,
    CheckAskSerializer,
    CheckReportSerializer,
    DispatchSerializer,
    EscalateSerializer,
    EventSerializer,
    FixOnSpotSerializer,
    IssueCreateSerializer,
    IssueDetailSerializer,
    IssueFilterSerializer,
    IssueListSerializer,
    NoteSerializer,
    RateSerializer,
    RejectSerializer,
    ResolveSerializer,
    ReturnSerializer,
    SendBackSerializer,
    SiteCheckSerializer,
    VersionedSerializer,
)

ERROR = inline_serializer("IssueError", {"detail": serializers.CharField(), "field": serializers.CharField(allow_null=True)})
IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                   description="a repeat with the same key is answered as the first time")
ACTION_RESPONSES = {
    200: IssueDetailSerializer,
    400: OpenApiResponse(ERROR, description="bad input"),
    403: OpenApiResponse(ERROR, description="not this user's to do"),
    404: OpenApiResponse(ERROR, description="no such issue in the user's area"),
    409: OpenApiResponse(ERROR, description="the issue's state or version moved on"),
}


@extend_schema(tags=["issues"])
class IssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Issues in the asking user's scope: residents their own, staff their area."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list = []  # filtering is the selector's, from IssueFilterSerializer

    def get_queryset(self):
        if self.action == "list":
            filters = IssueFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return selectors.issue_list_for(self.request.user, filters=selectors.IssueFilters(**filters.validated_data))
        return selectors.issue_scope(self.request.user)

    def get_serializer_class(self):
        return IssueListSerializer if self.action == "list" else IssueDetailSerializer

    def get_object(self) -> Issue:
        return selectors.issue_detail_for(self.request.user, pk=self.kwargs["pk"], timeline=self.action == "events")

    @extend_schema(parameters=[IssueFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"application/json": IssueCreateSerializer, "multipart/form-data": IssueCreateSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                     description="a repeat with the same key returns the first issue (200)")],
        responses={201: IssueDetailSerializer, 200: IssueDetailSerializer, 400: ERROR, 403: ERROR,
                   429: OpenApiResponse(ERROR, description="a resident over ISSUE_FILINGS_PER_HOUR; see Retry-After")},
    )
    def create(self, request):
        """File a whistle. Residents file for themselves; intake staff on a caller's behalf."""
        data = IssueCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()[:80] or None
        submission = services.issue_submit(filed_by=request.user, idempotency_key=key, **data.validated_data)
        # The service's issue has its category, place and reporter loaded: no second read of it.
        return Response(
            IssueDetailSerializer(submission.issue, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
        )

    @extend_schema(
        request={"multipart/form-data": FixOnSpotSerializer, "application/json": FixOnSpotSerializer},
        parameters=[IDEMPOTENCY_KEY],
        responses={201: IssueDetailSerializer, 200: IssueDetailSerializer, 400: ERROR, 403: ERROR},
    )
    @action(detail=False, methods=["post"], url_path="fixed-on-spot", url_name="fixed-on-spot")
    def fixed_on_spot(self, request):
        """当场处置: a grid officer files a problem of their grid fixed there, resolved in the same step (the
        photos are the before, ``evidence_photos`` the after); it waits for the owning tier to close it."""
        data = FixOnSpotSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.issue_fix_on_spot(filed_by=request.user, idempotency_key=_idempotency_key(request),
                                                **data.validated_data)
        return Response(
            IssueDetailSerializer(submission.issue, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
        )

    @extend_schema(request=CheckAskSerializer,
                   responses={201: SiteCheckSerializer, **{code: ACTION_RESPONSES[code] for code in (400, 403, 404, 409)}})
    @action(detail=True, methods=["post"], url_path="check-ask", url_name="check-ask")
    def check_ask(self, request, pk=None):
        """核实 / 核查: the owning tier asks a grid officer of the grid to check the issue on site."""
        issue = self.get_object()
        data = CheckAskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        check = services.issue_check_ask(issue=issue, actor=request.user, expected_version=params.pop("version", None),
                                         **params)
        return Response(SiteCheckSerializer(selectors.check_for(request.user, pk=check.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=True)
    def events(self, request, pk=None):
        """The issue's timeline: every change, who, when, from which state to which, why."""
        issue = self.get_object()
        context = {**self.get_serializer_context(), "issue": issue}
        return Response(EventSerializer(issue.events.all(), many=True, context=context).data)

    def _act(self, request, input_serializer, service, **fixed):
        issue = self.get_object()
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        params["expected_version"] = params.pop("version", None)
        service(issue=issue, actor=request.user, **params, **fixed)
        fresh = selectors.issue_detail_for(request.user, pk=issue.pk, timeline=False)
        return Response(IssueDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=NoteSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """受理: the owning tier takes the issue onto its problem list."""
        return self._act(request, NoteSerializer, services.issue_accept)

    @extend_schema(request=RejectSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """不予受理, with a reason; a duplicate is merged into its original."""
        return self._act(request, RejectSerializer, services.issue_reject)

    @extend_schema(request=NoteSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The resident takes the whistle back before it is accepted."""
        return self._act(request, NoteSerializer, services.issue_withdraw)

    @extend_schema(request=DispatchSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_to_handler(self, request, pk=None):
        """派单 to one handler: a person serving the place, or (from the district) a department."""
        return self._act(request, DispatchSerializer, services.issue_dispatch)

    @extend_schema(request=NoteSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """报到: the handler reports for duty."""
        return self._act(request, NoteSerializer, services.issue_respond)

    @extend_schema(request={"application/json": ResolveSerializer, "multipart/form-data": ResolveSerializer},
                   responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """办结: the handler reports the result, with evidence photos."""
        return self._act(request, ResolveSerializer, services.issue_resolve)

    @extend_schema(request=NoteSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """销号: the owning tier verified the result and crosses the issue off."""
        return self._act(request, NoteSerializer, services.issue_close)

    @extend_schema(request=ReturnSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_handler(self, request, pk=None):
        """Verification failed: back to the handler."""
        return self._act(request, ReturnSerializer, services.issue_return)

    @extend_schema(request=RateSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """评价: 满意 / 基本满意 / 不满意 (which reopens the issue)."""
        return self._act(request, RateSerializer, services.issue_rate)

    @extend_schema(request=EscalateSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """吹哨: the owning tier whistles to the tier above (community → street → district)."""
        return self._act(request, EscalateSerializer, services.issue_escalate)

    @extend_schema(request=SendBackSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="send_back", url_name="send-back")
    def send_back(self, request, pk=None):
        """The tier above sends a whistled-up issue back down, with its finding (乱吹哨 or not)."""
        return self._act(request, SendBackSerializer, services.issue_send_back)

    @extend_schema(request=NoteSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="assist_respond", url_name="assist-respond")
    def assist_respond(self, request, pk=None):
        """协办报到: an assisting department reports for duty."""
        return self._act(request, NoteSerializer, services.issue_assist_respond)

    @extend_schema(request=AssistReportSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="assist_report", url_name="assist-report")
    def assist_report(self, request, pk=None):
        """An assisting department reports its part; the lead department resolves after every part is in."""
        return self._act(request, AssistReportSerializer, services.issue_assist_report)

    @extend_schema(request=AssistReleaseSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="assist_release", url_name="assist-release")
    def assist_release(self, request, pk=None):
        """The owning tier releases an assisting department (it cannot help, or never reported): the lead
        department no longer waits for its part."""
        return self._act(request, AssistReleaseSerializer, services.issue_assist_release)

    @extend_schema(request=VersionedSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def support(self, request, pk=None):
        """我也遇到了: another resident adds their voice instead of filing again."""
        # Any resident may add their voice to an open issue near them, not only to their own: the
        # answer carries no personal data, just the new count.
        issue = Issue.objects.filter(pk=pk).first()
        if issue is None:
            raise Http404
        services.issue_support(issue=issue, actor=request.user)
        return Response({"supporter_count": Issue.objects.values_list("supporter_count", flat=True).get(pk=pk)})


def _idempotency_key(request) -> str | None:
    return request.headers.get("Idempotency-Key", "").strip()[:80] or None


@extend_schema(tags=["checks"])
class CheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """On-site checks (核实 / 核查): the list is the asking grid officer's own, still to answer, nearest due
    first; one check is for the officer asked and whoever may see its issue."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    serializer_class = SiteCheckSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.checks_asked_of(self.request.user)

    def get_object(self):
        return selectors.check_for(self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        request={"multipart/form-data": CheckReportSerializer, "application/json": CheckReportSerializer},
        parameters=[IDEMPOTENCY_KEY],
        responses={200: SiteCheckSerializer, 400: ERROR, 403: ERROR, 404: ERROR,
                   409: OpenApiResponse(ERROR, description="the check was answered or cancelled: the detail says why")},
    )
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """The officer's answer from the site, with photos; a repeat with the same Idempotency-Key is the first
        answer again."""
        check = self.get_object()
        data = CheckReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.issue_check_report(check=check, actor=request.user, idempotency_key=_idempotency_key(request),
                                    **data.validated_data)
        return Response(SiteCheckSerializer(selectors.check_for(request.user, pk=check.pk)).data)


@extend_schema(tags=["issues"])
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The two-level category tree: top categories with their active sub-categories."""

    serializer_class = CategoryTreeSerializer
    lookup_field = "code"
    pagination_class = None
    filter_backends: list = []
    queryset = Category.objects.filter(is_active=True, parent=None).prefetch_related(
        Prefetch("children", queryset=Category.objects.filter(is_active=True), to_attr="active_children")
    )


@extend_schema(tags=["issues"], responses={(200, "image/jpeg"): bytes, 404: ERROR},
               parameters=[OpenApiParameter("size", str, enum=["full", "thumbnail"], required=False)])
class IssuePhotoView(APIView):
    """A photo of an issue, for whoever may see the issue (photos are personal data too)."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request, issue_id, photo_id):
        photo = selectors.issue_photo_for(request.user, photo_id=photo_id, issue_id=issue_id)
        if photo is None:
            raise Http404
        image = photo.thumbnail if request.query_params.get("size") == "thumbnail" else photo.image
        response = FileResponse(image.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=86400"
        return response


@extend_schema(tags=["accounts"], request=inline_serializer("TokenRequest", {
    "username": serializers.CharField(), "password": serializers.CharField()}),
    responses={200: inline_serializer("Token", {"token": serializers.CharField()}), 400: ERROR,
               429: OpenApiResponse(ERROR, description="too many failed sign-ins for this account from here")})
class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token; send it as ``Authorization: Token <token>``."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        # A sign-in like the web's: last_login is set, and django-axes clears the account's failures.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token.key})

    def finalize_response(self, request, response, *args, **kwargs):
        # django-axes marks the request it was given – DRF's, here – as locked out; its middleware, which
        # answers for it (jianhua.lockout), reads Django's.
        if getattr(request, "axes_locked_out", False):
            request._request.axes_locked_out = True
            request._request.axes_credentials = getattr(request, "axes_credentials", None)
        return super().finalize_response(request, response, *args, **kwargs)
