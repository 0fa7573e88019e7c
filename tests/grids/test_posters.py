"""The grid posters (扫码吹哨): the QR code a resident scans, the link it holds, the A4 poster and
printing a whole community's or street's posters from the admin and the command line."""
import base64
import io
import json
import re
import zlib

import pytest
import zxingcpp
from django.core.management import CommandError, call_command
from django.db.models import Count
from PIL import Image
from shapely.affinity import scale

from grids.boundaries import to_geojson, to_shape
from grids.models import Community, Grid, GridDuty, User
from grids.posters import grid_posters_pdf
from grids.selectors import grid_poster_list

pytestmark = pytest.mark.django_db

SITE_URL = "https://jianhua.example.gov.cn"


@pytest.fixture(autouse=True)
def public_address(settings):
    settings.SITE_URL = SITE_URL + "/"  # a trailing slash must not double up in the link


@pytest.fixture
def grid(grid_officer):
    """东市场社区第1网格, with its community and street."""
    return Grid.objects.select_related("community__street").get(pk=grid_officer.grid_id)


@pytest.fixture
def leader(grid):
    return User.objects.get(grid=grid, grid_duty=GridDuty.LEADER)


# Reading a PDF back, without a PDF library: its streams, its pages, its text and its images ----------

STREAM = re.compile(rb"<<(?P<dict>(?:(?!>>\s*stream).)*)>>\s*stream\r?\n(?P<data>.*?)endstream", re.S)


def streams(pdf: bytes):
    """(dictionary, decoded data) of each stream; reportlab writes ASCII85 and Flate."""
    for match in STREAM.finditer(pdf):
        dictionary, data = match["dict"], match["data"]
        if b"/ASCII85Decode" in dictionary:
            data = base64.a85decode(data.strip().removesuffix(b"~>"), adobe=False)
        if b"/FlateDecode" in dictionary:
            data = zlib.decompressobj().decompress(data)  # whatever follows the compressed data is not its
        yield dictionary, data


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


LITERAL = re.compile(rb"\((?P<text>(?:\\.|[^\\)])*)\)\s*Tj", re.S)
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def page_texts(pdf: bytes) -> list[str]:
    """The text drawn on the pages. Every string is in STSong-Light (UCS-2, big-endian)."""
    texts = []
    for dictionary, data in streams(pdf):
        if b"/Subtype /Image" in dictionary:
            continue
        for match in LITERAL.finditer(data):
            raw = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: ESCAPES.get(m[1], bytes([int(m[1], 8)]) if m[1][:1].isdigit()
                                                                      else m[1]), match["text"], flags=re.S)
            texts.append(raw.decode("utf-16-be"))
    return texts


def page_images(pdf: bytes) -> list[Image.Image]:
    images = []
    for dictionary, data in streams(pdf):
        if b"/Subtype /Image" not in dictionary:
            continue
        width, height = (int(re.search(rb"/%s (\d+)" % key, dictionary)[1]) for key in (b"Width", b"Height"))
        mode = "L" if b"/DeviceGray" in dictionary else "RGB"
        images.append(Image.frombytes(mode, (width, height), data))
    return images


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


# The QR code and its link ----------------------------------------------------------------------------

def test_the_qr_code_holds_the_grids_short_link_under_site_url(client, grid):
    response = client.get(f"/grids/{grid.code}/qr.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and min(image.size) >= 800, "big enough to print sharp"
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [f"{SITE_URL}/g/{grid.code}"]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].ec_level in ("Q", "H"), "at least M: a poster on a notice board gets dirty"


def test_scanning_as_the_demo_resident_opens_the_filing_page_on_the_grid(client, signed_in, resident, grid):
    link = decoded(Image.open(io.BytesIO(client.get(f"/grids/{grid.code}/qr.png").content)))[0]
    path = link.removeprefix(SITE_URL)
    response = signed_in(resident).get(path, follow=True)
    assert response.redirect_chain == [(f"/whistle/new/?grid={grid.code}", 302)]
    page = response.content.decode()
    assert f'id="linked-grid" class="linked-grid" data-grid="{grid.code}"' in page
    assert grid.name in page and grid.community.name in page
    assert f'name="grid" value="{grid.code}"' in page
    config = map_config(page)
    inside = to_shape(grid.boundary).representative_point()
    assert config["center"] == [pytest.approx(inside.y), pytest.approx(inside.x)] and config["zoom"] >= 15
    assert config["linkedGrid"]["code"] == grid.code and config["linkedGrid"]["boundary"] == grid.boundary


def map_config(page: str) -> dict:
    return json.loads(re.search(r'<script id="whistle-config" type="application/json">(.*?)</script>', page, re.S)[1])


def test_a_visitor_who_is_not_signed_in_gets_the_filing_page_of_the_grid_and_confirms_the_phone_there(client, grid):
    response = client.get(f"/g/{grid.code}", follow=True)
    assert response.redirect_chain == [(f"/whistle/new/?grid={grid.code}", 302)]
    page = response.content.decode()
    assert response.status_code == 200 and f'name="grid" value="{grid.code}"' in page
    assert 'id="phone-confirm"' in page and 'id="send-code"' in page and 'href="/privacy/"' in page
    config = map_config(page)
    assert config["linkedGrid"]["code"] == grid.code
    assert config["phoneConfirm"]["codeUrl"] == "/accounts/phone/code.json" and config["canSupport"] is False


def test_the_link_still_opens_the_grid_after_its_boundary_is_edited(signed_in, resident, grid):
    shrunk = to_geojson(scale(to_shape(grid.boundary), xfact=0.5, yfact=0.5))
    grid.boundary = shrunk
    grid.full_clean()
    grid.save()
    response = signed_in(resident).get(f"/g/{grid.code}", follow=True)
    config = map_config(response.content.decode())
    assert config["linkedGrid"]["boundary"] == shrunk
    inside = to_shape(shrunk).representative_point()
    assert config["center"] == [pytest.approx(inside.y), pytest.approx(inside.x)]


@pytest.mark.parametrize("path", ["/g/{code}", "/grids/{code}/poster.pdf", "/grids/{code}/qr.png"])
def test_an_unknown_grid_is_not_found(client, path):
    response = client.get(path.format(code="230203999999999"))
    assert response.status_code == 404


# The poster ---------------------------------------------------------------------------------------------

def test_the_poster_is_one_a4_page_in_chinese_with_the_grid_its_people_and_the_code(client, grid, leader):
    response = client.get(f"/grids/{grid.code}/poster.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="poster-{grid.code}.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and page_count(pdf) == 1
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf, "A4"
    assert b"/BaseFont /STSong-Light" in pdf and b"/FontFile" not in pdf, "the reader's own CJK font, none embedded"
    text = "\n".join(page_texts(pdf))
    assert "扫码吹哨" in text
    assert grid.name in text and grid.code in text
    assert grid.community.name in text and grid.community.street.name in text
    assert leader.full_name and f"网格长：{leader.full_name}" in text
    assert grid.community.phone.startswith("0452-") and grid.community.phone in text
    assert f"{SITE_URL}/g/{grid.code}" in text, "the link in words, for those who type it"
    [qr] = page_images(pdf)
    assert decoded(qr) == [f"{SITE_URL}/g/{grid.code}"]


def test_a_grid_without_a_leader_or_a_community_phone_still_gets_its_poster(client, grid, leader):
    User.objects.filter(pk=leader.pk).update(is_active=False)
    Community.objects.filter(pk=grid.community_id).update(phone="")
    text = "\n".join(page_texts(client.get(f"/grids/{grid.code}/poster.pdf").content))
    assert leader.full_name not in text and "网格长：待配备" in text
    assert "社区电话" not in text and grid.name in text


def test_a_communitys_posters_are_one_page_a_grid_in_code_order_read_in_one_query(
        grid, django_assert_num_queries):
    community = grid.community
    with django_assert_num_queries(1):
        grids = list(grid_poster_list(Grid.objects.filter(community=community)))
        pdf = grid_posters_pdf(grids)
    codes = list(community.grids.order_by("code").values_list("code", flat=True))
    assert len(codes) > 10 and page_count(pdf) == len(codes)
    texts = page_texts(pdf)
    assert [code for code in codes if f"网格编码：{code}" in texts] == codes
    order = [texts.index(f"网格编码：{code}") for code in codes]
    assert order == sorted(order)


# Printing many at once --------------------------------------------------------------------------------

def test_the_command_prints_a_community_a_street_and_single_grids(tmp_path, grid):
    community, street = grid.community, grid.community.street
    output = tmp_path / "posters.pdf"
    out = io.StringIO()
    call_command("grid_posters", "--community", community.code, "-o", str(output), stdout=out)
    grids_in_community = community.grids.count()
    assert page_count(output.read_bytes()) == grids_in_community
    assert f"Wrote {grids_in_community} pages" in out.getvalue()

    call_command("grid_posters", "--street", street.code, "--output", str(output), stdout=io.StringIO())
    assert page_count(output.read_bytes()) == Grid.objects.filter(community__street=street).count()

    other = Grid.objects.exclude(community=community).order_by("code").first()
    call_command("grid_posters", "--grid", other.code, "--grid", grid.code, "-o", str(output), stdout=io.StringIO())
    texts = page_texts(output.read_bytes())
    assert page_count(output.read_bytes()) == 2
    assert texts.index(f"网格编码：{grid.code}") < texts.index(f"网格编码：{other.code}"), "code order"


@pytest.mark.parametrize("option, message", [
    ("--community", "No community has the code 230203002999."),
    ("--street", "No street has the code 230203002999."),
    ("--grid", "No grid has the code 230203002999."),
])
def test_the_command_names_an_unknown_code(tmp_path, option, message):
    output = tmp_path / "posters.pdf"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("grid_posters", option, "230203002999", "-o", str(output))
    assert not output.exists()


def test_the_command_wants_to_be_told_what_to_print(tmp_path):
    with pytest.raises(CommandError, match="--street, --community or --grid"):
        call_command("grid_posters", "-o", str(tmp_path / "posters.pdf"))


@pytest.mark.parametrize("model", ["community", "street", "grid"])
def test_the_admin_prints_the_posters_of_the_selection(signed_in, grid_admin, grid, model):
    selected = {"community": [grid.community], "street": [grid.community.street],
                "grid": list(Grid.objects.filter(community=grid.community).order_by("code")[:3])}[model]
    expected = {"community": grid.community.grids.count(),
                "street": Grid.objects.filter(community__street=grid.community.street).count(), "grid": 3}[model]
    client = signed_in(grid_admin)
    changelist = client.get(f"/admin/grids/{model}/")
    assert 'value="print_posters"' in changelist.content.decode()
    response = client.post(f"/admin/grids/{model}/", {
        "action": "print_posters", "_selected_action": [obj.pk for obj in selected]})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert page_count(response.content) == expected


def test_the_community_phone_is_edited_in_the_admin_and_checked(signed_in, grid_admin, grid):
    from tests.forms import form_data

    client = signed_in(grid_admin)
    url = f"/admin/grids/community/{grid.community_id}/change/"
    data = form_data(client.get(url).content.decode(), "community_form")
    assert data["phone"] == grid.community.phone
    refused = client.post(url + "?lang=en", {**data, "phone": "call us"})
    assert refused.status_code == 200 and "Enter a phone number of digits" in refused.content.decode()
    saved = client.post(url, {**data, "phone": "0452-2799110"})
    assert saved.status_code == 302
    assert Community.objects.get(pk=grid.community_id).phone == "0452-2799110"


def test_the_demo_gives_every_community_a_qiqihar_landline(demo_district):
    phones = list(Community.objects.values_list("phone", flat=True))
    assert all(re.fullmatch(r"0452-2\d{6}", phone) for phone in phones)
    assert len(set(phones)) == len(phones) == Community.objects.aggregate(n=Count("pk"))["n"]
