"""Issue API shapes. Input serializers validate what a client sends; output serializers show an issue
as the asking user may see it (personal data per ``issues.rules``). No rule is decided here."""
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grids.api.serializers import CoordSysField
from grids.coords import to_wgs84
from grids.models import Department, User
from jianhua.api import SlugRelatedField

from .. import rules
from ..lifecycle import Status
from ..models import (
    CHECK_OUTCOMES,
    Category,
    Channel,
    CheckKind,
    CheckOutcome,
    CheckState,
    Issue,
    IssueEvent,
    IssuePhoto,
    Priority,
    Rating,
    RejectReason,
    Tier,
)
from ..photos import PhotoError, photo_prepare


class RefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    role = serializers.CharField()


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "name_en", "parent", "description"]


class CategoryTreeSerializer(CategorySerializer):
    children = CategorySerializer(many=True, read_only=True, source="active_children")

    class Meta(CategorySerializer.Meta):
        fields = CategorySerializer.Meta.fields + ["children"]


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "name": str(user), "role": user.role}


class IssueListSerializer(serializers.Serializer):
    # Fields are declared, not introspected from the model: a ModelSerializer rebuilds them on every
    # request, which cost more than the rest of a filing's Python.
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(Status.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    category = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(Channel.choices, read_only=True)
    priority = serializers.ChoiceField(Priority.choices, read_only=True)
    grid = RefSerializer()
    community = RefSerializer()
    street = RefSerializer()
    owner_tier = serializers.ChoiceField(Tier.choices, read_only=True)
    handler = serializers.SerializerMethodField()
    handler_department = RefSerializer(allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    response_due = serializers.DateTimeField(read_only=True, allow_null=True)
    resolution_due = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    supporter_count = serializers.IntegerField(read_only=True)
    rating = serializers.ChoiceField(Rating.choices, read_only=True, allow_blank=True)

    @extend_schema_field(RefSerializer)
    def get_category(self, issue):
        return {"code": issue.category.code, "name": str(issue.category)}

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_handler(self, issue):
        return _person(issue.handler)

    def get_overdue(self, issue) -> bool:
        return issue.is_overdue


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = IssuePhoto
        fields = ["id", "kind", "width", "height", "url", "thumbnail_url", "event"]

    def get_url(self, photo) -> str:
        return reverse("issue-photo", args=[photo.issue_id, photo.pk])

    def get_thumbnail_url(self, photo) -> str:
        return reverse("issue-photo", args=[photo.issue_id, photo.pk]) + "?size=thumbnail"


class AssistSerializer(serializers.Serializer):
    department = serializers.CharField(source="department.code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    response_due = serializers.DateTimeField(read_only=True, allow_null=True)
    responded_at = serializers.DateTimeField(read_only=True, allow_null=True)
    report = serializers.CharField(read_only=True)
    reported_at = serializers.DateTimeField(read_only=True, allow_null=True)
    released_at = serializers.DateTimeField(read_only=True, allow_null=True)
    release_reason = serializers.CharField(read_only=True)


class IssueDetailSerializer(IssueListSerializer):
    description = serializers.CharField(read_only=True)
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    address = serializers.CharField(read_only=True)
    reporter = serializers.SerializerMethodField()
    # Set once the reporter's name, phone and contacts were erased (issues.retention); reporter is empty then.
    personal_data_erased_at = serializers.DateTimeField(read_only=True, allow_null=True)
    result = serializers.CharField(read_only=True)
    rating_comment = serializers.CharField(read_only=True)
    reject_reason = serializers.ChoiceField(RejectReason.choices, read_only=True, allow_blank=True)
    merged_into = serializers.CharField(source="merged_into.number", read_only=True, allow_null=True)
    reopen_count = serializers.IntegerField(read_only=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    dispatched_at = serializers.DateTimeField(read_only=True, allow_null=True)
    responded_at = serializers.DateTimeField(read_only=True, allow_null=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    rated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    escalated_from_tier = serializers.CharField(read_only=True)
    escalated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    assists = AssistSerializer(many=True, read_only=True)
    # A grid officer is checking it on site now (核实 / 核查): the owner waits for the answer to close it.
    check_pending = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    def get_check_pending(self, issue) -> bool:
        return issue.checker_id is not None

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_reporter(self, issue):
        return rules.visible_reporter(self.context["request"].user, issue)

    def get_actions(self, issue) -> list[str]:
        """What the user may do now, each the endpoint of its name – but the on-site checks: verify_ask and
        inspect_ask are ``check-ask/`` with the kind, verify_report, inspect_pass and inspect_fail the report
        of the pending check (``/checks/``)."""
        from ..selectors import available_actions

        return [t.action.value for t in available_actions(self.context["request"].user, issue)]


class EventSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = IssueEvent
        fields = ["id", "action", "action_display", "at", "actor", "from_status", "to_status", "note", "data"]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_actor(self, event):
        return rules.visible_actor(self.context["request"].user, event, self.context["issue"])

    def to_representation(self, event):
        data = super().to_representation(event)
        if self.context["issue"].personal_data_erased_at:  # notes are append-only: mask what they quote
            data["note"] = rules.public_text(data["note"])
        return data


class CheckedIssueSerializer(serializers.Serializer):
    """The issue an on-site check is about, as much as the officer needs on the way there."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(Status.choices, read_only=True)
    category = serializers.SerializerMethodField()
    grid = RefSerializer()
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    address = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)

    @extend_schema_field(RefSerializer)
    def get_category(self, issue):
        return {"code": issue.category.code, "name": str(issue.category)}


class SiteCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(CheckKind.choices, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state = serializers.ChoiceField(CheckState.choices, read_only=True)
    issue = CheckedIssueSerializer(read_only=True)
    officer = serializers.SerializerMethodField()
    asked_by = serializers.SerializerMethodField()
    asked_at = serializers.DateTimeField(read_only=True)
    ask_note = serializers.CharField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    outcomes = serializers.SerializerMethodField()
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    outcome = serializers.ChoiceField(CheckOutcome.choices, read_only=True, allow_blank=True)
    duplicate_of = serializers.SerializerMethodField()
    answer_note = serializers.CharField(read_only=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(PersonSerializer)
    def get_officer(self, check):
        return _person(check.officer)

    @extend_schema_field(PersonSerializer)
    def get_asked_by(self, check):
        return _person(check.asked_by)

    def get_outcomes(self, check) -> list[str]:
        """The answers this kind of check takes."""
        return [str(outcome) for outcome in CHECK_OUTCOMES[check.kind]]

    def get_duplicate_of(self, check) -> str | None:
        return check.duplicate_of.number if check.duplicate_of_id else None


# Input -------------------------------------------------------------------------------------------

class PhotosField(serializers.ListField):
    child = serializers.FileField(allow_empty_file=True)

    def to_internal_value(self, data):
        files = super().to_internal_value(data)
        if len(files) > settings.ISSUE_MAX_PHOTOS:
            raise serializers.ValidationError(_("At most %(count)s photos.") % {"count": settings.ISSUE_MAX_PHOTOS})
        prepared = []
        for upload in files:
            try:
                prepared.append(photo_prepare(upload))
            except PhotoError as bad:
                raise serializers.ValidationError(f"{upload.name}: {bad}") from None
        return prepared


class IssueCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000)
    category = SlugRelatedField(slug_field="code",
                                queryset=Category.objects.filter(is_active=True).select_related("parent"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="latitude, in coord_sys")
    lng = serializers.FloatField(min_value=-180, max_value=180, help_text="longitude, in coord_sys")
    coord_sys = CoordSysField()
    address = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    channel = serializers.ChoiceField(Channel.choices, required=False, default=Channel.WEB)
    priority = serializers.ChoiceField(Priority.choices, required=False, default=Priority.NORMAL)
    reporter_name = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    reporter_phone = serializers.RegexField(r"^\+?[0-9 -]{5,20}$", required=False, default="", allow_blank=True)
    photos = PhotosField(required=False, default=list)

    def validate(self, attrs):
        # The issue stores WGS-84 only: a GCJ-02 point (WeChat, Amap) is converted before it is filed.
        attrs["lat"], attrs["lng"] = to_wgs84(attrs["lat"], attrs["lng"], attrs.pop("coord_sys"))
        return attrs


class VersionedSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="the version the client saw; a stale one is a 409")


class NoteSerializer(VersionedSerializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class RejectSerializer(NoteSerializer):
    reason = serializers.ChoiceField(RejectReason.choices)
    duplicate_of = SlugRelatedField(slug_field="number", queryset=Issue.objects.all(), required=False,
                                    allow_null=True, help_text="tracking number of the original")


class DispatchSerializer(NoteSerializer):
    handler = SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True),
                               required=False, allow_null=True)
    department = SlugRelatedField(slug_field="code", queryset=Department.objects.all(), required=False,
                                  allow_null=True, help_text="the lead department (district only)")
    assisting = SlugRelatedField(slug_field="code", queryset=Department.objects.all(), many=True,
                                 required=False, default=list,
                                 help_text="assisting departments' codes, with a lead department")


class EscalateSerializer(VersionedSerializer):
    reason = serializers.CharField(max_length=2000, help_text="why the tier above is needed")


class SendBackSerializer(EscalateSerializer):
    unjustified = serializers.BooleanField(default=True, help_text="the finding of 乱吹哨 (accountability list)")


class AssistReportSerializer(VersionedSerializer):
    report = serializers.CharField(max_length=2000, help_text="what the assisting department has done")


class AssistReleaseSerializer(VersionedSerializer):
    department = SlugRelatedField(slug_field="code", queryset=Department.objects.all(),
                                  help_text="the code of the assisting department to release")
    reason = serializers.CharField(max_length=2000, help_text="why it is released")


class ResolveSerializer(VersionedSerializer):
    result = serializers.CharField(max_length=2000)
    photos = PhotosField(required=False, default=list)


class ReturnSerializer(VersionedSerializer):
    note = serializers.CharField(max_length=2000)


class RateSerializer(VersionedSerializer):
    rating = serializers.ChoiceField(Rating.choices)
    comment = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)


class FixOnSpotSerializer(IssueCreateSerializer):
    """当场处置: the whistle (its photos the before) and what was done, with the after photos."""

    channel = None  # always grid_patrol
    result = serializers.CharField(max_length=2000, help_text="what was done on the spot")
    evidence_photos = PhotosField(required=False, default=list, help_text="the after photos")


class CheckAskSerializer(NoteSerializer):
    kind = serializers.ChoiceField(CheckKind.choices, help_text="verify (核实, before accepting) or inspect "
                                                                "(核查, before closing)")
    officer = SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True), required=False,
                               allow_null=True, help_text="the grid officer's username; default: one of the grid's")


class CheckReportSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(CheckOutcome.choices)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    duplicate_of = SlugRelatedField(slug_field="number", queryset=Issue.objects.all(), required=False,
                                    allow_null=True, help_text="tracking number of the original (outcome duplicate)")
    photos = PhotosField(required=False, default=list)


class IssueFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="one status or several, comma-separated")
    category = serializers.CharField(required=False, help_text="category code; a top category includes its children")
    grid = serializers.CharField(required=False, help_text="grid code")
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    channel = serializers.ChoiceField(Channel.choices, required=False)
    q = serializers.CharField(required=False, help_text="tracking number or words of the title")

    def validate_status(self, value):
        statuses = tuple(part.strip() for part in value.split(",") if part.strip())
        unknown = [s for s in statuses if s not in Status.values]
        if unknown:
            raise serializers.ValidationError(_("Unknown status: %(status)s.") % {"status": ", ".join(unknown)})
        return statuses

