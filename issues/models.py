"""The whistle: issues, their categories, photos, supporters and the append-only event log.

Rows are written only through ``issues.services``; the lifecycle is ``issues.lifecycle``.
"""
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Community, Department, Grid, Street
from jianhua.history import HistoricalRecords

from .lifecycle import OPEN_STATUSES, Action, Status


class Category(models.Model):
    """A two-level tree: a top category (环境卫生) and its sub-categories (垃圾清运)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent category")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and (self.parent.parent_id or self.parent_id == self.pk):
            raise ValidationError({"parent": _("Categories have two levels: the parent must be a top category.")})
        if self.pk and self.parent_id and self.children.exists():
            raise ValidationError({"parent": _("A category with sub-categories must stay a top category.")})


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    HOTLINE = "hotline", _("Hotline")
    WECHAT = "wechat", _("WeChat")
    GRID_PATROL = "grid_patrol", _("Grid patrol")
    CITY_HOTLINE = "city_hotline", _("City hotline 12345")
    OPEN311 = "open311", _("Open311 client")
    VISIT = "visit", _("Door-to-door visit")  # 走访: a concern raised when the grid officer called


class AttributeType(models.TextChoices):
    """The datatypes of Open311 GeoReport v2 service attributes."""

    STRING = "string", _("Short text")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Long text")
    SINGLEVALUELIST = "singlevaluelist", _("One choice from a list")
    MULTIVALUELIST = "multivaluelist", _("Several choices from a list")


class CategoryAttribute(models.Model):
    """An extra question a category asks when a whistle is filed (Open311: a service attribute).

    ``values`` are the choices of a list attribute, ``[{"key": "yes", "name": "是"}, …]``; answers
    whose key is in ``urgent_keys`` make the whistle urgent (people stuck in a lift)."""

    category = models.ForeignKey(Category, models.CASCADE, related_name="attributes", verbose_name=_("category"))
    code = models.SlugField(_("code"), max_length=40)
    datatype = models.CharField(_("datatype"), max_length=20, choices=AttributeType.choices,
                                default=AttributeType.STRING)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(_("asks the resident"), default=True,
                                   help_text=_("Untick for information that is shown but not asked."))
    description = models.CharField(_("question"), max_length=200)
    datatype_description = models.CharField(_("how to answer"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    values = models.JSONField(_("choices"), default=list, blank=True,
                              help_text=_('For list datatypes: [{"key": "yes", "name": "是"}, …]'))
    urgent_keys = models.JSONField(_("answers that make it urgent"), default=list, blank=True,
                                   help_text=_('Keys of choices that make the whistle urgent, e.g. ["yes"].'))
    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "order", "code"]
        verbose_name = _("category attribute")
        verbose_name_plural = _("category attributes")
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="attribute_code_per_category")]

    def __str__(self):
        return f"{self.category.code}/{self.code}"

    def clean(self):
        listed = self.datatype in (AttributeType.SINGLEVALUELIST, AttributeType.MULTIVALUELIST)
        values = self.values if isinstance(self.values, list) else None
        if values is None or not all(isinstance(v, dict) and v.get("key") and "name" in v for v in values):
            raise ValidationError({"values": _('Give the choices as [{"key": …, "name": …}, …].')})
        if listed and not values:
            raise ValidationError({"values": _("A list attribute needs choices.")})
        if not listed and values:
            raise ValidationError({"values": _("Only list attributes have choices.")})
        keys = {v["key"] for v in values}
        if not isinstance(self.urgent_keys, list) or not set(self.urgent_keys) <= keys:
            raise ValidationError({"urgent_keys": _("Urgent answers must be keys of the choices.")})


def new_api_key() -> str:
    return secrets.token_urlsafe(32)


class IntakeClient(models.Model):
    """A system that files whistles through Open311 – the city's 12345 hotline, a WeChat
    mini-program, a civic app – with its own API key. Each is an intake channel of its own: its
    whistles carry it (``Issue.intake_client``) and are counted apart.

    Filing needs an account, so each client has a service account with the role "intake client",
    which may file on callers' behalf and see nothing (created by ``services.intake_client_create``)."""

    name = models.CharField(_("name"), max_length=80)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    api_key = models.CharField(_("API key"), max_length=80, unique=True, default=new_api_key)
    is_active = models.BooleanField(_("active"), default=True)
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), default=60)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="intake_client", verbose_name=_("service account")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("intake client (Open311)")
        verbose_name_plural = _("intake clients (Open311)")

    def __str__(self):
        return self.name


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Tier(models.TextChoices):
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DISTRICT = "district", _("District command centre")


# 吹哨 goes one tier up at a time: community → street → district command centre.
TIER_ABOVE = {Tier.COMMUNITY: Tier.STREET, Tier.STREET: Tier.DISTRICT}


class DefaultHandler(models.TextChoices):
    """Whom routing suggests the owning tier dispatches a new issue to (``issues.routing``)."""
    GRID_OFFICER = "grid_officer", _("The grid's officer")
    COMMUNITY = "community", _("Community staff")
    STREET = "street", _("Street staff")
    DEPARTMENT = "department", _("A district department")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class RejectReason(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate of another issue")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    INVALID = "invalid", _("Invalid")


# The states in which someone must take the whistle (accept it) or report for duty before response_due.
RESPONSE_CLOCK_STATUSES = frozenset({Status.SUBMITTED, Status.DISPATCHED, Status.ESCALATED})


class Issue(models.Model):
    number = models.CharField(_("tracking number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000)
    category = models.ForeignKey(Category, models.PROTECT, related_name="issues", verbose_name=_("category"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    intake_client = models.ForeignKey(
        IntakeClient, models.PROTECT, null=True, blank=True, related_name="issues", verbose_name=_("intake client"),
        help_text=_("The Open311 client that filed it, for whistles on the Open311 channel."),
    )
    # What an Open311 client is given to follow the whistle by; empty for other channels.
    intake_token = models.UUIDField(_("intake token"), null=True, blank=True, unique=True, editable=False)
    attributes = models.JSONField(_("answers to the category's questions"), default=dict, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True,
                                help_text=_("A photo's address given by an Open311 client; never fetched."))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)

    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Where it is, kept at every level so that area-scoped lists need no joins.
    grid = models.ForeignKey(Grid, models.PROTECT, related_name="issues", verbose_name=_("grid"))
    community = models.ForeignKey(Community, models.PROTECT, related_name="issues", verbose_name=_("community"))
    street = models.ForeignKey(Street, models.PROTECT, related_name="issues", verbose_name=_("street"))

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="reported_issues",
        verbose_name=_("reporter"),
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=40, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    # Contact details an Open311 client passed along (email, device_id, account_id): personal data,
    # kept for call-backs and shown in no answer.
    reporter_contact = models.JSONField(_("reporter's other contacts"), default=dict, blank=True)
    # When the reporter's name, phone and contacts were erased (issues.retention): PERSONAL_DATA_RETENTION_DAYS
    # after closing, or when the resident closed their account. The case, its place and its timeline stay.
    personal_data_erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="filed_issues", verbose_name=_("filed by"),
        help_text=_("The account that filed it: the resident, or the operator or officer on their behalf."),
    )

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    owner_tier = models.CharField(_("owning tier"), max_length=20, choices=Tier.choices, default=Tier.COMMUNITY)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="handled_issues",
        verbose_name=_("handler"),
    )
    handler_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="handled_issues",
        verbose_name=_("handling department"),
    )
    # The grid officer a pending on-site check (SiteCheck) asks now – kept by the check services beside the
    # check, so that who may answer is known without reading the checks (issues.rules.is_checker).
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("asked to check on site"),
    )
    default_handler = models.CharField(
        _("default handler"), max_length=20, choices=DefaultHandler.choices, blank=True,
        help_text=_("Whom routing suggested dispatching it to when it was filed."),
    )
    default_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="routed_issues",
        verbose_name=_("default department"),
    )
    response_due = models.DateTimeField(_("response deadline"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution deadline"), null=True, blank=True)

    # 吹哨: the tier that whistled it up (the tier a send-back returns it to) and when.
    escalated_from_tier = models.CharField(_("escalated from"), max_length=20, choices=Tier.choices, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=20, choices=RejectReason.choices, blank=True)
    merged_into = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="duplicates", verbose_name=_("merged into")
    )
    result = models.TextField(_("result"), blank=True)
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    supporter_count = models.PositiveIntegerField(_("residents who met it too"), default=0)

    created_at = models.DateTimeField(_("filed at"), default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Grows with every change; a client that acted on an older version gets a conflict.
    version = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        constraints = [
            models.UniqueConstraint(fields=["filed_by", "idempotency_key"], name="issue_idempotency_key_per_account"),
        ]
        indexes = [
            models.Index(fields=["grid", "status", "-created_at"], name="issue_grid_queue"),
            models.Index(fields=["community", "status", "-created_at"], name="issue_community_queue"),
            models.Index(fields=["street", "status", "-created_at"], name="issue_street_queue"),
            models.Index(fields=["status", "-created_at"], name="issue_district_queue"),
            # Newest first, id included: a page of ids is read from the index alone, however deep
            # (jianhua.pagination.LargeListPaginator).
            models.Index(fields=["-created_at", "-id"], name="issue_newest_first"),
            models.Index(fields=["handler", "status"], name="issue_handler"),
            models.Index(fields=["category", "status"], name="issue_category_status"),
            # The daily retention sweep's question (issues.retention.erasure_due): only what is still to erase.
            models.Index(fields=["status", "closed_at"], condition=models.Q(personal_data_erased_at__isnull=True),
                         name="issue_personal_data_due"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def rated_since_closed(self) -> bool:
        """The resident has rated this closing already (a 不满意 reopens the issue, and its next closing may be
        rated again)."""
        return self.rated_at is not None and self.closed_at is not None and self.rated_at >= self.closed_at

    def unit_name(self, tier: str | None = None) -> str:
        """The unit of a tier (the owning tier by default) for this issue's place: its community, its
        street or the district command centre."""
        tier = self.owner_tier if tier is None else tier
        if tier == Tier.COMMUNITY:
            return self.community.name
        if tier == Tier.STREET:
            return self.street.name
        if tier == Tier.DISTRICT:
            return str(_("District command centre"))
        return tier

    # When each deadline's clock runs – the one definition of "overdue" (selectors.overdue_q is its
    # SQL twin for filtering lists).
    @property
    def response_clock_running(self) -> bool:
        """The owning tier has not taken a new whistle yet, the handler has been dispatched and has not
        reported for duty yet, or the tier above has been whistled and has not taken the issue yet."""
        return self.status in RESPONSE_CLOCK_STATUSES and self.response_due is not None

    @property
    def resolution_clock_running(self) -> bool:
        return self.is_open and self.resolution_due is not None

    @property
    def response_overdue(self) -> bool:
        return self.response_clock_running and self.response_due < timezone.now()

    @property
    def resolution_overdue(self) -> bool:
        return self.resolution_clock_running and self.resolution_due < timezone.now()

    @property
    def is_overdue(self) -> bool:
        return self.response_overdue or self.resolution_overdue


class DailySequence(models.Model):
    """The last tracking number handed out on a day (JH-20261125-0001, -0002, …)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class IssueEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Issue events are append-only.")

    def delete(self):
        raise TypeError("Issue events are append-only.")


class IssueEvent(models.Model):
    """One change of an issue: who, when, from which state to which, why. Never edited, never deleted.

    The model refuses updates and deletes, and a database trigger refuses them too (see the
    migration), so not even the admin or a raw query can rewrite the timeline.
    """

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="events", verbose_name=_("issue"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    actor_role = models.CharField(_("role at the time"), max_length=20, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = IssueEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("issue event")
        verbose_name_plural = _("issue events")
        indexes = [models.Index(fields=["issue", "at"], name="issue_event_timeline")]

    def __str__(self):
        return f"{self.issue_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Issue events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Issue events are append-only.")


class PhotoKind(models.TextChoices):
    REPORT = "report", _("Reported by the resident")
    EVIDENCE = "evidence", _("Evidence of the result")
    CHECK = "check", _("Taken on an on-site check")


def _photo_path(instance, filename):
    return f"issues/{timezone.now():%Y/%m}/{filename}"


class IssuePhoto(models.Model):
    issue = models.ForeignKey(Issue, models.PROTECT, related_name="photos", verbose_name=_("issue"))
    event = models.ForeignKey(IssueEvent, models.PROTECT, null=True, blank=True, related_name="photos")
    kind = models.CharField(_("kind"), max_length=10, choices=PhotoKind.choices, default=PhotoKind.REPORT)
    image = models.ImageField(_("photo"), upload_to=_photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    original_name = models.CharField(max_length=100, blank=True)
    # Where the phone's EXIF says it was taken, kept before the metadata is stripped (staff compare it
    # with the issue's point).
    taken_lat = models.FloatField(_("taken at latitude"), null=True, blank=True)
    taken_lng = models.FloatField(_("taken at longitude"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")


class IssueSupporter(models.Model):
    """A resident who met the same problem and added their voice (我也遇到了) instead of filing again."""

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="supporters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="supported_issues")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "user"], name="one_voice_per_resident")]


class IssueAssistQuerySet(models.QuerySet):
    def still_assisting(self):
        """Not released by the owning tier (see ``IssueAssist.still_assisting``)."""
        return self.filter(released_at__isnull=True)

    def owing_part(self):
        """Still assisting and its part not reported: what the lead's resolve waits for."""
        return self.still_assisting().filter(reported_at__isnull=True)


class IssueAssist(models.Model):
    """An assisting department the district dispatched alongside the lead (协办单位): it reports for duty
    within its own response deadline and reports its part; the lead department resolves."""

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="assists", verbose_name=_("issue"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="assists", verbose_name=_("department"))
    dispatched_at = models.DateTimeField(_("dispatched at"), default=timezone.now)
    response_due = models.DateTimeField(_("response deadline"), null=True, blank=True)
    responded_at = models.DateTimeField(_("reported for duty at"), null=True, blank=True)
    report = models.TextField(_("its part"), blank=True)
    reported_at = models.DateTimeField(_("reported its part at"), null=True, blank=True)
    # The owning tier may let an assisting department go (it cannot help, or never answered): the lead no
    # longer waits for it, its clock stops, and the record stays, with why.
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("why it was released"), blank=True)

    objects = IssueAssistQuerySet.as_manager()

    class Meta:
        ordering = ["dispatched_at", "id"]
        verbose_name = _("assisting department")
        verbose_name_plural = _("assisting departments")
        constraints = [models.UniqueConstraint(fields=["issue", "department"], name="one_assist_per_department")]

    def __str__(self):
        return f"{self.issue_id} {self.department}"

    @property
    def still_assisting(self) -> bool:
        """Not released: it may act, its clock runs, and the lead waits for its part (the one place that
        says so; ``IssueAssistQuerySet`` is the same in SQL)."""
        return self.released_at is None

    @property
    def owes_part(self) -> bool:
        return self.still_assisting and self.reported_at is None

    @property
    def response_overdue(self) -> bool:
        return (self.responded_at is None and self.still_assisting and self.response_due is not None
                and self.response_due < timezone.now())


class EntryState(models.TextChoices):
    OPEN = "open", _("Open")
    ESCALATED = "escalated", _("Whistled up to the tier above")
    CROSSED_OFF = "crossed_off", _("Crossed off")


class ProblemListEntry(models.Model):
    """A line on a tier's problem list (问题清单): the tier's unit accepted the issue. An issue escalated
    from the community to the street stands once on each list; it is crossed off (销号) on the list of
    the tier that closes it, and shows as whistled up on the lists below."""

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="list_entries", verbose_name=_("issue"))
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    # The unit whose list it is: a community, a street, or (both empty) the district command centre.
    community = models.ForeignKey(Community, models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("community"))
    street = models.ForeignKey(Street, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("street"))
    state = models.CharField(_("state"), max_length=20, choices=EntryState.choices, default=EntryState.OPEN)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("accepted by"))
    left_at = models.DateTimeField(_("crossed off or whistled up at"), null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        verbose_name = _("problem list entry")
        verbose_name_plural = _("problem list entries")
        constraints = [models.UniqueConstraint(fields=["issue", "tier"], name="one_entry_per_tier")]
        indexes = [
            models.Index(fields=["tier", "community", "state", "-accepted_at"], name="problem_list_community"),
            models.Index(fields=["tier", "street", "state", "-accepted_at"], name="problem_list_street"),
        ]

    def __str__(self):
        return f"{self.issue_id} {self.tier} {self.state}"


class CheckKind(models.TextChoices):
    VERIFY = "verify", _("Verify on site before accepting")  # 核实
    INSPECT = "inspect", _("Check on site before closing")  # 核查


class CheckState(models.TextChoices):
    ASKED = "asked", _("Asked")
    ANSWERED = "answered", _("Answered")
    CANCELLED = "cancelled", _("Cancelled")


class CheckOutcome(models.TextChoices):
    REAL = "real", _("The problem is real")
    NOT_FOUND = "not_found", _("Not found on site")
    DUPLICATE = "duplicate", _("A duplicate of another whistle")
    FIXED = "fixed", _("Fixed")
    NOT_FIXED = "not_fixed", _("Not fixed")


# Which outcomes answer which kind of check.
CHECK_OUTCOMES = {
    CheckKind.VERIFY: (CheckOutcome.REAL, CheckOutcome.NOT_FOUND, CheckOutcome.DUPLICATE),
    CheckKind.INSPECT: (CheckOutcome.FIXED, CheckOutcome.NOT_FIXED),
}


class SiteCheck(models.Model):
    """An on-site check the owning tier asked a grid officer for: 核实 (is the whistle real?) before
    accepting it, or 核查 (is it really fixed?) before crossing it off. Written only by
    ``issues.services.issue_check_ask`` / ``issue_check_report``; the ask, the answer and a cancellation
    are events on the issue's timeline. One check at a time is pending per issue."""

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="checks", verbose_name=_("issue"))
    kind = models.CharField(_("kind"), max_length=10, choices=CheckKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=CheckState.choices, default=CheckState.ASKED)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="checks_asked",
                                verbose_name=_("grid officer asked"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                 verbose_name=_("asked by"))
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    ask_note = models.TextField(_("what to look at"), blank=True)
    due_at = models.DateTimeField(_("due at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=CheckOutcome.choices, blank=True)
    duplicate_of = models.ForeignKey(Issue, models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("duplicate of"))
    answer_note = models.TextField(_("what the officer found"), blank=True)
    # The Idempotency-Key the answer came with: an answer queued on a phone and sent twice counts once.
    answer_key = models.CharField(max_length=80, null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    ask_event = models.ForeignKey(IssueEvent, models.PROTECT, related_name="+")
    # The event that answered or cancelled it.
    end_event = models.ForeignKey(IssueEvent, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["asked_at", "id"]
        verbose_name = _("on-site check")
        verbose_name_plural = _("on-site checks")
        constraints = [
            models.UniqueConstraint(fields=["issue"], condition=models.Q(state="asked"),
                                    name="one_pending_check_per_issue"),
            models.UniqueConstraint(fields=["officer", "answer_key"], name="check_answer_key_per_officer"),
        ]
        indexes = [models.Index(fields=["officer", "state", "due_at"], name="check_officer_queue")]

    def __str__(self):
        return f"{self.issue_id} {self.kind} {self.state}"

    @property
    def is_pending(self) -> bool:
        return self.state == CheckState.ASKED

    @property
    def is_overdue(self) -> bool:
        return self.is_pending and self.due_at < timezone.now()
