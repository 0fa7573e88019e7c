"""The monthly evaluation report (每月一评): every street's, community's or department's figures for a
month and its weighted score, ranked – as a printable page (``templates/stats/evaluation.html``) and as
an .xlsx workbook (through ``jianhua.exports``, like every other table the product exports).

The rows are ``kpis.ranking``'s, the very function /api/v1/stats/ranking/ answers with, so the page,
the workbook and the API agree on every number; the weights are the setting ``EVALUATION_WEIGHTS``.
"""
import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import District
from jianhua import exports as tables

from . import kpis

# The rates that make the score, in the order the report shows them.
COMPONENTS = (
    ("response_rate", gettext_lazy("Response rate")),
    ("resolution_rate", gettext_lazy("Resolution rate")),
    ("on_time_resolution_rate", gettext_lazy("On-time resolution rate")),
    ("satisfaction_rate", gettext_lazy("Satisfaction rate")),
)
COUNTS = (
    ("received", gettext_lazy("Received")),
    ("accepted", gettext_lazy("Accepted")),
    ("solved", gettext_lazy("Solved")),
    ("closed", gettext_lazy("Closed")),
    ("rated", gettext_lazy("Rated")),
    ("unrated", gettext_lazy("Unrated")),
)
LEVEL_LABELS = {"street": gettext_lazy("Street"), "community": gettext_lazy("Community"),
                "department": gettext_lazy("Department")}
PERCENT = "0.0%"


@dataclass(frozen=True)
class Weight:
    name: str
    label: str
    weight: float
    share: float  # of all the weights, 0–1

    @property
    def percent(self) -> float:
        return 100 * self.share


@dataclass(frozen=True)
class EvaluationReport:
    month: datetime.date  # its first day
    level: str  # street, community, department
    district: str
    rows: list[dict] = field(default_factory=list)
    weights: list[Weight] = field(default_factory=list)

    @property
    def title(self) -> str:
        """建华区 2026年10月 吹哨报到 工作评价."""
        return _("%(district)s · Whistle and report for duty · Work evaluation %(month)s/%(year)s") % {
            "district": self.district, "year": self.month.year, "month": self.month.month}

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])

    @property
    def table_rows(self) -> list[dict]:
        """The rows with their rates as percentages (0–100, None for "—"), in the weights' order."""
        def percent(value):
            return None if value is None else 100 * value

        return [{**row, "components": [percent(row.get(w.name)) for w in self.weights],
                 "reopen_percent": percent(row["reopen_rate"])} for row in self.rows]

    @property
    def weights_text(self) -> str:
        """响应率 30%，解决率 30%，…: each weight as its share of them all."""
        return _(", ").join(f"{w.label} {w.share:.0%}" for w in self.weights if w.weight)


def evaluation_weights() -> list[Weight]:
    weights = kpis.evaluation_weights()
    total = sum(w for w in weights.values() if w) or 1
    labels = dict(COMPONENTS)
    return [Weight(name, str(labels.get(name, name)), weight, weight / total) for name, weight in weights.items()]


def evaluation_report(*, month: datetime.date, level: str, scope: kpis.Scope) -> EvaluationReport:
    """The ranked rows of ``level`` for ``month`` that ``scope`` may see (ranks are the district's).
    Three queries: the district's name and kpis.ranking's two."""
    district = District.objects.only("name").first()
    rows = kpis.ranking(month, level=level, scope=scope)
    return EvaluationReport(month=month.replace(day=1), level=level, district=district.name if district else "",
                            rows=rows, weights=evaluation_weights())


def _columns(report: EvaluationReport) -> list[tables.Column]:
    shares = {w.name: w.share for w in report.weights}
    columns = [
        tables.Column(gettext_lazy("Rank"), lambda r: r["rank"], 6),
        tables.Column(report.level_label, lambda r: r["name"], 24),
        tables.Column(gettext_lazy("Code"), lambda r: r["code"], 14),
        tables.Column(gettext_lazy("Score"), lambda r: r["score"], 9, number_format="0.00"),
    ]
    for name, label in COMPONENTS:
        header = _("%(rate)s (weight %(share)s)") % {"rate": label, "share": f"{shares.get(name, 0):.0%}"}
        columns.append(tables.Column(header, lambda r, name=name: r[name], 16, number_format=PERCENT))
    columns.append(tables.Column(gettext_lazy("Reopen rate"), lambda r: r["reopen_rate"], 12, number_format=PERCENT))
    for name, label in COUNTS:
        columns.append(tables.Column(label, lambda r, name=name: r[name], 9))
    return columns


def evaluation_xlsx(report: EvaluationReport, file) -> None:
    """The report as an .xlsx workbook: Chinese headers (the active language), the header row frozen,
    rates as real percentages, the score to two decimals."""
    tables.write_xlsx(_columns(report), report.rows, file, title=f"{report.month:%Y-%m} {report.level_label}")


def evaluation_download(report: EvaluationReport):
    return tables.download(_columns(report), report.rows, "xlsx", filename=f"{report.title}.xlsx",
                           fallback=f"evaluation-{report.level}-{report.month:%Y-%m}.xlsx",
                           title=f"{report.month:%Y-%m} {report.level_label}")
