"""The accountability list in the API (/api/v1/accountability/): thin views over
``dispatch.accountability`` – list and retrieve in the user's scope (a record with its responsibility
trace), create by hand, confirm and dismiss. 400 for bad input, 403 for what the user may not do, 404
for a record (or issue) they cannot see, 409 for a record decided already."""
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from grids.models import Department, User
from issues import selectors as issue_selectors
from issues.api.serializers import RefSerializer
from issues.models import Tier
from jianhua.api import Router, SlugRelatedField

from .. import accountability
from ..models import AccountabilityRecord, Outcome, RecordKind, RecordState

# Tiers are plain strings here: a second enum of the same choices would rename the issues API's OwnerTierEnum.
TIER_HELP = ", ".join(Tier.values)
ERROR = inline_serializer("AccountabilityError", {"detail": serializers.CharField(),
                                                  "field": serializers.CharField(allow_null=True)})


class AccountablePersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()


class AccountabilityIssueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()


def _ref(area):
    return {"code": area.code, "name": area.name} if area is not None else None


def _person(user):
    return {"username": user.username, "name": str(user), "role": user.role} if user is not None else None


class RecordSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    issue = AccountabilityIssueSerializer(read_only=True)
    kind = serializers.ChoiceField(RecordKind.choices, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    automatic = serializers.BooleanField(read_only=True)
    tier = serializers.CharField(read_only=True, help_text=TIER_HELP)
    community = serializers.SerializerMethodField()
    street = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    person = serializers.SerializerMethodField()
    against = serializers.ListField(child=serializers.CharField(), source="unit_names", read_only=True)
    facts = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(RecordState.choices, read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    outcome = serializers.ChoiceField(Outcome.choices, read_only=True, allow_blank=True)
    decision_note = serializers.CharField(read_only=True)
    decided_by = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    event = serializers.IntegerField(source="event_id", read_only=True, allow_null=True)

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_community(self, record):
        return _ref(record.community)

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_street(self, record):
        return _ref(record.street)

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_department(self, record):
        return _ref(record.department)

    @extend_schema_field(AccountablePersonSerializer(allow_null=True))
    def get_person(self, record):
        return _person(record.person)

    @extend_schema_field(AccountablePersonSerializer(allow_null=True))
    def get_decided_by(self, record):
        return _person(record.decided_by)

    @extend_schema_field(AccountablePersonSerializer(allow_null=True))
    def get_created_by(self, record):
        return _person(record.created_by)


class ResponsibilityHoldingSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True)
    tier = serializers.CharField(help_text=TIER_HELP)
    unit = serializers.CharField()
    person = serializers.CharField(allow_blank=True)
    department = serializers.CharField(allow_blank=True)
    assisting = serializers.ListField(child=serializers.CharField())
    started_by = serializers.CharField()
    at_deadline = serializers.BooleanField()


class RecordDetailSerializer(RecordSerializer):
    trace = serializers.SerializerMethodField()

    @extend_schema_field(ResponsibilityHoldingSerializer(many=True))
    def get_trace(self, record):
        trace = accountability.responsibility_trace(record.issue, moment=accountability.record_moment(record))
        return ResponsibilityHoldingSerializer(trace, many=True).data


class RecordFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(RecordState.choices, required=False)
    kind = serializers.ChoiceField(RecordKind.choices, required=False)
    unit = serializers.CharField(required=False, max_length=60,
                                 help_text='"district", "street:<code>", "community:<code>" or "department:<code>"')
    issue = serializers.CharField(required=False, max_length=20, help_text="a tracking number")


class RecordCreateSerializer(serializers.Serializer):
    issue = serializers.CharField(max_length=20, help_text="the issue's tracking number")
    kind = serializers.ChoiceField(RecordKind.choices)
    facts = serializers.CharField(max_length=4000)
    tier = serializers.CharField(required=False, allow_blank=True, max_length=20,
                                 help_text=f"against the issue's community, street or the command centre: {TIER_HELP}")
    department = SlugRelatedField(slug_field="code", queryset=Department.objects.all(), required=False,
                                  allow_null=True)
    person = SlugRelatedField(slug_field="username", required=False, allow_null=True,
                              queryset=User.objects.filter(~Q(role__in=["resident", "intake_client"])))


class ConfirmSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class DismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


DECISION_RESPONSES = {
    200: RecordDetailSerializer,
    400: OpenApiResponse(ERROR, description="bad input"),
    403: OpenApiResponse(ERROR, description="only discipline inspectors decide"),
    404: OpenApiResponse(ERROR, description="no such record in the user's scope"),
    409: OpenApiResponse(ERROR, description="the record has been decided already"),
}


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view):
        return accountability.may_see_list(request.user)


@extend_schema(tags=["accountability"])
class AccountabilityRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The accountability list (问效清单) in the user's scope: the district roles see every record; street,
    community and grid staff those of issues in their area; department staff those naming their
    department or of issues dispatched to it."""

    permission_classes = [permissions.IsAuthenticated, IsStaff]
    filter_backends: list = []  # filtering is the selector's, from RecordFilterSerializer
    queryset = AccountabilityRecord.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self):
        if self.action == "list":
            filters = RecordFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return accountability.record_list_for(
                self.request.user, filters=accountability.RecordFilters(**filters.validated_data))
        return accountability.record_scope(self.request.user)

    def get_serializer_class(self):
        return RecordSerializer if self.action == "list" else RecordDetailSerializer

    def get_object(self) -> AccountabilityRecord:
        return accountability.record_detail_for(self.request.user, pk=self.kwargs["pk"])

    @extend_schema(parameters=[RecordFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: RecordDetailSerializer, 404: ERROR})
    def retrieve(self, request, *args, **kwargs):
        """One record with its responsibility trace: who held the issue at each moment."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=RecordCreateSerializer,
                   responses={201: RecordDetailSerializer, 400: ERROR, 403: ERROR})
    def create(self, request):
        """Record by hand (command centre, district leaders, inspectors): a rejection or inaction against
        the rules (不作为), a frivolous whistle (乱吹哨), a unit to commend, … with the facts."""
        if not accountability.may_record(request.user):
            raise PermissionDenied(accountability.refusal_to_record())
        data = RecordCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        number = params.pop("issue")
        issue = issue_selectors.issue_scope(request.user).filter(number=number.strip()).first()
        if issue is None:
            message = _("No such issue in your area: %(number)s.") % {"number": number}
            return Response({"detail": message, "field": "issue"}, status=status.HTTP_400_BAD_REQUEST)
        record = accountability.record_manual(issue=issue, actor=request.user, **params)
        fresh = accountability.record_detail_for(request.user, pk=record.pk)
        return Response(RecordDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, input_serializer, service):
        record = self.get_object()
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        service(record=record, actor=request.user, **data.validated_data)
        return Response(RecordDetailSerializer(accountability.record_detail_for(request.user, pk=record.pk)).data)

    @extend_schema(request=ConfirmSerializer, responses=DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """An inspector confirms: a failure with talk / criticism / accountability, a commendation with
        commendation."""
        return self._decide(request, ConfirmSerializer, accountability.record_confirm)

    @extend_schema(request=DismissSerializer, responses=DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """An inspector dismisses, with the reason."""
        return self._decide(request, DismissSerializer, accountability.record_dismiss)


router = Router()
router.register("accountability", AccountabilityRecordViewSet, basename="accountability")
urlpatterns = router.urls
