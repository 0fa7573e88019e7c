"""PreparedPhoto.position: where the phone says a photo was taken, read before the metadata is stripped."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from rest_framework.test import APIClient

from issues.models import IssuePhoto
from issues.photos import photo_prepare

GPS_IFD = 0x8825


def gps_exif(lat=(47.0, 21.0, 3.6), lat_ref="N", lng=(123.0, 57.0, 18.0), lng_ref="E") -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = lat_ref, lat, lng_ref, lng
    return exif


def photo(*, format="JPEG", exif=None, size=(64, 48)) -> bytes:
    output = io.BytesIO()
    params = {"exif": exif.tobytes()} if exif is not None else {}
    Image.new("RGB", size, (90, 140, 60)).save(output, format=format, **params)
    return output.getvalue()


def prepared(content, name="IMG_0001.jpg"):
    return photo_prepare(SimpleUploadedFile(name, content, content_type="image/jpeg"))


def test_a_phone_photo_with_gps_tags_gives_its_position_and_keeps_none_of_them():
    result = prepared(photo(exif=gps_exif()))

    # 47° 21′ 3.6″ N, 123° 57′ 18″ E: in 建华区.
    assert result.position == pytest.approx((47.351, 123.955), abs=1e-7)
    stored = Image.open(io.BytesIO(result.content))
    assert len(stored.getexif()) == 0 and b"HUAWEI" not in result.content


def test_south_and_west_are_negative():
    result = prepared(photo(exif=gps_exif(lat=(33.0, 52.0, 4.0), lat_ref="S", lng=(151.0, 12.0, 36.0), lng_ref="W")))

    assert result.position == pytest.approx((-(33 + 52 / 60 + 4 / 3600), -(151 + 12 / 60 + 36 / 3600)), abs=1e-7)


def test_a_webp_carries_its_position_too():
    result = prepared(photo(format="WEBP", exif=gps_exif()), name="IMG_0002.webp")

    assert result.position == pytest.approx((47.351, 123.955), abs=1e-7)


def test_a_photo_shrunk_in_the_browser_with_the_originals_exif_spliced_back_keeps_its_position():
    """What the field app sends: a canvas-made JPEG (no metadata) with the original's APP1 segment put back after SOI."""
    original = photo(exif=gps_exif(), size=(400, 300))
    start = original.index(b"\xff\xe1")
    app1 = original[start:start + 2 + int.from_bytes(original[start + 2:start + 4], "big")]
    shrunk = photo(size=(200, 150))
    assert b"Exif" not in shrunk

    result = prepared(shrunk[:2] + app1 + shrunk[2:])

    assert result.position == pytest.approx((47.351, 123.955), abs=1e-7)
    assert (result.width, result.height) == (200, 150)


def test_a_photo_larger_than_the_limit_is_shrunk_and_keeps_its_position(settings):
    settings.ISSUE_PHOTO_MAX_SIDE_PX = 800  # decoded at a reduced scale (JPEG draft mode), then shrunk

    result = prepared(photo(exif=gps_exif(), size=(3200, 2400)))

    assert (result.width, result.height) == (800, 600)
    assert result.position == pytest.approx((47.351, 123.955), abs=1e-7)


@pytest.mark.parametrize("exif", [
    None,  # no metadata at all: a screenshot, or a picture from a chat
    Image.Exif(),  # EXIF without a GPS block
    gps_exif(lat=(0.0, 0.0, 0.0), lng=(0.0, 0.0, 0.0)),  # what some cameras write without a fix
    gps_exif(lat=(95.0, 0.0, 0.0)),  # beyond the pole
    gps_exif(lat=(IFDRational(47, 0), 0.0, 0.0)),  # a zero denominator: not a number
    gps_exif(lat=(47.0, 21.0, 3.6, 1.0)),  # four parts: not degrees, minutes, seconds
], ids=["no-exif", "no-gps", "zero-zero", "out-of-range", "zero-denominator", "four-parts"])
def test_no_usable_gps_tags_mean_no_position_and_the_photo_is_still_taken(exif):
    result = prepared(photo(exif=exif))

    assert result.position is None
    assert (result.width, result.height) == (64, 48)


def test_a_position_with_only_one_coordinate_is_none():
    exif = Image.Exif()
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (47.0, 21.0, 3.6)

    assert prepared(photo(exif=exif)).position is None


@pytest.mark.django_db
def test_a_whistle_filed_with_a_gps_photo_keeps_where_it_was_taken_and_stores_the_picture_without_it(
        resident, spot_in_officers_grid, categories, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lat, lng = spot_in_officers_grid
    client = APIClient()
    client.force_authenticate(resident)
    upload = SimpleUploadedFile("IMG_0003.jpg", photo(exif=gps_exif()), content_type="image/jpeg")

    response = client.post("/api/v1/issues/", {
        "title": "路灯不亮", "description": "东门路灯坏了一周，晚上很黑。", "category": "streetlight",
        "lat": lat, "lng": lng, "address": "东市场社区东门", "photos": [upload]}, format="multipart")

    assert response.status_code == 201, response.content
    stored = IssuePhoto.objects.get(issue__number=response.json()["number"])
    assert (stored.taken_lat, stored.taken_lng) == pytest.approx((47.351, 123.955), abs=1e-7)
    with stored.image.open("rb") as file:
        content = file.read()
    assert len(Image.open(io.BytesIO(content)).getexif()) == 0 and b"HUAWEI" not in content
