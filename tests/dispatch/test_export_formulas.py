"""A resident's text never becomes a formula in a staff spreadsheet (OWASP "CSV injection"): the
problem, supervision and accountability lists export formula-like titles as plain text, in CSV and
in .xlsx alike."""
import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from dispatch import supervision
from issues import services as issue_services
from issues.lifecycle import Status
from jianhua.exports import csv_safe

HOSTILE_TITLES = ['=HYPERLINK("http://evil.example/","点击查看")', "=1+1", "+86 垃圾", "-2+3 路灯", "@SUM(A1)",
                  "\t=1+1", "\r=1+1"]


def _csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"), newline="")))


def _xlsx(response):
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as package:
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
    return load_workbook(io.BytesIO(body)).active, sheet_xml


def test_formula_like_text_gets_an_apostrophe_and_other_values_stay():
    assert [csv_safe(t) for t in HOSTILE_TITLES] == ["'" + t for t in HOSTILE_TITLES]
    assert csv_safe("垃圾堆了三天 = 没人清") == "垃圾堆了三天 = 没人清"
    assert csv_safe(-3) == -3 and csv_safe(2.5) == 2.5 and csv_safe("") == ""


@pytest.fixture
def hostile_issues(file_issue):
    return [file_issue(title=title) for title in HOSTILE_TITLES]


def _assert_neutralised(csv_rows, sheet, sheet_xml, title_column, issues):
    stored = [issue.title for issue in issues]  # the filing strips leading tabs and line breaks itself
    assert all(title.startswith(("=", "+", "-", "@")) for title in stored)
    assert sorted(row[title_column] for row in csv_rows[1:]) == sorted("'" + title for title in stored)
    cells = [sheet.cell(row=r, column=title_column + 1) for r in range(2, sheet.max_row + 1)]
    assert sorted(cell.value for cell in cells) == sorted(stored)  # the text as the resident typed it
    assert all(cell.data_type == "s" for cell in cells)
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere in the sheet


def test_the_problem_list_exports_hostile_titles_as_text(signed_in, hostile_issues, community_staff):
    for issue in hostile_issues:
        issue_services.issue_accept(issue=issue, actor=community_staff)
    client = signed_in(community_staff)
    base = f"/lists/community/{community_staff.community.code}/"
    rows = _csv_rows(client.get(base + "?format=csv"))
    sheet, xml = _xlsx(client.get(base + "?format=xlsx"))
    _assert_neutralised(rows, sheet, xml, title_column=1, issues=hostile_issues)


def test_the_supervision_list_exports_hostile_titles_as_text(signed_in, hostile_issues, command_centre, advance):
    for issue in hostile_issues:
        issue = advance(issue, Status.ACCEPTED)
        supervision.supervision_open(issue=issue, actor=command_centre, instruction="=限期办结",
                                     supervisor=command_centre, due=None)
    client = signed_in(command_centre)
    rows = _csv_rows(client.get("/supervision/?format=csv"))
    title_column = rows[0].index("标题")
    sheet, xml = _xlsx(client.get("/supervision/?format=xlsx"))
    _assert_neutralised(rows, sheet, xml, title_column=title_column, issues=hostile_issues)
    assert {row[8] for row in rows[1:]} == {"'=限期办结"}  # the instruction, as in the export test


def test_the_accountability_list_exports_hostile_reasons_as_text(signed_in, file_issue, inspector, community_staff,
                                                                 street_staff):
    issue = issue_services.issue_accept(issue=file_issue(title="=1+1"), actor=community_staff)
    issue = issue_services.issue_escalate(issue=issue, actor=community_staff, reason="=HYPERLINK(\"http://x\")")
    issue_services.issue_send_back(issue=issue, actor=street_staff, reason="@社区可自行解决", unjustified=True)
    client = signed_in(inspector)
    rows = _csv_rows(client.get("/accountability/?format=csv"))
    assert len(rows) == 2
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in rows[1])
    sheet, xml = _xlsx(client.get("/accountability/?format=xlsx"))
    assert "<f>" not in xml and "<f " not in xml
    texts = {cell.value for cell in sheet[2] if isinstance(cell.value, str)}
    assert "=1+1" in texts  # the title, as typed, as text
