"""A year of work in bulk, for the demo, the dashboards and the benchmarks (``generate_history``).

``history_generate`` fills the database with issues spread over the past ``days`` days as the district
would have made them: seasons (供暖不热 from 20 October to 20 April, peaking in December and January;
积雪结冰 from November to March; rubbish, sewage and noise in summer), weekdays busier than weekends
and holidays, office hours busier than nights, busy and quiet grids, every intake channel. Each issue
is walked through the lifecycle by a small in-memory replica of ``issues.services``: each step checks
``issues.lifecycle`` and sets the fields, writes the event with the ``data`` keys and moves the
problem-list entries exactly as the service does; the timers (``dispatch.timers``) fire reminders,
overdue marks and automatic escalations when a clock runs out before the next step, and the
supervision and accountability lists get the rows their receivers would have written. Deadlines
come from the district's ``DeadlineRule`` rows and its working-day calendar (``dispatch.calendar``),
looked up once per rule and once per day.

Rows are written in chunks of consecutive days (one transaction each) with ids allocated here, so
events, entries and alerts reference their issue without a round trip: ``COPY`` on PostgreSQL,
multi-row ``INSERT`` elsewhere. Everything random comes from one ``random.Random(seed)``: the same
seed, size and end moment give the same history.

Generated rows are marked by their people: every account made here has a username starting with
``hist-``, and every generated issue is filed by one of them, so ``history_clear`` removes exactly
what was generated and leaves the demo accounts' own issues alone.
"""
import bisect
import json
import math
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dispatch import calendar as working_calendar
from dispatch.models import (
    AccountabilityRecord,
    AlertKind,
    DeadlineAlert,
    DeadlineRule,
    Outcome,
    RecordKind,
    RecordState,
    SupervisionItem,
    SupervisionSource,
    SupervisionState,
)
from dispatch.supervision import AUTO_INSTRUCTIONS
from grids.demo import district as district_facts
from grids.models import Community, Department, Grid, GridDuty, Role, Street, User
from issues import routing
from issues.lifecycle import OPEN_STATUSES, Action, Status, transition_for
from issues.models import (
    RESPONSE_CLOCK_STATUSES,
    TIER_ABOVE,
    Category,
    Channel,
    DailySequence,
    EntryState,
    IntakeClient,
    Issue,
    IssueAssist,
    IssueEvent,
    IssueSupporter,
    Priority,
    ProblemListEntry,
    Rating,
    RejectReason,
    Tier,
)

PREFIX = "hist-"  # every account made here, and so every generated issue's filer
# The Open311 client whose whistles the history has (its service account is generated too).
INTAKE_CODE = f"{PREFIX}open311"
INTAKE_ACCOUNT = f"{PREFIX}open311"
INTAKE_NAME = "12345 市民热线（历史数据）"
DAY = 86400
HOUR = 3600
MINUTE = 60
LOCAL_OFFSET = 8 * HOUR  # Asia/Shanghai has no daylight saving time

# Categories ---------------------------------------------------------------------------------------
# code: (share of a year's whistles, season, share urgent, median hours to resolve, lead department)
# Seasons: "heating" (20 Oct – 20 Apr, peak at the turn of the year), "winter" (Nov – Mar), "thaw"
# (March – April: icicles, potholes), "summer" (June – August), "" (all year).
CATEGORY_PROFILES = {
    "garbage": (7.0, "summer", 0.01, 14, "urban-management"),
    "snow": (5.0, "winter", 0.04, 18, "urban-management"),
    "sewage": (3.0, "summer", 0.05, 20, "housing-construction"),
    "littering": (4.5, "summer", 0.0, 30, "urban-management"),
    "road": (3.0, "thaw", 0.02, 90, "housing-construction"),
    "streetlight": (3.5, "winter-light", 0.0, 30, "urban-management"),
    "manhole": (1.2, "", 0.30, 8, "housing-construction"),
    "drainage": (2.5, "summer", 0.05, 24, "housing-construction"),
    "heating": (9.0, "heating", 0.05, 8, "housing-construction"),
    "water-power-gas": (4.5, "winter-mild", 0.15, 6, "housing-construction"),
    "elevator": (2.5, "", 0.25, 6, "market-regulation"),
    "property-service": (6.0, "", 0.0, 48, "housing-construction"),
    "fire": (1.5, "winter-mild", 0.25, 12, "emergency-management"),
    "building": (1.0, "thaw", 0.15, 96, "housing-construction"),
    "ice-fall": (1.2, "thaw-ice", 0.30, 6, "emergency-management"),
    "electric": (1.5, "winter-mild", 0.10, 12, "emergency-management"),
    "noise": (4.5, "summer", 0.0, 24, "public-security"),
    "parking": (4.5, "", 0.0, 24, "traffic-police"),
    "pets": (2.0, "summer", 0.0, 36, "public-security"),
    "leak": (3.0, "winter-mild", 0.05, 30, "housing-construction"),
    "elderly": (2.5, "winter-mild", 0.02, 72, "civil-affairs"),
    "social-security": (2.5, "", 0.0, 96, "human-resources"),
    "assistance": (2.0, "winter-mild", 0.02, 96, "civil-affairs"),
    "employment": (1.5, "", 0.0, 120, "human-resources"),
    "permits": (1.2, "", 0.0, 96, "market-regulation"),
    "market-order": (1.5, "", 0.0, 72, "market-regulation"),
    "food-safety": (1.2, "summer", 0.05, 48, "market-regulation"),
    "wage-arrears": (1.5, "new-year", 0.0, 120, "human-resources"),
    "signals": (1.0, "", 0.10, 10, "traffic-police"),
    "bus": (1.2, "", 0.0, 72, "traffic-police"),
    "other-matter": (2.5, "", 0.0, 72, "petitions"),
}
# Departments that come to help the lead (协办), by lead department.
ASSISTING = {
    "urban-management": ["public-security", "housing-construction", "traffic-police"],
    "housing-construction": ["urban-management", "emergency-management", "market-regulation"],
    "emergency-management": ["housing-construction", "public-security"],
    "public-security": ["urban-management", "petitions"],
    "traffic-police": ["urban-management", "public-security"],
    "market-regulation": ["health", "urban-management"],
    "human-resources": ["petitions", "civil-affairs"],
    "civil-affairs": ["health", "human-resources"],
    "petitions": ["civil-affairs", "public-security"],
}
TITLES = {
    "garbage": ["小区垃圾桶满溢多日无人清运", "楼下垃圾站异味严重", "垃圾清运不及时，苍蝇多"],
    "snow": ["人行道积雪结冰，老人摔倒", "小区主路积雪未清", "楼门口冰面太滑，请撒融雪剂"],
    "sewage": ["下水道返水，污水流到路面", "化粪池外溢，味道很大"],
    "littering": ["楼道里堆满杂物", "绿地上乱堆建筑垃圾", "单元门口乱放废品"],
    "road": ["路面塌陷出现大坑", "开春化冻后道路破损严重", "小区路面坑洼积水"],
    "streetlight": ["路灯不亮，晚上出行不安全", "小区几盏路灯坏了", "路灯白天常亮"],
    "manhole": ["井盖丢失，有人掉进去的危险", "井盖破损松动"],
    "drainage": ["下雨后路面积水排不出去", "雨水井堵塞"],
    "heating": ["暖气不热，屋里只有十四度", "供暖不热，老人孩子受冻", "暖气片冰凉，请尽快来人",
                "家里温度达不到十八度"],
    "water-power-gas": ["停水一天了没有通知", "水管冻裂停水", "燃气压力低做不了饭", "单元停电"],
    "elevator": ["电梯停运，老人下不了楼", "电梯运行异响", "电梯经常困人"],
    "property-service": ["物业不作为，楼道卫生没人管", "物业乱收费", "单元门禁坏了没人修"],
    "fire": ["消防通道被占用", "楼道堆放易燃物", "灭火器过期"],
    "building": ["外墙皮脱落", "楼体出现裂缝", "阳台板开裂"],
    "ice-fall": ["屋檐冰溜子随时掉落", "楼顶冰挂很大，行人危险"],
    "electric": ["楼道私拉电线给电动车充电", "飞线充电，存在火灾隐患"],
    "noise": ["夜间施工噪音扰民", "广场舞音响声音太大", "楼下烧烤店深夜吵闹"],
    "parking": ["车辆堵住小区出口", "占用消防通道停车", "人行道上乱停车"],
    "pets": ["大型犬不拴绳", "邻居养狗整夜叫"],
    "leak": ["楼上漏水，天棚泡坏了", "卫生间漏水到楼下"],
    "elderly": ["独居老人需要助餐服务", "老人申请居家养老服务"],
    "social-security": ["医保报销问题咨询", "养老保险转移接续办不了"],
    "assistance": ["低保申请进度查询", "困难家庭冬季取暖救助"],
    "employment": ["失业人员求职登记", "就业培训报名咨询"],
    "permits": ["营业执照办理时间太长", "审批材料反复要求补充"],
    "market-order": ["商贩占道经营", "价格欺诈"],
    "food-safety": ["饭店卫生差", "超市出售过期食品"],
    "wage-arrears": ["工地拖欠农民工工资", "年底工资一直不发"],
    "signals": ["红绿灯不亮", "信号灯时间太短，老人过不去马路"],
    "bus": ["公交车间隔太长", "公交站牌损坏"],
    "other-matter": ["反映其他问题", "咨询社区事务办理"],
}
RESULTS = ["已到现场处理完毕，居民认可。", "已协调相关单位解决。", "已安排人员维修，恢复正常。",
           "经现场核实已整改到位。", "已清理完毕，并加强日常巡查。"]
REJECT_NOTES = {RejectReason.OUT_OF_SCOPE: "不属于本区管辖范围，已告知来电人向有关部门反映。",
                RejectReason.INVALID: "信息不全，多次联系未果。"}
ESCALATE_REASONS = ["社区力量无法解决，需要街道协调。", "涉及多个部门，需上级协调。", "需要执法力量介入。"]
SEND_BACK_REASONS = ["属于社区职责范围，请社区自行处置。", "上报依据不足，请先行处置。"]
RETURN_NOTES = ["现场核实问题未解决，请重新处置。"]
RATING_COMMENTS = {Rating.SATISFIED: ["处理很及时，谢谢！", "满意", ""], Rating.BASICALLY_SATISFIED: ["基本解决了", ""],
                   Rating.DISSATISFIED: ["问题没有解决", "处理敷衍"]}
# The share of a year's whistles by channel; hotline and patrol whistles are filed by staff.
CHANNEL_SHARES = [(Channel.WEB, 40), (Channel.WECHAT, 14), (Channel.HOTLINE, 10), (Channel.CITY_HOTLINE, 15),
                  (Channel.GRID_PATROL, 15), (Channel.OPEN311, 6)]
# Relative whistles per hour of the local day.
HOURLY = [0.15, 0.08, 0.05, 0.05, 0.06, 0.12, 0.35, 0.8, 1.4, 1.7, 1.6, 1.3, 0.9, 1.0, 1.4, 1.5, 1.3, 1.1,
          0.9, 1.0, 0.95, 0.7, 0.45, 0.25]

# How people behave (shares and median delays, seconds); the timers make the rest.
P_WITHDRAW = 0.015
P_REJECT = 0.04
P_ESCALATE = {Tier.COMMUNITY: 0.085, Tier.STREET: 0.13}
P_SEND_BACK = 0.08
P_UNJUSTIFIED = 0.6
P_ASSISTING = 0.3
P_RETURN = 0.03
P_RATE = 0.75
P_STALL = 0.004  # never solved: long overdue, supervised, still open
P_SUPPORT = 0.02
RATINGS = [(Rating.SATISFIED, 0.86), (Rating.BASICALLY_SATISFIED, 0.10), (Rating.DISSATISFIED, 0.04)]


def _season(kind: str, doy: int) -> float:
    """A multiplier of a category's base share on a day of the year (1 = 1 January)."""
    def bell(centre, width):
        distance = min(abs(doy - centre), 365 - abs(doy - centre))
        return math.exp(-(distance / width) ** 2)

    if kind == "heating":  # 20 October (doy 293) to 20 April (doy 110), peaking in early January
        if 110 < doy < 293:
            return 0.03
        return 0.4 + 3.0 * bell(5, 55)
    if kind == "winter":  # November to March
        if 90 < doy < 305:
            return 0.01
        return 0.3 + 2.6 * bell(15, 50)
    if kind == "thaw-ice":
        return 0.05 + 2.5 * bell(70, 25) + 0.6 * bell(10, 30)
    if kind == "thaw":
        return 0.6 + 1.8 * bell(100, 25)
    if kind == "summer":
        return 0.6 + 1.2 * bell(200, 45)
    if kind == "winter-mild":
        return 0.8 + 0.6 * bell(10, 60)
    if kind == "winter-light":
        return 0.7 + 0.8 * bell(355, 45)
    if kind == "new-year":  # wages before the Spring Festival
        return 0.6 + 2.0 * bell(30, 25)
    return 1.0


# Reference data -----------------------------------------------------------------------------------

@dataclass
class Summary:
    """What a run wrote, and how long each phase took (seconds)."""

    counts: dict = field(default_factory=dict)
    phases: dict = field(default_factory=dict)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


class Clock:
    """Times are integer seconds since the epoch (UTC); the district's days and its working-day
    calendar are worked out once per day."""

    def __init__(self, first_day: int, last_day: int, postgres: bool):
        calendar = working_calendar.WorkingCalendar()
        self.working = {}
        quiet = working_calendar.logger.disabled
        # Days after the end only time the deadlines of issues still open: a year the calendar library
        # does not know yet (Monday to Friday) is no news there.
        working_calendar.logger.disabled = True
        try:
            for day in range(first_day, last_day + 1):
                self.working[day] = calendar.is_working_day(date(1970, 1, 1) + timedelta(days=day))
        finally:
            working_calendar.logger.disabled = quiet
        self.working_days = [day for day in range(first_day, last_day + 1) if self.working[day]]
        self.postgres = postgres
        self._day_text = {}

    @staticmethod
    def local_day(ts: int) -> int:
        return (ts + LOCAL_OFFSET) // DAY

    def add_working_days(self, ts: int, days: int) -> int:
        """``dispatch.calendar.add_working_days``: the same local time on the days-th working day after."""
        local = ts + LOCAL_OFFSET
        day, seconds = divmod(local, DAY)
        position = bisect.bisect_right(self.working_days, day) + days - 1
        if days <= 0 or position >= len(self.working_days):
            return ts + days * DAY * 7 // 5
        return self.working_days[position] * DAY + seconds - LOCAL_OFFSET

    def _day(self, day: int) -> str:
        text = self._day_text.get(day)
        if text is None:
            text = self._day_text[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
        return text

    def db(self, ts):
        """The column value of a moment: text in UTC, as each database takes it."""
        if ts is None:
            return None
        day, seconds = divmod(ts, DAY)
        hours, rest = divmod(seconds, HOUR)
        suffix = "+00" if self.postgres else ""
        return f"{self._day(day)} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}{suffix}"

    def iso(self, ts, local=False):
        """``datetime.isoformat()`` of an aware moment, as the services put it in event data."""
        if ts is None:
            return None
        shifted = ts + (LOCAL_OFFSET if local else 0)
        day, seconds = divmod(shifted, DAY)
        hours, rest = divmod(seconds, HOUR)
        return f"{self._day(day)}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{'+08:00' if local else '+00:00'}"

    def local_text(self, ts) -> str:
        """``timezone.localtime(due).strftime("%Y-%m-%d %H:%M")``, as the accountability facts read."""
        day, seconds = divmod(ts + LOCAL_OFFSET, DAY)
        hours, rest = divmod(seconds, HOUR)
        return f"{self._day(day)} {hours:02d}:{rest // 60:02d}"


class Staff:
    """The accounts that act in the generated history: generated ones (``hist-``) for the
    communities, streets, command centre and departments, and the seeded grid staff."""

    def __init__(self):
        self.username = {}  # id → username, for the ``held_by`` of escalation events
        self.community = {}  # community id → staff account id
        self.street = {}
        self.department = {}  # department id → staff account id
        self.command_centre = []
        self.inspector = None
        self.patrol = {}  # grid id → the generated patrolling officer's account id
        self.intake_account = None
        self.grid_officers = {}  # grid id → [account ids]
        self.residents = []
        self.intake_client = None  # (client id, account id) of an active Open311 client, or None


class World:
    """Everything the generator looks up, loaded once."""

    def __init__(self, *, residents: int, rng: random.Random, progress):
        self.categories = {c.code: c for c in Category.objects.filter(parent__isnull=False, is_active=True)}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.department_code = {d.pk: d.code for d in self.departments.values()}
        self.streets = list(Street.objects.defer("boundary").order_by("code"))
        self.communities = {c.pk: c for c in Community.objects.defer("boundary").order_by("code")}
        self.grids = list(Grid.objects.order_by("code"))
        if not self.grids:
            raise ValueError("No grids: load the district first (python manage.py seed_demo).")
        self.grid_points = _grid_points(self.grids, rng)
        community_street = {c.pk: c.street_id for c in self.communities.values()}
        self.grid_place = {g.pk: (g.community_id, community_street[g.community_id]) for g in self.grids}
        # Some grids are busier than others: population × a lognormal temper.
        self.grid_weights = [max(g.population, 50) * rng.lognormvariate(0, 0.55) for g in self.grids]
        self.grid_cumulative = list(_cumulative(self.grid_weights))
        self.staff = _accounts(self, residents=residents, rng=rng, progress=progress)
        self._rules = {}
        for rule in DeadlineRule.objects.filter(active=True):
            self._rules[(rule.tier, rule.priority, rule.category_id)] = (rule.response_minutes,
                                                                         rule.resolution_working_days)
        self._deadlines = {}
        self._routes = {}

    def deadlines(self, tier, priority, category) -> tuple[int, int]:
        """(response seconds, resolution working days): ``dispatch.deadlines.rule_for``'s precedence."""
        key = (tier, priority, category.pk)
        found = self._deadlines.get(key)
        if found is None:
            for category_id in (category.pk, category.parent_id, None):
                found = self._rules.get((tier, priority, category_id))
                if found is not None:
                    break
            else:
                found = (settings.ISSUE_RESPONSE_MINUTES.get(priority, settings.ISSUE_RESPONSE_MINUTES["normal"]),
                         settings.ISSUE_RESOLUTION_DAYS.get(priority, settings.ISSUE_RESOLUTION_DAYS["normal"]))
            found = self._deadlines[key] = (found[0] * MINUTE, found[1])
        return found

    def route(self, category, priority, community_id, street_id) -> routing.Route:
        """The route ``issues.routing`` gives a new issue, once per category × priority × community."""
        key = (category.pk, priority, community_id)
        found = self._routes.get(key)
        if found is None:
            probe = Issue(category=category, priority=priority, community_id=community_id, street_id=street_id)
            found = self._routes[key] = routing.route(issue=probe)
        return found


def _grid_points(grids, rng, per_grid=48) -> dict:
    """Points inside each grid's boundary, to place whistles at."""
    import shapely
    from shapely.geometry import shape

    points = {}
    for grid in grids:
        polygon = shape(grid.boundary)
        minx, miny, maxx, maxy = polygon.bounds
        found = []
        for _attempt in range(20):
            xs = [rng.uniform(minx, maxx) for _point in range(per_grid * 2)]
            ys = [rng.uniform(miny, maxy) for _point in range(per_grid * 2)]
            inside = shapely.contains_xy(polygon, xs, ys)
            found += [(round(y, 6), round(x, 6)) for x, y, ok in zip(xs, ys, inside) if ok]
            if len(found) >= per_grid:
                break
        if not found:
            point = polygon.representative_point()
            found = [(round(point.y, 6), round(point.x, 6))]
        points[grid.pk] = found[:per_grid]
    return points


def _name(rng) -> str:
    return rng.choice(district_facts.SURNAMES) + "".join(
        rng.choice(district_facts.GIVEN) for _char in range(rng.randint(1, 2)))


def _phone(rng) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 10 ** 8 - 1):08d}"


def _accounts(world: World, *, residents: int, rng: random.Random, progress) -> Staff:
    """Create (once) the generated staff and as many generated residents as asked for; load the rest."""
    staff = Staff()
    wanted = []

    def account(username, role, full_name, **place):
        wanted.append(User(username=username, role=role, full_name=full_name, password="!" + uuid.UUID(
            int=rng.getrandbits(128)).hex, **place))

    for community in world.communities.values():
        account(f"{PREFIX}c{community.code}", Role.COMMUNITY_STAFF, f"{community.name}干部", community=community)
    for street in world.streets:
        account(f"{PREFIX}s{street.code}", Role.STREET_STAFF, f"{street.name}干部", street=street)
    district = world.streets[0].district_id
    for number in range(1, 4):
        account(f"{PREFIX}cc{number}", Role.COMMAND_CENTRE, f"区指挥中心值班员{number}", district_id=district)
    account(f"{PREFIX}inspector", Role.INSPECTOR, "区纪委监委干部", district_id=district)
    for department in world.departments.values():
        account(f"{PREFIX}d-{department.code}", Role.DEPARTMENT_STAFF, f"{department.short_name}干部",
                department=department)
    for grid in world.grids:  # the officer on patrol who files what they find (网格巡查)
        account(f"{PREFIX}g{grid.code}", Role.GRID_OFFICER, f"{grid.name}巡查员", grid_id=grid.pk,
                grid_duty=GridDuty.OFFICER)
    account(INTAKE_ACCOUNT, Role.INTAKE_CLIENT, INTAKE_NAME)
    for number in range(residents):
        account(f"{PREFIX}r{number:06d}", Role.RESIDENT, _name(rng), phone=_phone(rng))
    existing = set(User.objects.filter(username__startswith=PREFIX).values_list("username", flat=True))
    missing = [user for user in wanted if user.username not in existing]
    for start in range(0, len(missing), 5000):
        User.objects.bulk_create(missing[start:start + 5000], batch_size=1000)
    progress(len(missing))
    rows = User.objects.filter(username__startswith=PREFIX).values_list(
        "pk", "username", "role", "community_id", "street_id", "department_id")
    for pk, username, role, community_id, street_id, department_id in rows:
        staff.username[pk] = username
        if role == Role.COMMUNITY_STAFF:
            staff.community[community_id] = pk
        elif role == Role.STREET_STAFF:
            staff.street[street_id] = pk
        elif role == Role.COMMAND_CENTRE:
            staff.command_centre.append(pk)
        elif role == Role.INSPECTOR:
            staff.inspector = pk
        elif role == Role.DEPARTMENT_STAFF:
            staff.department[department_id] = pk
        elif role == Role.INTAKE_CLIENT:
            staff.intake_account = pk
        elif role == Role.RESIDENT and username[len(PREFIX) + 1:].isdigit() \
                and int(username[len(PREFIX) + 1:]) < residents:
            staff.residents.append(pk)
    staff.residents.sort()
    staff.command_centre.sort()
    officers = User.objects.filter(role=Role.GRID_OFFICER, is_active=True, grid__isnull=False).values_list(
        "pk", "username", "grid_id")
    for pk, username, grid_id in officers.order_by("pk"):
        staff.username[pk] = username
        if username.startswith(PREFIX):
            staff.patrol[grid_id] = pk
        else:  # the seeded grid staff handle what is dispatched to the grid
            staff.grid_officers.setdefault(grid_id, []).append(pk)
    client = IntakeClient.objects.filter(code=INTAKE_CODE).first()
    if client is None:
        client = IntakeClient.objects.create(name=INTAKE_NAME, code=INTAKE_CODE, account_id=staff.intake_account,
                                             api_key=PREFIX + uuid.UUID(int=rng.getrandbits(128)).hex)
    staff.intake_client = (client.pk, client.account_id)
    return staff


# The rows -----------------------------------------------------------------------------------------

def _columns(model, names):
    return [model._meta.get_field(name).column for name in names]


ISSUE_FIELDS = [
    "id", "number", "title", "description", "category", "channel", "intake_client", "intake_token", "attributes",
    "media_url", "priority", "lat", "lng", "address", "grid", "community", "street", "reporter", "reporter_name",
    "reporter_phone", "reporter_contact", "filed_by", "status", "owner_tier", "handler", "handler_department",
    "default_handler", "default_department", "response_due", "resolution_due", "escalated_from_tier",
    "escalated_at", "reject_reason", "merged_into", "result", "rating", "rating_comment", "reopen_count",
    "supporter_count", "created_at", "accepted_at", "dispatched_at", "responded_at", "resolved_at", "closed_at",
    "rated_at", "updated_at", "version", "idempotency_key",
]
EVENT_FIELDS = ["id", "issue", "action", "actor", "actor_role", "at", "from_status", "to_status", "note", "data"]
ENTRY_FIELDS = ["id", "issue", "tier", "community", "street", "state", "accepted_at", "accepted_by", "left_at"]
ASSIST_FIELDS = ["id", "issue", "department", "dispatched_at", "response_due", "responded_at", "report",
                 "reported_at", "released_at", "release_reason"]
ALERT_FIELDS = ["id", "issue", "assist", "kind", "due", "fired_at", "late_by"]
SUPPORTER_FIELDS = ["id", "issue", "user", "created_at"]
SUPERVISION_FIELDS = ["id", "issue", "source", "instruction", "supervisor", "due", "state", "created_by",
                      "created_at", "closed_at"]
RECORD_FIELDS = ["id", "issue", "kind", "event", "automatic", "tier", "community", "street", "department", "person",
                 "facts", "state", "outcome", "decision_note", "decided_by", "decided_at", "created_by",
                 "created_at", "dedupe_key", "issue_street_id"]
TABLES = [  # name, model, fields – in the order they are written (issues first, for the foreign keys)
    ("issues", Issue, ISSUE_FIELDS),
    ("events", IssueEvent, EVENT_FIELDS),
    ("entries", ProblemListEntry, ENTRY_FIELDS),
    ("assists", IssueAssist, ASSIST_FIELDS),
    ("alerts", DeadlineAlert, ALERT_FIELDS),
    ("supporters", IssueSupporter, SUPPORTER_FIELDS),
    ("supervision", SupervisionItem, SUPERVISION_FIELDS),
    ("accountability", AccountabilityRecord, RECORD_FIELDS),
]


class Ids:
    """Ids allocated here, from the tables' current maxima; the sequences are set after each chunk."""

    def __init__(self):
        self.next = {}
        with connection.cursor() as cursor:
            for name, model, _fields in TABLES:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"SELECT MAX(id) FROM {table}")
                self.next[name] = (cursor.fetchone()[0] or 0) + 1

    def take(self, name) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value

    def sync_sequences(self):
        if not _is_postgres():
            return  # SQLite's AUTOINCREMENT follows the largest id inserted
        with connection.cursor() as cursor:
            for _name, model, _fields in TABLES:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM "
                    f"{connection.ops.quote_name(table)}), 1), (SELECT MAX(id) IS NOT NULL FROM "
                    f"{connection.ops.quote_name(table)}))", [table])


def _write(name, rows):
    """Write one table's rows of a chunk: COPY on PostgreSQL, multi-row INSERTs elsewhere."""
    if not rows:
        return
    model, fields = next((model, fields) for table, model, fields in TABLES if table == name)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _columns(model, fields))
    with connection.cursor() as cursor:
        if _is_postgres():
            with cursor.connection.cursor() as raw, raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            width = len(fields)
            per_insert = max(1, 900 // width)  # SQLite's limit of bound variables per statement
            for start in range(0, len(rows), per_insert):
                batch = rows[start:start + per_insert]
                values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(batch))
                cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}",
                               [value for row in batch for value in row])


# The simulation -----------------------------------------------------------------------------------

_json = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for millions of events

class Story:
    """One issue as the services would have left it: its fields, and what it wrote on the way."""

    __slots__ = (
        "id", "number", "title", "description", "category", "channel", "intake_client", "intake_token", "priority",
        "lat", "lng", "address", "grid", "community", "street", "reporter", "reporter_name", "reporter_phone",
        "filed_by", "status", "owner_tier", "handler", "handler_department", "default_handler",
        "default_department", "response_due", "resolution_due", "escalated_from_tier", "escalated_at",
        "reject_reason", "merged_into", "result", "rating", "rating_comment", "reopen_count", "supporter_count",
        "created_at", "accepted_at", "dispatched_at", "responded_at", "resolved_at", "closed_at", "rated_at",
        "updated_at", "version", "entries", "assists", "timeline", "fired", "supervision", "flags", "last",
        "events", "stalled", "escalate_at", "no_escalation", "supporters", "lead_late",
    )


class Chunk:
    """One transaction's worth of issues: the rows of every table, built in memory."""

    def __init__(self):
        self.rows = {name: [] for name, _model, _fields in TABLES}


class Simulator:
    def __init__(self, world: World, clock: Clock, ids: Ids, rng: random.Random, now: int):
        self.world, self.clock, self.ids, self.rng, self.now = world, clock, ids, rng, now
        self.staff = world.staff
        self.chunk = None
        self.inspector = self.staff.inspector
        self.supervision_days = settings.SUPERVISION_OVERDUE_DAYS * DAY
        self.supervision_due_days = settings.SUPERVISION_DUE_WORKING_DAYS
        self.reopens_to_supervise = settings.SUPERVISION_REOPENED_TIMES
        self.reopens_to_account = getattr(settings, "ACCOUNTABILITY_DISSATISFIED_REOPENS", 2)
        self.tier_label = {tier: str(label) for tier, label in Tier.choices}
        self.department_id = {code: d.pk for code, d in world.departments.items()}
        self.channels = [c for c, _w in CHANNEL_SHARES if c != Channel.OPEN311 or self.staff.intake_client]
        self.channel_weights = list(_cumulative([w for c, w in CHANNEL_SHARES if c in self.channels]))
        self.transitions = {}
        self.postgres = clock.postgres

    # Events ---------------------------------------------------------------------------------------

    def _actor_role(self, actor):
        return self.roles.get(actor, "") if actor else ""

    def record(self, s: Story, action, actor, at, *, from_status, to_status, note="", data=None):
        event_id = self.ids.take("events")
        self.chunk.rows["events"].append((
            event_id, s.id, action, actor, self.roles.get(actor, "") if actor else "", self.clock.db(at),
            from_status, to_status, note, _json(data) if data else "{}"))
        s.events.append((at, to_status))
        s.last = max(s.last, at)
        self._receivers(s, action, event_id, actor, at, data or {}, note)
        return event_id

    def finish(self, s: Story, action, actor, at, *, note="", data=None):
        """``issues.services._finish``: the transition checked, the state moved, the version bumped."""
        transition = self.transitions.get((action, s.status))
        if transition is None:
            transition = self.transitions[(action, s.status)] = transition_for(action, s.status)
        from_status = s.status
        if transition.target is not None:
            s.status = transition.target
        s.version += 1
        s.updated_at = max(s.updated_at, at)
        return self.record(s, action, actor, at, from_status=from_status, to_status=s.status, note=note, data=data)

    def _receivers(self, s, action, event_id, actor, at, data, note):
        """What the supervision and accountability receivers write for an event."""
        if action in (Action.CLOSE, Action.REJECT, Action.WITHDRAW):
            if s.supervision is not None:
                s.supervision[6], s.supervision[9] = SupervisionState.CLOSED, self.clock.db(at)
                s.supervision = None
        elif action == Action.REOPEN:
            if s.reopen_count >= self.reopens_to_supervise:
                self._supervise(s, SupervisionSource.REOPENED, at, count=s.reopen_count)
            if s.reopen_count >= self.reopens_to_account:
                self._account(s, RecordKind.DISSATISFIED, event_id, at, self._handler_and_owner(s),
                              _("The resident rated the issue 不满意 %(count)s times; it is reopened again.")
                              % {"count": s.reopen_count})
        elif action == Action.DISPATCH and data.get("assisting"):
            self._supervise(s, SupervisionSource.MULTI_DEPARTMENT, at)
        elif action == Action.OVERDUE:
            self._from_overdue(s, event_id, at, data)
        elif action == Action.SEND_BACK and data.get("unjustified"):
            lower = data.get("to_tier") or s.owner_tier
            facts = _("The %(upper)s sent the issue back to the %(lower)s: the whistle upward was unjustified "
                      "(乱吹哨).") % {"upper": self.tier_label.get(data.get("from_tier", ""), ""),
                                    "lower": self.tier_label[lower]}
            if note:
                facts = f"{facts}\n{_('Reason: %(reason)s') % {'reason': note}}"
            self._account(s, RecordKind.FALSE_WHISTLE, event_id, at, self._unit(s, lower), facts)
        elif action == Action.RATE and data.get("rating") == Rating.SATISFIED and self._fast_all_along(s):
            self._account(s, RecordKind.COMMENDATION, event_id, at, self._handler_and_owner(s),
                          _("Reported for duty on time, resolved by the deadline and rated 满意: proposed for "
                            "commendation (通报表扬)."))

    def _fast_all_along(self, s):
        return (not s.reopen_count and s.resolved_at is not None and s.resolution_due is not None
                and s.resolved_at <= s.resolution_due and "responded" in s.flags and "late" not in s.flags)

    def _unit(self, s, tier):
        if tier == Tier.COMMUNITY:
            return (tier, s.community, None, None, None)
        if tier == Tier.STREET:
            return (tier, None, s.street, None, None)
        return (Tier.DISTRICT, None, None, None, None)

    def _handler_and_owner(self, s):
        tier, community, street, _d, _p = self._unit(s, s.owner_tier)
        return (tier, community, street, s.handler_department, s.handler)

    def _from_overdue(self, s, event_id, at, data):
        deadline, due = data["deadline"], self.clock.local_text(self._due_of_overdue)
        tier = data.get("tier") or s.owner_tier
        label = self.tier_label[tier]
        if deadline == "acceptance":
            kind, party = RecordKind.INACTION, self._unit(s, tier)
            facts = _("The %(tier)s did not accept the issue by its deadline %(due)s (不作为).") % {
                "tier": label, "due": due}
        elif deadline == "resolution":
            kind, party = RecordKind.SLOW, self._handler_and_owner(s)
            facts = _("The issue was not resolved by its resolution deadline %(due)s (慢作为).") % {"due": due}
        else:
            kind = RecordKind.NO_RESPONSE
            assisting = self.department_id.get(data.get("department") or "")
            if assisting is not None:
                party = ("", None, None, assisting, None)
                facts = _("The assisting department did not report for duty by %(due)s (接哨不报到).") % {"due": due}
            elif s.handler_department:
                party = ("", None, None, s.handler_department, None)
                facts = _("The department did not report for duty by %(due)s (接哨不报到).") % {"due": due}
            elif s.handler:
                party = self._handler_and_owner(s)
                facts = _("The handler did not report for duty by %(due)s (接哨不报到).") % {"due": due}
            else:
                party = self._unit(s, tier)
                facts = _("The %(tier)s did not take the whistle by %(due)s (接哨不报到).") % {"tier": label, "due": due}
        self._account(s, kind, event_id, at, party, facts)

    def _account(self, s, kind, event_id, at, party, facts):
        """An accountability candidate (``dispatch.accountability.record_from_event``); the inspector has
        decided most of those older than a fortnight."""
        tier, community, street, department, person = party
        state, outcome, note, decided_by, decided_at = RecordState.CANDIDATE, "", "", None, None
        if self.now - at > 14 * DAY and self.rng.random() < 0.8 and self.inspector:
            decided_by, decided_at = self.inspector, at + self.rng.randint(DAY, 10 * DAY)
            if kind == RecordKind.COMMENDATION:
                state, outcome = RecordState.CONFIRMED, Outcome.COMMENDATION
            elif self.rng.random() < 0.35:
                state, note = RecordState.DISMISSED, "情况属实但有客观原因，不予问责。"
            else:
                state = RecordState.CONFIRMED
                outcome = self.rng.choice([Outcome.TALK, Outcome.TALK, Outcome.CRITICISM, Outcome.ACCOUNTABILITY])
        self.chunk.rows["accountability"].append((
            self.ids.take("accountability"), s.id, kind, event_id, True, tier, community, street, department,
            person, facts, state, outcome, note, decided_by, self.clock.db(decided_at), None, self.clock.db(at),
            f"event:{event_id}:{kind}", s.street))

    def _supervise(self, s, source, at, **params):
        """``dispatch.supervision._auto_open``: an open issue without an open item goes on the list."""
        if s.status not in OPEN_STATUSES or s.supervision is not None:
            return
        instruction = _(AUTO_INSTRUCTIONS[source]) % (params or {"days": settings.SUPERVISION_OVERDUE_DAYS})
        due = self.clock.add_working_days(at, self.supervision_due_days)
        item_id = self.ids.take("supervision")
        row = [item_id, s.id, source, instruction, None, self.clock.db(due), SupervisionState.OPEN, None,
               self.clock.db(at), None]
        self.chunk.rows["supervision"].append(row)
        s.supervision = row
        self.record(s, Action.SUPERVISE, None, at, from_status=s.status, to_status=s.status, note=instruction,
                    data={"supervision": item_id, "step": "open", "source": source,
                          "due": self.clock.iso(due, local=True)})

    # Deadlines and the timers ---------------------------------------------------------------------

    def response_due(self, s, start):
        return start + self.world.deadlines(s.owner_tier, s.priority, s.category)[0]

    def resolution_due(self, s, start):
        return self.clock.add_working_days(start, self.world.deadlines(s.owner_tier, s.priority, s.category)[1])

    def _clocks(self, s):
        """The running clocks, as ``dispatch.timers`` finds them: (due, kind, start, assist row)."""
        clocks = []
        if s.status in RESPONSE_CLOCK_STATUSES and s.response_due is not None:
            start = (s.created_at if s.status == Status.SUBMITTED
                     else s.escalated_at if s.status == Status.ESCALATED else s.dispatched_at)
            clocks.append((s.response_due, "response", start, None))
        if s.status in OPEN_STATUSES and s.resolution_due is not None:
            entry = s.entries.get(s.owner_tier)
            clocks.append((s.resolution_due, "resolution", entry[6] if entry else s.accepted_at, None))
        if s.status in (Status.DISPATCHED, Status.RESPONDED):
            for assist in s.assists.values():
                if assist[5] is None and assist[4] is not None:
                    clocks.append((assist[4], "assist", assist[3], assist))
        return clocks

    def advance(self, s: Story, until: int) -> bool:
        """Run the timers up to ``until`` (the next step): reminders, overdue marks, automatic whistles
        and the supervision sweep. True when the timers moved the issue on (the step is void)."""
        rng = self.rng
        while True:
            best = None
            # A clock runs since the issue's last step at the earliest (a reopened issue's old deadline
            # fires at the first sweep after the reopening); past its deadline the overdue mark wins.
            since = s.last
            for due, kind, start, assist in self._clocks(s):
                key = (kind, due, assist[0] if assist else 0)
                if key not in s.fired:
                    fire = max(due, since) + rng.randint(1, 59)
                    remind = None
                    if start is not None and start < due and ("r",) + key not in s.fired:
                        point = max(start + (due - start) * 3 // 4, since)
                        remind = point + rng.randint(1, 59) if point < due else None
                    if remind is not None and remind < min(fire, until):
                        if best is None or remind < best[0]:
                            best = (remind, "remind", kind, due, assist)
                    elif fire < until and (best is None or fire < best[0]):
                        best = (fire, "overdue", kind, due, assist)
                if kind != "assist" and ("s", due) not in s.fired and s.supervision is None:
                    sweep = max(due + self.supervision_days, since) + rng.randint(60, HOUR)
                    if sweep < until and (best is None or sweep < best[0]):
                        best = (sweep, "supervise", kind, due, None)
            if best is None:
                return False
            at, what, kind, due, assist = best
            if what == "supervise":
                s.fired.add(("s", due))
                self._supervise(s, SupervisionSource.OVERDUE, at)
                continue
            key = (kind, due, assist[0] if assist else 0)
            alert_kind = {("remind", "resolution"): AlertKind.RESOLUTION_REMINDER,
                          ("overdue", "resolution"): AlertKind.RESOLUTION_OVERDUE}.get(
                (what, kind), AlertKind.RESPONSE_REMINDER if what == "remind" else AlertKind.RESPONSE_OVERDUE)
            s.fired.add(("r",) + key)
            if what == "remind":
                self._alert(s, alert_kind, due, at, assist)
                continue
            s.fired.add(key)
            self._alert(s, alert_kind, due, at, assist)
            s.flags.add("late")
            self._due_of_overdue = due
            if kind == "resolution":
                self.finish(s, Action.OVERDUE, None, at, data={
                    "deadline": "resolution", "due": self.clock.iso(due), "tier": s.owner_tier, "department": None})
            elif kind == "assist":
                self.finish(s, Action.OVERDUE, None, at, data={
                    "deadline": "response", "due": self.clock.iso(due), "tier": s.owner_tier,
                    "department": self.world.department_code[assist[2]]})
            else:
                taking = s.status in (Status.SUBMITTED, Status.ESCALATED)
                self.finish(s, Action.OVERDUE, None, at, data={
                    "deadline": "acceptance" if taking else "response", "due": self.clock.iso(due),
                    "tier": s.owner_tier, "department": None})
                if s.status in (Status.DISPATCHED, Status.ESCALATED) and s.owner_tier in TIER_ABOVE:
                    reason = _("Nobody reported for duty by %(due)s (接哨不报到): whistled up automatically.") % {
                        "due": self.clock.local_text(due)}
                    self.hand_up(s, Action.AUTO_ESCALATE, None, at, reason)
                    return True

    def _alert(self, s, kind, due, at, assist):
        self.chunk.rows["alerts"].append((
            self.ids.take("alerts"), s.id, assist[0] if assist else None, kind, self.clock.db(due),
            self.clock.db(at), self._duration(at - due) if at > due else None))

    def _duration(self, seconds):
        return f"{seconds} seconds" if self.postgres else seconds * 1_000_000

    # The services ---------------------------------------------------------------------------------

    def list_enter(self, s, actor, at):
        entry = s.entries.get(s.owner_tier)
        if entry is None:
            tier = s.owner_tier
            entry = [self.ids.take("entries"), s.id, tier, s.community if tier == Tier.COMMUNITY else None,
                     s.street if tier == Tier.STREET else None, EntryState.OPEN, at, actor, None]
            s.entries[tier] = entry
        else:
            entry[5], entry[8] = EntryState.OPEN, None
        return entry

    def list_leave(self, s, tier, state, at):
        entry = s.entries.get(tier)
        if entry is not None:
            entry[5], entry[8] = state, at

    def accept(self, s, actor, at):
        s.accepted_at = s.accepted_at or at
        s.resolution_due = self.resolution_due(s, at)
        s.response_due = None
        self.list_enter(s, actor, at)
        self.finish(s, Action.ACCEPT, actor, at, data={"tier": s.owner_tier,
                                                        "resolution_due": self.clock.iso(s.resolution_due, True)})

    def dispatch(self, s, actor, at, *, handler=None, department=None, assisting=()):
        s.handler, s.handler_department, s.dispatched_at = handler, department, at
        s.timeline = {}
        s.response_due = self.response_due(s, at)
        for helper in assisting:
            row = s.assists.get(helper)
            if row is None:
                row = s.assists[helper] = [self.ids.take("assists"), s.id, helper, at, s.response_due, None, "",
                                           None]
            else:
                row[3:8] = [at, s.response_due, None, "", None]
        self.finish(s, Action.DISPATCH, actor, at, data={
            "handler": self.staff.username.get(handler) if handler else None,
            "department": self.world.department_code[department] if department else None,
            "assisting": [self.world.department_code[helper] for helper in assisting],
            "response_due": self.clock.iso(s.response_due)})

    def respond(self, s, actor, at):
        s.responded_at = at
        on_time = s.response_due is None or at <= s.response_due
        s.flags.add("responded")
        if not on_time:
            s.flags.add("late")
        self.finish(s, Action.RESPOND, actor, at, data={"on_time": bool(on_time)})

    def hand_up(self, s, action, actor, at, note):
        lower, upper = s.owner_tier, TIER_ABOVE[s.owner_tier]
        held = {"handler": self.staff.username.get(s.handler) if s.handler else None,
                "department": self.world.department_code[s.handler_department] if s.handler_department else None}
        self.list_leave(s, lower, EntryState.ESCALATED, at)
        s.owner_tier, s.escalated_from_tier, s.escalated_at = upper, lower, at
        s.escalate_at = None
        s.no_escalation.add(lower)
        s.handler = s.handler_department = None
        s.responded_at = s.resolved_at = None
        s.resolution_due = None
        s.timeline = {}
        s.response_due = self.response_due(s, at)
        self.finish(s, action, actor, at, note=note, data={
            "from_tier": lower, "to_tier": upper, "response_due": self.clock.iso(s.response_due), "held_by": held})

    def send_back(self, s, actor, at, unjustified):
        upper, lower = s.owner_tier, s.escalated_from_tier or Tier.COMMUNITY
        s.owner_tier, s.escalated_from_tier = lower, ""
        s.handler = s.handler_department = None
        s.response_due = None
        entry = self.list_enter(s, None, at)
        s.resolution_due = self.resolution_due(s, entry[6])
        s.no_escalation.add(lower)
        self.finish(s, Action.SEND_BACK, actor, at, note=self.rng.choice(SEND_BACK_REASONS), data={
            "from_tier": upper, "to_tier": lower, "unjustified": bool(unjustified),
            "resolution_due": self.clock.iso(s.resolution_due, True)})

    def reopen(self, s, at):
        s.reopen_count += 1
        s.dispatched_at = at
        s.timeline = {}
        s.response_due = self.response_due(s, at)
        s.responded_at = s.resolved_at = s.closed_at = None
        entry = s.entries.get(s.owner_tier)
        if entry is not None:
            entry[5], entry[8] = EntryState.OPEN, None
        self.finish(s, Action.REOPEN, None, at, note=str(_("Reopened: the resident is not satisfied.")),
                    data={"reopen_count": s.reopen_count})

    # People and times -----------------------------------------------------------------------------

    def owner(self, s):
        if s.owner_tier == Tier.COMMUNITY:
            return self.staff.community[s.community]
        if s.owner_tier == Tier.STREET:
            return self.staff.street[s.street]
        return self.rng.choice(self.staff.command_centre)

    def pick_handler(self, s):
        """(person, department, assisting departments) the owning tier dispatches to."""
        rng = self.rng
        officers = self.staff.grid_officers.get(s.grid)
        if s.owner_tier == Tier.DISTRICT:
            lead = s.default_department or self.department_id.get(CATEGORY_PROFILES.get(
                s.category.code, (0, "", 0, 0, "petitions"))[4]) or self.department_id.get("petitions")
            if lead is None:
                return self.rng.choice(self.staff.command_centre), None, ()
            assisting = ()
            if rng.random() < P_ASSISTING:
                code = self.world.department_code[lead]
                pool = [self.department_id[c] for c in ASSISTING.get(code, []) if c in self.department_id]
                if pool:
                    assisting = tuple(rng.sample(pool, min(len(pool), rng.choice((1, 1, 2)))))
            return None, lead, assisting
        if s.owner_tier == Tier.STREET and rng.random() < 0.6 or not officers:
            return (self.staff.street[s.street] if s.owner_tier == Tier.STREET else self.staff.community[s.community]), \
                None, ()
        if rng.random() < 0.12:
            return self.staff.community[s.community], None, ()
        return rng.choice(officers), None, ()

    def handler_account(self, s):
        return s.handler if s.handler else self.staff.department[s.handler_department]

    def delay(self, median, sigma=0.8):
        return max(30, int(median * self.rng.lognormvariate(0, sigma)))

    def daytime(self, at):
        """Residents and verifying staff act in the daytime: a night moment moves to the morning."""
        hour = ((at + LOCAL_OFFSET) % DAY) // HOUR
        if hour >= 22:
            return at + (31 - hour) * HOUR + self.rng.randint(0, 2 * HOUR)
        if hour < 7:
            return at + (7 - hour) * HOUR + self.rng.randint(0, 2 * HOUR)
        return at

    # One issue ------------------------------------------------------------------------------------

    def live(self, s: Story, originals: dict):
        """Walk the issue from its filing to where it stands now."""
        rng = self.rng
        urgent = s.priority == Priority.URGENT
        self.submit(s)
        fate = rng.random()
        fate = "withdraw" if fate < P_WITHDRAW else "reject" if fate < P_WITHDRAW + P_REJECT else ""
        median_resolve = CATEGORY_PROFILES.get(s.category.code, (0, "", 0, 48, ""))[3] * HOUR
        t = s.created_at
        for _step in range(60):
            status = s.status
            action = None
            if status == Status.SUBMITTED:
                if fate == "withdraw" and s.reporter:
                    at, action = t + rng.randint(5 * MINUTE, 6 * HOUR), "withdraw"
                else:
                    at = t + self.delay(8 * MINUTE if urgent else 20 * MINUTE, 0.8)
                    action = "reject" if fate else "accept"
            elif status == Status.ACCEPTED:
                if s.owner_tier in TIER_ABOVE and s.owner_tier not in s.no_escalation and s.escalate_at is None \
                        and rng.random() < P_ESCALATE[s.owner_tier]:
                    s.escalate_at = rng.choice((Status.ACCEPTED, Status.DISPATCHED, Status.RESPONDED))
                if s.escalate_at == Status.ACCEPTED:
                    at, action = t + self.delay(2 * HOUR), "escalate"
                else:
                    at, action = t + self.delay(4 * MINUTE if urgent else 12 * MINUTE, 1.0), "dispatch"
            elif status in (Status.DISPATCHED, Status.RESPONDED):
                at, action = self._handler_step(s, t, urgent, median_resolve)
            elif status == Status.RESOLVED:
                at = self.daytime(t + self.delay(3 * HOUR, 1.0))
                action = "return" if rng.random() < P_RETURN else "close"
            elif status == Status.CLOSED:
                if not s.reporter or "rated" in s.flags or rng.random() > P_RATE:
                    break
                at, action = self.daytime(t + self.delay(16 * HOUR, 1.0)), "rate"
            elif status == Status.ESCALATED:
                at = t + self.delay(10 * MINUTE if urgent else 30 * MINUTE, 0.8)
                action = "send_back" if rng.random() < P_SEND_BACK and s.escalated_from_tier else "accept"
            else:
                break  # rejected, withdrawn
            if at > self.now:
                self.advance(s, self.now)
                break
            if self.advance(s, at):
                t = s.last
                continue
            t = at
            self._act(s, action, at, originals)
        self._finish_story(s)

    def _handler_step(self, s, t, urgent, median_resolve):
        """The next thing done on a dispatched or responded issue: an assisting department reports for
        duty or its part, the lead reports for duty or resolves (once every part is in), or the owner
        whistles up. Each is planned once (``s.timeline``) and the earliest goes first."""
        rng, plan = self.rng, s.timeline
        candidates = []
        reports_done = 0
        for department, assist in s.assists.items():
            dispatched, due = assist[3], assist[4]
            if assist[5] is None:
                key = ("assist_respond", department)
                if key not in plan:
                    allowed = due - dispatched
                    plan[key] = (due + rng.randint(10 * MINUTE, 6 * HOUR) if rng.random() < 0.08
                                 else dispatched + min(self.delay(allowed // 3, 0.6), allowed - 30))
                candidates.append((plan[key], ("assist_respond", assist)))
            elif assist[7] is None:
                key = ("assist_report", department)
                if key not in plan:
                    plan[key] = assist[5] + self.delay(median_resolve * 0.6)
                candidates.append((plan[key], ("assist_report", assist)))
            else:
                reports_done = max(reports_done, assist[7])
        waiting = any(assist[7] is None for assist in s.assists.values())
        if s.status == Status.DISPATCHED:
            if s.escalate_at == Status.DISPATCHED:
                plan.setdefault("escalate", s.dispatched_at + self.delay(HOUR))
                candidates.append((plan["escalate"], "escalate"))
            else:
                if "respond" not in plan:
                    allowed = s.response_due - s.dispatched_at if s.response_due else 2 * HOUR
                    plan["respond"] = s.dispatched_at + (
                        allowed + rng.randint(MINUTE, 3 * HOUR) if rng.random() < 0.03
                        else min(self.delay(allowed // 3, 0.6), allowed - 30))
                candidates.append((plan["respond"], "respond"))
        elif s.escalate_at == Status.RESPONDED:
            plan.setdefault("escalate", s.responded_at + self.delay(3 * HOUR))
            candidates.append((plan["escalate"], "escalate"))
        elif not waiting:
            if "resolve" not in plan:
                plan["resolve"] = s.responded_at + (rng.randint(20, 200) * DAY if s.stalled
                                                    else self.delay(median_resolve, 0.75))
            candidates.append((max(plan["resolve"], reports_done + self.delay(30 * MINUTE)), "resolve"))
        at, action = min(candidates, key=lambda candidate: candidate[0])
        return max(at, t + 1), action

    def _act(self, s, action, at, originals):
        rng = self.rng
        if isinstance(action, tuple):
            action, assist = action
            department_actor = self.staff.department[assist[2]]
            if action == "assist_respond":
                assist[5] = at
                on_time = assist[4] is None or at <= assist[4]
                if not on_time:
                    s.flags.add("late")
                self.finish(s, Action.ASSIST_RESPOND, department_actor, at, data={
                    "department": self.world.department_code[assist[2]], "on_time": on_time})
            else:
                assist[6], assist[7] = "已完成本部门职责范围内的工作。", at
                self.finish(s, Action.ASSIST_REPORT, department_actor, at, note=assist[6], data={
                    "department": self.world.department_code[assist[2]]})
            return
        if action == "accept":
            self.accept(s, self.owner(s), at)
        elif action == "withdraw":
            self.finish(s, Action.WITHDRAW, s.reporter, at)
        elif action == "reject":
            self.reject(s, at, originals)
        elif action == "dispatch":
            handler, department, assisting = self.pick_handler(s)
            self.dispatch(s, self.owner(s), at, handler=handler, department=department, assisting=assisting)
        elif action == "respond":
            self.respond(s, self.handler_account(s), at)
        elif action == "resolve":
            s.result = rng.choice(RESULTS)
            s.resolved_at = at
            self.finish(s, Action.RESOLVE, self.handler_account(s), at, note=s.result)
        elif action == "close":
            s.closed_at = at
            self.list_leave(s, s.owner_tier, EntryState.CROSSED_OFF, at)
            self.finish(s, Action.CLOSE, self.owner(s), at)
        elif action == "return":
            note = rng.choice(RETURN_NOTES)
            owner = self.owner(s)
            s.dispatched_at = at
            s.timeline = {}
            s.response_due = self.response_due(s, at)
            s.responded_at = s.resolved_at = None
            self.finish(s, Action.RETURN, owner, at, note=note)
        elif action == "rate":
            weights = RATINGS if not s.reopen_count else [(Rating.SATISFIED, 0.6), (Rating.BASICALLY_SATISFIED, 0.25),
                                                           (Rating.DISSATISFIED, 0.15)]
            roll, rating = rng.random(), Rating.SATISFIED
            for value, share in weights:
                if roll < share:
                    rating = value
                    break
                roll -= share
            if s.reopen_count >= 3 and rating == Rating.DISSATISFIED:
                rating = Rating.BASICALLY_SATISFIED
            comment = rng.choice(RATING_COMMENTS[rating])
            s.rating, s.rating_comment, s.rated_at = rating, comment, at
            self.finish(s, Action.RATE, s.reporter, at, note=comment, data={"rating": rating})
            if rating == Rating.DISSATISFIED:
                self.reopen(s, at)
            else:
                s.flags.add("rated")
        elif action == "escalate":
            self.hand_up(s, Action.ESCALATE, self.owner(s), at, rng.choice(ESCALATE_REASONS))
        elif action == "send_back":
            self.send_back(s, self.owner(s), at, rng.random() < P_UNJUSTIFIED)

    def submit(self, s):
        route = self.world.route(s.category, s.priority, s.community, s.street)
        s.owner_tier, s.default_handler = str(route.owner_tier), str(route.default_handler)
        s.default_department = route.default_department_id
        s.response_due = self.response_due(s, s.created_at)
        data = {"channel": s.channel, "grid": self.grid_code[s.grid], "owner_tier": s.owner_tier,
                "default_handler": s.default_handler, "rule": route.rule_id}
        if s.intake_client:
            data["intake_client"] = self.intake_client_code
        self.record(s, Action.SUBMIT, s.filed_by, s.created_at, from_status="", to_status=Status.SUBMITTED, data=data)

    def reject(self, s, at, originals):
        """A duplicate merges into an open issue of the same category in the grid, when there is one."""
        rng = self.rng
        original = originals.get((s.grid, s.category.pk))
        actor = self.owner(s)
        reason = rng.choice((RejectReason.DUPLICATE, RejectReason.DUPLICATE, RejectReason.OUT_OF_SCOPE,
                             RejectReason.INVALID))
        status = _status_at(original, at) if original is not None else None
        if reason == RejectReason.DUPLICATE and status not in SUPPORTABLE:
            reason = RejectReason.OUT_OF_SCOPE
        s.reject_reason = reason
        data = {"reason": reason}
        if reason == RejectReason.DUPLICATE:
            s.merged_into = original.id
            data["merged_into"] = original.number
            if s.reporter and s.reporter not in original.supporters and s.reporter != original.reporter:
                original.supporters[s.reporter] = at
            original.supporter_count += 1
            self.record(original, Action.SUPPORT, actor, at, from_status=status, to_status=status,
                        data={"merged": s.number})
            note = ""
        else:
            note = REJECT_NOTES[reason]
        self.finish(s, Action.REJECT, actor, at, note=note, data=data)

    def _finish_story(self, s):
        """The issue's own rows, now that it stands where it stands."""
        rows, db = self.chunk.rows, self.clock.db
        for entry in s.entries.values():
            rows["entries"].append((*entry[:6], db(entry[6]), entry[7], db(entry[8])))
        for assist in s.assists.values():
            rows["assists"].append((*assist[:3], db(assist[3]), db(assist[4]), db(assist[5]), assist[6],
                                    db(assist[7]), None, ""))  # the generated history releases nobody

    # Writing ---------------------------------------------------------------------------------------

    def issue_row(self, s):
        db = self.clock.db
        return (
            s.id, s.number, s.title, s.description, s.category.pk, s.channel, s.intake_client, s.intake_token, "{}",
            "", s.priority, s.lat, s.lng, s.address, s.grid, s.community, s.street, s.reporter, s.reporter_name,
            s.reporter_phone, "{}", s.filed_by, s.status, s.owner_tier, s.handler, s.handler_department,
            s.default_handler, s.default_department, db(s.response_due), db(s.resolution_due), s.escalated_from_tier,
            db(s.escalated_at), s.reject_reason, s.merged_into, s.result, s.rating, s.rating_comment, s.reopen_count,
            s.supporter_count, db(s.created_at), db(s.accepted_at), db(s.dispatched_at), db(s.responded_at),
            db(s.resolved_at), db(s.closed_at), db(s.rated_at), db(s.updated_at), s.version, None)


def _cumulative(weights):
    total = 0.0
    for weight in weights:
        total += weight
        yield total


# The generator --------------------------------------------------------------------------------------

def history_generate(
    *, issues: int, days: int = 365, seed: int = 2020, batch: int = 50_000, end: datetime | None = None,
    progress: Callable[[str, int, int], None] = lambda phase, done, total: None,
) -> Summary:
    """Generate ``issues`` issues filed over the ``days`` days before ``end`` (default: now), with
    their timelines, problem-list entries, assisting departments, alerts, supervision items and
    accountability candidates; then rebuild the dashboard facts (``stats.aggregates.facts_rebuild``)
    when that exists. ``progress(phase, done, total)`` is told how far each phase is. Returns the
    counts written and the seconds each phase took."""
    if issues < 1 or days < 1 or batch < 1:
        raise ValueError("issues, days and batch must be positive")
    summary = Summary()
    started = time.perf_counter()
    rng = random.Random(seed)
    end = end or timezone.now()
    now = int(end.timestamp())
    first_day = Clock.local_day(now) - days + 1
    postgres = _is_postgres()
    with translation.override(settings.LANGUAGE_CODE):
        residents = max(50, min(200_000, issues // 8))
        progress("accounts", 0, 1)
        world = World(residents=residents, rng=rng, progress=lambda made: summary.counts.__setitem__(
            "accounts created", made))
        progress("accounts", 1, 1)
        clock = Clock(first_day - 2, Clock.local_day(now) + 120, postgres)
        summary.phases["accounts"] = time.perf_counter() - started

        phase = time.perf_counter()
        plan = _day_plan(world, clock, rng, issues=issues, first_day=first_day, now=now)
        ids = Ids()
        sim = Simulator(world, clock, ids, rng, now)
        sim.roles = dict(User.objects.filter(Q(username__startswith=PREFIX) | Q(role=Role.GRID_OFFICER))
                         .values_list("pk", "role"))
        for client_account in [world.staff.intake_client[1]] if world.staff.intake_client else []:
            sim.roles[client_account] = Role.INTAKE_CLIENT
        sim.grid_code = {g.pk: g.code for g in world.grids}
        sim.intake_client_code = (IntakeClient.objects.filter(pk=world.staff.intake_client[0])
                                  .values_list("code", flat=True).first() if world.staff.intake_client else None)
        existing = dict(DailySequence.objects.filter(
            day__gte=date(1970, 1, 1) + timedelta(days=first_day)).values_list("day", "last"))
        totals = {name: 0 for name, _m, _f in TABLES}
        sequences = {}
        done = 0
        progress("issues", 0, issues)
        writer = _Writer(threaded=postgres and not connection.in_atomic_block, ids=ids, totals=totals,
                         summary=summary)
        for chunk_days in _chunks(plan, batch):
            simulating = time.perf_counter()
            sim.chunk = Chunk()
            originals, chunk_stories = {}, []
            for day, count in chunk_days:
                day_date = date(1970, 1, 1) + timedelta(days=day)
                offset = existing.get(day_date, 0)
                stories = _file_day(sim, world, rng, day, count, now, offset, day_date)
                for story in stories:
                    sim.live(story, originals)
                    originals[(story.grid, story.category.pk)] = story
                if stories:
                    sequences[day_date] = offset + len(stories)
                chunk_stories += stories
            for story in chunk_stories:
                _supporters(sim, story, rng, now)
            sim.chunk.rows["issues"].extend(sim.issue_row(story) for story in chunk_stories)
            for story in chunk_stories:
                for user, at in story.supporters.items():
                    sim.chunk.rows["supporters"].append((ids.take("supporters"), story.id, user, clock.db(at)))
            done += len(chunk_stories)
            summary.phases["simulate"] = summary.phases.get("simulate", 0) + time.perf_counter() - simulating
            writer.put(sim.chunk, dict(sequences))
            sequences.clear()
            del chunk_stories, originals
            sim.chunk = None
            progress("issues", done, issues)
        writer.close()
        summary.phases["issues"] = time.perf_counter() - phase
        summary.counts.update(totals)

    phase = time.perf_counter()
    progress("facts", 0, 1)
    rebuilt = _facts_rebuild()
    progress("facts", 1, 1)
    if rebuilt is not None:
        summary.phases["facts"] = time.perf_counter() - phase
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Rows written by COPY have no statistics and an empty visibility map until autovacuum comes by:
        # until then the work queue of a 1M history takes 180 ms instead of 27 (index scans fetch the heap).
        phase = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        summary.phases["vacuum"] = time.perf_counter() - phase
    summary.phases["total"] = time.perf_counter() - started
    return summary


class _Writer:
    """Writes each chunk in its own transaction. On PostgreSQL (outside a caller's transaction) a second
    thread with its own connection does it, so the database takes one chunk in while the next one is
    made: the two cores work at once."""

    def __init__(self, *, threaded, ids, totals, summary):
        self.ids, self.totals, self.summary, self.failure = ids, totals, summary, None
        self.thread = None
        if threaded:
            import queue
            import threading

            self.queue = queue.Queue(maxsize=1)
            self.thread = threading.Thread(target=self._run, name="generate_history-writer", daemon=True)
            self.thread.start()

    def put(self, chunk, sequences):
        if self.thread is None:
            self._write(chunk, sequences)
            return
        if self.failure is not None:
            raise self.failure
        self.queue.put((chunk, sequences))

    def close(self):
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            if self.failure is not None:
                raise self.failure

    def _run(self):
        from django.db import connection as own

        try:
            while True:
                item = self.queue.get()
                if item is None:
                    return
                if self.failure is None:
                    self._write(*item)
        except BaseException as failure:  # handed to the main thread, which raises it
            self.failure = failure
            while self.queue.get() is not None:  # let the producer finish its puts
                pass
        finally:
            own.close()

    def _write(self, chunk, sequences):
        started = time.perf_counter()
        with transaction.atomic():
            for name, _model, _fields in TABLES:
                _write(name, chunk.rows[name])
                self.totals[name] += len(chunk.rows[name])
            self.ids.sync_sequences()
            _sequences_save(sequences)
        self.summary.phases["write"] = self.summary.phases.get("write", 0) + time.perf_counter() - started


def _day_plan(world, clock, rng, *, issues, first_day, now):
    """How many issues each local day gets: the seasons of its categories, weekdays over days off."""
    last_day = Clock.local_day(now)
    weights, category_weights = [], {}
    codes = [code for code in CATEGORY_PROFILES if code in world.categories]
    codes += [code for code in world.categories if code not in CATEGORY_PROFILES]
    for day in range(first_day, last_day + 1):
        day_date = date(1970, 1, 1) + timedelta(days=day)
        doy = day_date.timetuple().tm_yday
        per_category = [CATEGORY_PROFILES.get(code, (1.0, ""))[0] * _season(CATEGORY_PROFILES.get(code, (1, ""))[1], doy)
                        for code in codes]
        factor = (1.1 if day_date.weekday() == 0 else 1.0) if clock.working[day] else 0.72
        if day == last_day:  # today: up to now
            factor *= ((now + LOCAL_OFFSET) % DAY) / DAY
        category_weights[day] = (codes, list(_cumulative(per_category)))
        weights.append(sum(per_category) * factor)
    total = sum(weights)
    counts = [issues * weight / total for weight in weights]
    whole = [int(count) for count in counts]
    # The remainders go to the days with the largest ones (ties broken by the seeded generator).
    short = issues - sum(whole)
    order = sorted(range(len(counts)), key=lambda i: (whole[i] - counts[i], rng.random()))
    for i in order[:short]:
        whole[i] += 1
    world.category_weights = category_weights
    return [(first_day + i, count) for i, count in enumerate(whole)]


def _chunks(plan, batch):
    chunk, size = [], 0
    for day, count in plan:
        chunk.append((day, count))
        size += count
        if size >= batch:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


HOURLY_CUMULATIVE = list(_cumulative(HOURLY))


def _file_day(sim, world, rng, day, count, now, offset, day_date):
    """The day's issues, in the order they were filed, numbered after the day's existing numbers."""
    if not count:
        return []
    staff = world.staff
    codes, cumulative = world.category_weights[day]
    day_start = day * DAY - LOCAL_OFFSET
    moments = []
    for _moment in range(count):
        hour = bisect.bisect_left(HOURLY_CUMULATIVE, rng.random() * HOURLY_CUMULATIVE[-1])
        moment = day_start + min(hour, 23) * HOUR + rng.randrange(HOUR)
        moments.append(moment)
    moments.sort()
    if moments[-1] > now:  # today: squeeze into the time that has passed
        span = max(1, now - day_start - 60)
        moments = sorted(day_start + (m - day_start) * span // DAY for m in moments)
    grids = rng.choices(world.grids, cum_weights=world.grid_cumulative, k=count)
    stories = []
    prefix = f"{settings.ISSUE_NUMBER_PREFIX}-{day_date:%Y%m%d}-"
    for number, (moment, grid) in enumerate(zip(moments, grids), start=offset + 1):
        code = codes[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]
        category = world.categories[code]
        profile = CATEGORY_PROFILES.get(code, (1.0, "", 0.0, 48, "petitions"))
        s = Story()
        s.id = sim.ids.take("issues")
        s.number = f"{prefix}{number:04d}"
        s.category = category
        s.priority = Priority.URGENT if rng.random() < profile[2] else Priority.NORMAL
        s.title = rng.choice(TITLES.get(code, [category.name]))
        s.grid = grid.pk
        s.community, s.street = world.grid_place[grid.pk]
        s.lat, s.lng = rng.choice(world.grid_points[grid.pk])
        s.address = f"{grid.name}{rng.randint(1, 40)}号楼{rng.randint(1, 6)}单元"
        s.description = f"{s.title}。地点：{s.address}。"
        channel = sim.channels[bisect.bisect_left(sim.channel_weights, rng.random() * sim.channel_weights[-1])]
        local_hour = ((moment + LOCAL_OFFSET) % DAY) // HOUR
        if channel == Channel.GRID_PATROL and not (8 <= local_hour < 18 and grid.pk in staff.patrol):
            channel = Channel.WECHAT
        s.channel = channel
        s.intake_client = s.intake_token = None
        s.reporter, s.reporter_name, s.reporter_phone = None, "", ""
        if channel == Channel.WEB:
            s.reporter = s.filed_by = rng.choice(staff.residents)
        elif channel == Channel.OPEN311:
            s.intake_client, s.filed_by = staff.intake_client
            # Unique across runs: the issue's id is in the low bits.
            s.intake_token = uuid.UUID(int=(rng.getrandbits(64) << 64) | s.id, version=4).hex
            s.reporter_name, s.reporter_phone = _name(rng), _phone(rng)
        elif channel == Channel.GRID_PATROL:
            s.filed_by = staff.patrol[grid.pk]
        elif channel == Channel.WECHAT:
            s.filed_by = staff.community[s.community]
            s.reporter_name = _name(rng)
        else:  # the district's hotline and the city's 12345: an operator files for the caller
            s.filed_by = rng.choice(staff.command_centre)
            s.reporter_name, s.reporter_phone = _name(rng), _phone(rng)
        s.created_at = s.updated_at = s.last = moment
        s.status, s.version = Status.SUBMITTED, 1
        s.handler = s.handler_department = s.default_department = None
        s.response_due = s.resolution_due = s.escalated_at = None
        s.escalated_from_tier = s.reject_reason = s.result = s.rating = s.rating_comment = ""
        s.merged_into = None
        s.reopen_count = s.supporter_count = 0
        s.accepted_at = s.dispatched_at = s.responded_at = s.resolved_at = s.closed_at = s.rated_at = None
        s.entries, s.assists, s.fired, s.flags, s.events, s.timeline = {}, {}, set(), set(), [], {}
        s.supervision, s.escalate_at, s.no_escalation, s.supporters = None, None, set(), {}
        s.stalled = rng.random() < P_STALL
        stories.append(s)
    return stories


def _supporters(sim, s, rng, now):
    """Now and then other residents met the same problem (我也遇到了) while it was open."""
    if rng.random() >= P_SUPPORT or s.status in (Status.REJECTED, Status.WITHDRAWN):
        return
    end = min(s.closed_at or s.last, now)
    if s.accepted_at is None or end <= s.accepted_at:
        return
    for _voice in range(rng.randint(1, 3)):
        user = rng.choice(sim.staff.residents)
        at = rng.randint(s.accepted_at, end - 1)
        if user == s.reporter or user in s.supporters:
            continue
        status = _status_at(s, at)
        if status not in SUPPORTABLE:
            continue
        s.supporters[user] = at
        s.supporter_count += 1
        sim.record(s, Action.SUPPORT, user, at, from_status=status, to_status=status)


SUPPORTABLE = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.RESPONDED, Status.ESCALATED})


def _status_at(s, at):
    """The issue's state at a moment, from the events written for it."""
    status = None
    for moment, to_status in s.events:
        if moment > at:
            break
        status = to_status or status
    return status


def _sequences_save(sequences: dict):
    """The day counters continue after the last generated number, so later filings never collide."""
    if not sequences:
        return
    table = connection.ops.quote_name(DailySequence._meta.db_table)
    with connection.cursor() as cursor:
        for day, last in sequences.items():
            cursor.execute(
                f"INSERT INTO {table} (day, last) VALUES (%s, %s) "
                f"ON CONFLICT (day) DO UPDATE SET last = CASE WHEN {table}.last > excluded.last "
                f"THEN {table}.last ELSE excluded.last END", [day, last])
    sequences.clear()


def _sequences_rewind():
    """After a clear, each day's counter goes back to the last number still in use that day, so that a
    new run with the same seed numbers its issues as the first one did."""
    width = len(settings.ISSUE_NUMBER_PREFIX) + 1
    last = {}
    for number in Issue.objects.values_list("number", flat=True).iterator():
        try:
            day = datetime.strptime(number[width:width + 8], "%Y%m%d").date()
            last[day] = max(last.get(day, 0), int(number[width + 9:]))
        except ValueError:
            continue
    DailySequence.objects.exclude(day__in=list(last)).delete()
    for day, value in last.items():
        DailySequence.objects.filter(day=day, last__gt=value).update(last=value)


def _facts_rebuild():
    """``stats.aggregates.facts_rebuild()`` when the dashboards' facts exist; None otherwise."""
    try:
        from stats import aggregates
    except ImportError:
        return None
    rebuild = getattr(aggregates, "facts_rebuild", None)
    return rebuild() if rebuild is not None else None


# Clearing ------------------------------------------------------------------------------------------

def history_clear(*, progress: Callable[[str, int, int], None] = lambda phase, done, total: None) -> dict:
    """Remove what ``history_generate`` made: the issues filed by ``hist-`` accounts with every row that
    hangs on them, then the ``hist-`` accounts nothing else refers to. Issues of other accounts (the demo
    accounts') stay. On PostgreSQL, when every issue is generated, the issue tables are emptied with
    TRUNCATE; otherwise rows are deleted with ``session_replication_role = replica`` for the transaction,
    which lets the append-only trigger of the events pass (it needs a superuser). Returns the counts."""
    counts = {}
    generated = Issue.objects.filter(filed_by__username__startswith=PREFIX)
    with transaction.atomic():
        total = generated.count()
        progress("clear", 0, 1)
        others = Issue.objects.exclude(filed_by__username__startswith=PREFIX).exists()
        dependants = _dependants(Issue)
        with connection.cursor() as cursor:
            if _is_postgres() and not others and not _rows_apart(dependants):
                tables = [Issue._meta.db_table] + [model._meta.db_table for model, _path in dependants]
                for model, _path in dependants:
                    counts[model._meta.label] = model.objects.count()
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending deferred checks
                cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in dict.fromkeys(tables)))
            else:
                if _is_postgres():
                    cursor.execute("SET LOCAL session_replication_role = replica")
                issue_table = connection.ops.quote_name(Issue._meta.db_table)
                user_table = connection.ops.quote_name(User._meta.db_table)
                ids_sql = (f"SELECT i.id FROM {issue_table} i JOIN {user_table} u ON u.id = i.filed_by_id "
                           f"WHERE u.username LIKE %s")
                # Other issues merged into a generated one lose the link, not their row.
                cursor.execute(f"UPDATE {issue_table} SET merged_into_id = NULL WHERE merged_into_id IN ({ids_sql}) "
                               f"AND id NOT IN ({ids_sql})", [PREFIX + "%", PREFIX + "%"])
                for model, path in reversed(dependants):
                    sql, params = _nested_ids(path, ids_sql)
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"DELETE FROM {table} WHERE {sql}", params + [PREFIX + "%"])
                    counts[model._meta.label] = counts.get(model._meta.label, 0) + max(cursor.rowcount, 0)
                cursor.execute(f"DELETE FROM {issue_table} WHERE merged_into_id IS NOT NULL AND id IN ({ids_sql})",
                               [PREFIX + "%"])
                cursor.execute(f"DELETE FROM {issue_table} WHERE id IN ({ids_sql})", [PREFIX + "%"])
                if _is_postgres():
                    cursor.execute("SET LOCAL session_replication_role = origin")
        counts[Issue._meta.label] = total
        IntakeClient.objects.filter(account__username__startswith=PREFIX, issues__isnull=True).delete()
        counts["accounts"] = _accounts_clear()
        _sequences_rewind()
    progress("clear", 1, 1)
    _facts_rebuild()
    return counts


def _rows_apart(dependants) -> bool:
    """Whether a table that TRUNCATE would empty holds rows that hang on no issue (a notification about
    no issue, say): then the rows are deleted instead."""
    chains = {}
    for model, chain in dependants:
        chains.setdefault(model, []).append(chain)
    with connection.cursor() as cursor:
        for model, paths in chains.items():
            if any(all(not fk.null for _m, fk in chain) for chain in paths):
                continue  # every row hangs on an issue
            nulls = " AND ".join(f"{connection.ops.quote_name(chain[0][1].column)} IS NULL" for chain in paths)
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(model._meta.db_table)} "
                           f"WHERE {nulls})")
            if cursor.fetchone()[0]:
                return True
    return False


def _dependants(model, path=()):
    """Every model that refers to ``model`` (directly or through others), with the chain of foreign
    keys from it up to ``model``; parents before their children."""
    found = []
    for relation in model._meta.related_objects:
        if relation.many_to_many or not relation.field.concrete:
            continue
        child = relation.related_model
        if child is model:
            continue  # merged_into: handled by the caller
        chain = ((child, relation.field),) + path
        found.append((child, chain))
        if len(chain) < 4:
            found += _dependants(child, chain)
    # The m2m tables of a dependant (a meeting's attendees do not hang on issues) are left alone.
    return found


def _nested_ids(chain, ids_sql):
    """A WHERE clause selecting the rows of ``chain[0]``'s model whose chain of keys ends in the issues."""
    (model, fk), *rest = chain
    column = connection.ops.quote_name(fk.column)
    if not rest:
        return f"{column} IN ({ids_sql})", []
    inner, params = _nested_ids(tuple(rest), ids_sql)
    parent = rest[0][0]
    table = connection.ops.quote_name(parent._meta.db_table)
    return f"{column} IN (SELECT id FROM {table} WHERE {inner})", params


def _accounts_clear() -> int:
    """Delete the generated accounts that no remaining row refers to."""
    user_table = connection.ops.quote_name(User._meta.db_table)
    guards = []
    for relation in User._meta.related_objects:
        field_ = relation.field
        if relation.many_to_many:
            through = relation.through if hasattr(relation, "through") else None
            if through is None:
                continue
            model = through
            columns = [f.column for f in model._meta.fields if isinstance(f, models.ForeignKey)
                       and f.related_model is User]
        elif field_.concrete:
            model, columns = relation.related_model, [field_.column]
        else:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        for column in columns:
            guards.append(f"NOT EXISTS (SELECT 1 FROM {table} r WHERE r.{connection.ops.quote_name(column)} = u.id)")
    for field_ in User._meta.many_to_many:
        through = field_.remote_field.through
        columns = [f.column for f in through._meta.fields if isinstance(f, models.ForeignKey)
                   and f.related_model is User]
        table = connection.ops.quote_name(through._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {columns[0]} IN (SELECT id FROM {user_table} "
                           f"WHERE username LIKE %s)", [PREFIX + "%"])
    where = " AND ".join(guards) or "TRUE"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {user_table} WHERE id IN (SELECT u.id FROM {user_table} u "
                       f"WHERE u.username LIKE %s AND {where})", [PREFIX + "%"])
        return max(cursor.rowcount, 0)


