"""The supervision list's API under /api/v1/supervision/: items (scoped by role and area), their
instructions and progress reports, and the "听哨" dispatch meetings. Thin views: validate, call one
service or selector of ``dispatch.supervision``, serialize. Errors as in the issues API:
``{"detail", "field"}`` with 400 (bad input), 403 (not this user's to do), 404 (not visible), 409."""
from django.urls import include, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grids.models import User
from issues.lifecycle import Status
from issues.models import Issue
from issues.services import PermissionRefused
from jianhua.api import Router, SlugRelatedField

from .. import supervision
from ..models import DispatchMeeting, SupervisionItem, SupervisionSource, SupervisionState

ERROR = inline_serializer("SupervisionError", {"detail": serializers.CharField(),
                                               "field": serializers.CharField(allow_null=True)})
ERRORS = {
    400: OpenApiResponse(ERROR, description="bad input"),
    403: OpenApiResponse(ERROR, description="not this user's to do"),
    404: OpenApiResponse(ERROR, description="no such item in the user's scope"),
    409: OpenApiResponse(ERROR, description="the issue or the item moved on (closed, already supervised)"),
}


# Output -------------------------------------------------------------------------------------------

class SupervisionPersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()


def _person(user) -> dict | None:
    return None if user is None else {"username": user.username, "name": str(user), "role": user.role}


class SupervisedIssueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(Status.choices)
    street = serializers.CharField(source="street.name")
    community = serializers.CharField(source="community.name")
    grid = serializers.CharField(source="grid.name")


class ItemListSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    issue = SupervisedIssueSerializer(read_only=True)
    source = serializers.ChoiceField(SupervisionSource.choices, read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    state = serializers.ChoiceField(SupervisionState.choices, read_only=True)
    instruction = serializers.CharField(read_only=True)
    supervisor = serializers.SerializerMethodField()
    due = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    report_count = serializers.IntegerField(read_only=True, required=False)
    instruction_count = serializers.IntegerField(read_only=True, required=False)

    @extend_schema_field(SupervisionPersonSerializer(allow_null=True))
    def get_supervisor(self, item):
        """null: the command centre supervises."""
        return _person(item.supervisor)

    def get_overdue(self, item) -> bool:
        return item.state == SupervisionState.OPEN and item.due is not None and item.due < timezone.now()


class InstructionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    by = serializers.SerializerMethodField()
    at = serializers.DateTimeField()
    meeting = serializers.SerializerMethodField()

    @extend_schema_field(SupervisionPersonSerializer(allow_null=True))
    def get_by(self, instruction):
        return _person(instruction.by)

    def get_meeting(self, instruction) -> int | None:
        return instruction.decision.meeting_id if instruction.decision_id else None


class ProgressReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    author = serializers.SerializerMethodField()
    at = serializers.DateTimeField()

    @extend_schema_field(SupervisionPersonSerializer)
    def get_author(self, report):
        return _person(report.author)


class ItemDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    meeting = serializers.IntegerField(source="meeting_id")
    text = serializers.CharField()
    due = serializers.DateTimeField(allow_null=True)


class ItemDetailSerializer(ItemListSerializer):
    instructions = InstructionSerializer(many=True, read_only=True)
    reports = ProgressReportSerializer(many=True, read_only=True)
    decisions = ItemDecisionSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField()

    def get_actions(self, item) -> list[str]:
        """What this user may post on the item now: ``instructions``, ``reports``."""
        user = self.context["request"].user
        if item.state != SupervisionState.OPEN:
            return []
        return ([name for name, allowed in (("instructions", supervision.may_instruct(user, item)),
                                            ("reports", supervision.may_report(user, item))) if allowed])


class MeetingDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    issue = serializers.CharField(source="item.issue.number")
    text = serializers.CharField()
    due = serializers.DateTimeField(allow_null=True)


class MeetingListSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    held_on = serializers.DateField(read_only=True)
    title = serializers.CharField(read_only=True)
    place = serializers.CharField(read_only=True)
    chair = serializers.SerializerMethodField()
    decision_count = serializers.IntegerField(read_only=True, required=False)

    @extend_schema_field(SupervisionPersonSerializer(allow_null=True))
    def get_chair(self, meeting):
        return _person(meeting.chair)


class MeetingDetailSerializer(MeetingListSerializer):
    attendees = serializers.SerializerMethodField()
    other_attendees = serializers.CharField(read_only=True)
    notes = serializers.CharField(read_only=True)
    recorded_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    decisions = MeetingDecisionSerializer(many=True, read_only=True)

    @extend_schema_field(SupervisionPersonSerializer(many=True))
    def get_attendees(self, meeting):
        return [_person(person) for person in meeting.attendees.all()]

    @extend_schema_field(SupervisionPersonSerializer)
    def get_recorded_by(self, meeting):
        return _person(meeting.recorded_by)


# Input --------------------------------------------------------------------------------------------

class ItemFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField([*SupervisionState.choices, ("all", "all")], required=False, default="open")
    source = serializers.ChoiceField(SupervisionSource.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="open items past their supervision deadline")
    q = serializers.CharField(required=False, help_text="tracking number or words of the title")


class ItemCreateSerializer(serializers.Serializer):
    issue = SlugRelatedField(slug_field="number", queryset=Issue.objects.all(), help_text="tracking number")
    instruction = serializers.CharField(max_length=2000)
    supervisor = SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True),
                                  required=False, allow_null=True, default=None,
                                  help_text="a command centre or leader account; null: the command centre")
    due = serializers.DateTimeField(required=False, allow_null=True, default=None)


class InstructionCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    due = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                    help_text="a new supervision deadline for the item")


class ProgressReportCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class DecisionInputSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=SupervisionItem.objects.select_related("issue"))
    text = serializers.CharField(max_length=2000)
    due = serializers.DateTimeField(required=False, allow_null=True, default=None)


class MeetingCreateSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    title = serializers.CharField(max_length=100)
    place = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    chair = SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True),
                             required=False, allow_null=True, default=None)
    attendees = SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True),
                                 many=True, required=False, default=list)
    other_attendees = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    decisions = DecisionInputSerializer(many=True, required=False, default=list,
                                        help_text="one per item discussed; each becomes an instruction on its item")


# Views --------------------------------------------------------------------------------------------

class _SupervisionViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list = []

    def _refuse_unless_supervising(self, request, message):
        # Before the input is read: a refused user learns nothing about which issues or items exist.
        if not supervision.may_supervise(request.user):
            raise PermissionRefused(message)


@extend_schema(tags=["supervision"])
class SupervisionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _SupervisionViewSet):
    """The supervision list (督办清单): the district sees every item, a street, community or grid its own
    place's, a department those of issues dispatched to it or that it assists."""

    queryset = SupervisionItem.objects.none()  # for the schema; the selectors answer

    def get_queryset(self):
        if self.action == "list":
            filters = ItemFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            data = dict(filters.validated_data)
            state = data.pop("state", "open")
            return supervision.supervision_list_for(self.request.user, filters=supervision.SupervisionFilters(
                state="" if state == "all" else state, **data))
        return supervision.supervision_scope(self.request.user)

    def get_serializer_class(self):
        return ItemListSerializer if self.action == "list" else ItemDetailSerializer

    def get_object(self):
        return supervision.supervision_detail_for(self.request.user, pk=self.kwargs["pk"])

    def _detail(self, item, code=status.HTTP_200_OK):
        fresh = supervision.supervision_detail_for(self.request.user, pk=item.pk)
        return Response(ItemDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(parameters=[ItemFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ItemCreateSerializer, responses={201: ItemDetailSerializer, **ERRORS})
    def create(self, request):
        """Put an issue on supervision (the command centre or a district leader)."""
        self._refuse_unless_supervising(
            request, _("Only the district command centre or a district leader puts issues on supervision."))
        data = ItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = supervision.supervision_open(actor=request.user, **data.validated_data)
        return self._detail(item, status.HTTP_201_CREATED)

    @extend_schema(request=InstructionCreateSerializer, responses={201: ItemDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def instructions(self, request, pk=None):
        """An instruction (批示) on the item: the command centre, a district leader or its supervisor."""
        item = self.get_object()
        data = InstructionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        supervision.instruction_add(item=item, actor=request.user, **data.validated_data)
        return self._detail(item, status.HTTP_201_CREATED)

    @extend_schema(request=ProgressReportCreateSerializer, responses={201: ItemDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reports(self, request, pk=None):
        """A progress report (进展情况): the issue's holders, its supervisor or the command centre."""
        item = self.get_object()
        data = ProgressReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        supervision.progress_report_add(item=item, actor=request.user, **data.validated_data)
        return self._detail(item, status.HTTP_201_CREATED)


@extend_schema(tags=["supervision"])
class DispatchMeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _SupervisionViewSet):
    """"听哨" dispatch meetings: the district sees them all, other staff those they sat in or that
    decided on an item they may see (and only those decisions)."""

    queryset = DispatchMeeting.objects.none()

    def get_queryset(self):
        return supervision.meeting_list_for(self.request.user)

    def get_serializer_class(self):
        return MeetingListSerializer if self.action == "list" else MeetingDetailSerializer

    def get_object(self):
        return supervision.meeting_detail_for(self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=MeetingCreateSerializer, responses={201: MeetingDetailSerializer, **ERRORS})
    def create(self, request):
        """Record a meeting; each decision becomes an instruction on its item."""
        self._refuse_unless_supervising(
            request, _("Only the district command centre or a district leader records dispatch meetings."))
        data = MeetingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        params["decisions"] = [(d["item"], d["text"], d["due"]) for d in params["decisions"]]
        meeting = supervision.meeting_record(actor=request.user, **params)
        fresh = supervision.meeting_detail_for(request.user, pk=meeting.pk)
        return Response(MeetingDetailSerializer(fresh, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


router = Router()
router.register("items", SupervisionItemViewSet, basename="supervision-item")
router.register("meetings", DispatchMeetingViewSet, basename="supervision-meeting")

urlpatterns = [path("supervision/", include(router.urls))]
