"""The area hierarchy (district → street → community → grid), the district's departments and the
people who serve them.

Every area has a stable administrative code and a boundary stored as GeoJSON. A boundary is
checked on save (``clean``) against its parent and its siblings; every saved change of a grid
boundary bumps ``BoundaryRevision``, which tells every process to rebuild its point-in-grid index.
"""
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djgeojson.fields import GeometryField, PolygonField
from shapely.geometry import Point

from jianhua.history import HistoricalRecords

from . import signals
from .boundaries import BoundaryError, boundary_problems, to_shape


# A landline with its area code (0452-2345678), a mobile, or a hotline: digits, with the usual separators.
PUBLIC_PHONE_VALIDATOR = RegexValidator(
    r"^\+?[0-9][0-9 ()\-]{3,30}[0-9]$", _("Enter a phone number of digits, e.g. 0452-2345678.")
)


class Area(models.Model):
    code = models.CharField(_("code"), max_length=24, unique=True, help_text=_("Stable administrative code; never reused."))
    name = models.CharField(_("name"), max_length=64)
    # Who changed the name, the code or the boundary, when (jianhua.history); one table per level.
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self):
        return self.name

    # The parent area and the query of siblings, for the boundary rules; None at the top.
    def parent_area(self):
        return None

    def sibling_areas(self):
        return type(self).objects.none()

    def clean(self):
        super().clean()
        if not self.boundary:
            return
        try:
            geometry = to_shape(self.boundary)
        except BoundaryError as exc:
            raise ValidationError({"boundary": str(exc)}) from exc
        parent = self.parent_area()
        parent_shape = to_shape(parent.boundary) if parent is not None and parent.boundary else None
        siblings = (
            (str(sibling), to_shape(sibling.boundary))
            for sibling in self.sibling_areas().exclude(pk=self.pk).exclude(boundary=None)
        )
        problems = boundary_problems(
            geometry, parent=parent_shape, parent_name=str(parent) if parent else "", siblings=siblings
        )
        if problems:
            raise ValidationError({"boundary": problems})


class District(Area):
    boundary = GeometryField(_("boundary"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), default=0)

    class Meta(Area.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class Street(Area):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("district"))
    boundary = GeometryField(_("boundary"), null=True, blank=True)

    class Meta(Area.Meta):
        verbose_name = _("street")
        verbose_name_plural = _("streets")

    def parent_area(self):
        return self.district

    def sibling_areas(self):
        return Street.objects.filter(district_id=self.district_id)


class Community(Area):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street"))
    boundary = GeometryField(_("boundary"), null=True, blank=True)
    # Printed on the grid posters: the number residents call when they would rather not scan.
    phone = models.CharField(
        _("public phone"), max_length=32, blank=True, validators=[PUBLIC_PHONE_VALIDATOR],
        help_text=_("The community office's number that residents call, e.g. 0452-2345678."),
    )

    class Meta(Area.Meta):
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def parent_area(self):
        return self.street

    def sibling_areas(self):
        return Community.objects.filter(street_id=self.street_id)


class Grid(Area):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community"))
    boundary = PolygonField(_("boundary"))
    population = models.PositiveIntegerField(_("population"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)

    class Meta(Area.Meta):
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def parent_area(self):
        return self.community

    def sibling_areas(self):
        return Grid.objects.filter(community_id=self.community_id)

    def save(self, *args, **kwargs):
        with transaction.atomic():
            super().save(*args, **kwargs)
            BoundaryRevision.bump()

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            BoundaryRevision.bump()
        return result


class BoundaryRevision(models.Model):
    """One row whose number grows with every change of grid boundaries, in the same transaction.

    Each process keeps its point-in-grid index with the number it was built from and compares it
    with this row, so a boundary saved by any process reaches all of them.
    """

    number = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("boundary revision")

    @classmethod
    def current(cls) -> tuple:
        """A token that changes with every boundary change: (number, changed_at)."""
        return cls.objects.filter(pk=1).values_list("number", "changed_at").first() or (0, None)

    @classmethod
    def bump(cls) -> None:
        updated = cls.objects.filter(pk=1).update(number=F("number") + 1, changed_at=timezone.now())
        if not updated:
            cls.objects.get_or_create(pk=1, defaults={"number": 1})
        transaction.on_commit(lambda: signals.boundaries_changed.send(sender=cls))


class Department(models.Model):
    """A district department that reports for duty (报到) when the district whistles."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="departments", verbose_name=_("district"))
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=64)
    short_name = models.CharField(_("short name"), max_length=16)
    duties = models.TextField(_("duties"), blank=True)
    commitment = models.TextField(_("public commitment"), blank=True)
    phone = models.CharField(_("duty phone"), max_length=32, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_OFFICER = "grid_officer", _("Grid officer")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_STAFF = "street_staff", _("Street staff")
    COMMAND_CENTRE = "command_centre", _("District command centre")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    LEADER = "leader", _("District leader")
    INSPECTOR = "inspector", _("Discipline inspector")
    ADMIN = "admin", _("Administrator")
    # The service account of an Open311 client (12345 hotline, a civic app): it files whistles and
    # sees nothing – clients follow their whistles through Open311's public answers.
    INTAKE_CLIENT = "intake_client", _("Intake client (API)")


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    DEPARTMENT = "department", _("Department")


# The one field each role's place is recorded in; residents serve no area.
ROLE_LEVEL = {
    Role.RESIDENT: None,
    Role.GRID_OFFICER: Level.GRID,
    Role.COMMUNITY_STAFF: Level.COMMUNITY,
    Role.STREET_STAFF: Level.STREET,
    Role.COMMAND_CENTRE: Level.DISTRICT,
    Role.DEPARTMENT_STAFF: Level.DEPARTMENT,
    Role.LEADER: Level.DISTRICT,
    Role.INSPECTOR: Level.DISTRICT,
    Role.ADMIN: Level.DISTRICT,
    Role.INTAKE_CLIENT: None,
}
AREA_FIELDS = ("district", "street", "community", "grid", "department")
# The levels of a place within the district: staff of one see the issues of their grid, community or street.
PLACE_LEVELS = frozenset({Level.STREET, Level.COMMUNITY, Level.GRID})
# The username of an account its holder closed is this prefix and its id (User.is_deleted).
DELETED_USERNAME_PREFIX = "deleted-"


def masked_phone(number) -> str:
    """138****8000: what pages and messages show of a mobile number (national or E.164)."""
    national = str(number)[-11:]
    return f"{national[:3]}****{national[-4:]}"


class GridDuty(models.TextChoices):
    LEADER = "leader", _("Grid leader")
    OFFICER = "officer", _("Full-time grid officer")
    INFORMATION_OFFICER = "information_officer", _("Grid information officer")


class User(AbstractUser):
    """An account: a resident, or staff with a role and the one area or department they serve."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RESIDENT, db_index=True)
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    district = models.ForeignKey(District, models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("district"))
    street = models.ForeignKey(Street, models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("street"))
    community = models.ForeignKey(
        Community, models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("community")
    )
    grid = models.ForeignKey(Grid, models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("grid"))
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("department")
    )
    grid_duty = models.CharField(_("duty in the grid"), max_length=24, choices=GridDuty.choices, blank=True)
    # Roles, areas served and permissions (the admin's groups and permissions too) over time. No password
    # hash in the history, and no sign-in times.
    history = HistoricalRecords(excluded_fields=["password", "last_login"], m2m_fields=["groups", "user_permissions"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        if self.is_deleted:
            return str(_("A deleted account"))
        if not self.full_name and self.role == Role.RESIDENT and len(self.phone) == 11:
            return masked_phone(self.phone)  # a phone sign-up has no name: its masked number
        return self.full_name or self.username

    @property
    def is_deleted(self) -> bool:
        """A resident closed this account (accounts.services.account_delete): the row stays for the
        records that point at it, and names no one."""
        return not self.is_active and self.username.startswith(DELETED_USERNAME_PREFIX)

    @property
    def level(self) -> str | None:
        return ROLE_LEVEL.get(self.role)

    @property
    def area(self):
        """The district, street, community, grid or department this account serves, or None."""
        return getattr(self, self.level) if self.level else None

    @property
    def area_name(self) -> str:
        """The name of the area served, for page headings – without loading the area's boundary (the
        district's alone is hundreds of kilobytes) when the area is not loaded already."""
        level = self.level
        if not level:
            return ""
        loaded = self._state.fields_cache.get(level)
        if loaded is not None:
            return loaded.name
        model = self._meta.get_field(level).related_model
        return model.objects.filter(pk=getattr(self, f"{level}_id")).values_list("name", flat=True).first() or ""

    def clean(self):
        super().clean()
        level = ROLE_LEVEL.get(self.role)
        errors = {}
        for field in AREA_FIELDS:
            value = getattr(self, f"{field}_id")
            if field == level and value is None:
                errors[field] = _("A %(role)s must be given the %(level)s they serve.") % {
                    "role": self.get_role_display(),
                    "level": Level(level).label,
                }
            elif field != level and value is not None:
                errors[field] = _("A %(role)s does not serve a %(level)s; leave this empty.") % {
                    "role": self.get_role_display(),
                    "level": Level(field).label,
                }
        if self.grid_duty and self.role != Role.GRID_OFFICER:
            errors["grid_duty"] = _("Only grid officers have a duty in a grid.")
        if errors:
            raise ValidationError(errors)


class Place(models.Model):
    """Who answers for a building or a unit: the centre household (楼栋/单元中心户), the party's contact
    in it, whom the grid officer calls before a visit."""

    centre_household_name = models.CharField(_("centre household"), max_length=40, blank=True,
                                             help_text=_("The 楼栋(单元)中心户: the party's contact in it."))
    centre_household_phone = models.CharField(_("centre household's phone"), max_length=20, blank=True,
                                              validators=[PUBLIC_PHONE_VALIDATOR])

    class Meta:
        abstract = True


class Building(Place):
    """A building of a grid (12号楼), where its officer goes door to door; its point files the whistles
    raised on visits, so it lies inside the grid."""

    grid = models.ForeignKey(Grid, models.PROTECT, related_name="buildings", verbose_name=_("grid"))
    number = models.CharField(_("number"), max_length=24, help_text=_("As written on the building, e.g. 12号楼."))
    address = models.CharField(_("address"), max_length=120, blank=True)
    lat = models.FloatField(_("latitude"), help_text=_("WGS-84"))
    lng = models.FloatField(_("longitude"), help_text=_("WGS-84"))
    history = HistoricalRecords()  # who changed the centre household or moved the point, when (jianhua.history)

    class Meta:
        ordering = ["grid", "number"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [models.UniqueConstraint(fields=["grid", "number"], name="building_number_per_grid")]

    def __str__(self):
        return f"{self.address or self.number}"

    def clean(self):
        super().clean()
        if self.grid_id is None or self.lat is None or self.lng is None:
            return
        if not to_shape(self.grid.boundary).covers(Point(self.lng, self.lat)):
            raise ValidationError({"lat": _("The building's point is outside %(grid)s.") % {"grid": self.grid}})


class BuildingUnit(Place):
    """A unit (entrance, 1单元) of a building: its households are the doors a visit plan counts."""

    building = models.ForeignKey(Building, models.CASCADE, related_name="units", verbose_name=_("building"))
    number = models.CharField(_("number"), max_length=24, help_text=_("e.g. 1单元"))
    households = models.PositiveSmallIntegerField(_("households"), default=0)
    floors = models.PositiveSmallIntegerField(_("floors"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["building", "number"]
        verbose_name = _("building unit")
        verbose_name_plural = _("building units")
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="unit_number_per_building")]

    def __str__(self):
        return f"{self.building} {self.number}"
