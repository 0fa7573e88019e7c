"""issues.photos: what a resident's or officer's photo turns into, and which uploads are refused."""
import io
import os
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from issues.photos import PhotoError, PreparedPhoto, photo_prepare

MB = 1024 * 1024
RED = (220, 20, 20)
BLUE = (20, 20, 220)

NOT_A_PHOTO = "The file is not a photo (JPEG, PNG or WebP)."
DAMAGED = "The photo is damaged or incomplete."
EMPTY = "The file is empty."
TOO_MANY_PIXELS = "The photo has too many pixels."


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def image_bytes(image, *, format, **params):
    output = io.BytesIO()
    image.save(output, format=format, **params)
    return output.getvalue()


def noise(size):
    """A photo-like image: random pixels compress badly, so the file has real scan data to cut."""
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def halves(size, *, left=RED, right=BLUE):
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def upload(content, *, name="IMG_0001.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def decoded(content):
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def near(pixel, colour, *, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def refused(upload_, **kwargs):
    with pytest.raises(PhotoError) as caught:
        photo_prepare(upload_, **kwargs)
    return str(caught.value)


class CountingStream:
    """An upload read from the network: counts the bytes handed out; no seek."""

    def __init__(self, *, length, size=None, name="big.jpg"):
        self.length = length
        self.delivered = 0
        self.name = name
        if size is not None:
            self.size = size

    def read(self, count=-1):
        left = self.length - self.delivered
        count = left if count is None or count < 0 else min(count, left)
        self.delivered += count
        return b"\xff" * count


# --- What comes out -------------------------------------------------------------------------------

def test_gps_and_camera_metadata_are_stripped():
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"  # Make
    exif[0x0110] = "Mate 60 Pro"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (39.0, 54.0, 26.5)
    gps[3] = "E"
    gps[4] = (116.0, 23.0, 29.1)
    original = image_bytes(noise((640, 480)), format="JPEG", exif=exif.tobytes(), comment=b"Room 302, Building 5",
                           xmp=b"<x:xmpmeta>home</x:xmpmeta>", icc_profile=b"fake-icc-profile")
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)[2] == (39.0, 54.0, 26.5)  # the input has GPS

    result = photo_prepare(upload(original))

    assert isinstance(result, PreparedPhoto)
    output = decoded(result.content)
    assert output.format == "JPEG"
    assert output.size == (640, 480) == (result.width, result.height)
    assert len(output.getexif()) == 0
    assert b"Exif" not in result.content[:4096]
    for secret in (b"HUAWEI", b"Mate 60", b"Room 302", b"xmpmeta", b"fake-icc"):
        assert secret not in result.content
        assert secret not in result.thumbnail
    assert not {"exif", "comment", "xmp", "icc_profile"} & set(output.info)
    assert len(decoded(result.thumbnail).getexif()) == 0


def test_a_phone_photo_taken_sideways_is_turned_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; show the picture rotated 90° clockwise
    original = image_bytes(halves((200, 100)), format="JPEG", exif=exif.tobytes())

    result = photo_prepare(upload(original))

    output = decoded(result.content)
    assert output.size == (100, 200) == (result.width, result.height)
    # Turned clockwise, the stored left half (red) is on top.
    assert near(output.getpixel((50, 20)), RED)
    assert near(output.getpixel((50, 180)), BLUE)
    assert decoded(result.thumbnail).size == (100, 200)


def test_a_transparent_png_becomes_a_jpeg_on_white():
    image = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    image.paste((*RED, 255), (20, 10, 40, 30))

    result = photo_prepare(upload(image_bytes(image, format="PNG"), name="screenshot.png", content_type="image/png"))

    output = decoded(result.content)
    assert output.format == "JPEG"
    assert output.mode == "RGB"
    assert near(output.getpixel((2, 2)), (255, 255, 255))
    assert near(output.getpixel((30, 20)), RED)


def test_a_palette_png_with_a_transparent_colour_is_flattened_on_white():
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 0, 0, *RED] + [0] * (254 * 3))
    image.paste(1, (10, 10, 30, 30))
    content = image_bytes(image, format="PNG", transparency=0)

    output = decoded(photo_prepare(upload(content, name="icon.png")).content)

    assert near(output.getpixel((2, 2)), (255, 255, 255))
    assert near(output.getpixel((20, 20)), RED)


def test_a_16_bit_greyscale_png_keeps_its_greys():
    content = image_bytes(Image.new("I;16", (40, 30), 32896), format="PNG")  # mid-grey on a 0-65535 scale
    assert Image.open(io.BytesIO(content)).mode.startswith("I;16")

    output = decoded(photo_prepare(upload(content, name="scan.png")).content)

    assert near(output.getpixel((20, 15)), (128, 128, 128), tolerance=8)


def test_webp_is_accepted():
    result = photo_prepare(upload(image_bytes(halves((120, 80)), format="WEBP"), name="a.webp"))

    assert decoded(result.content).format == "JPEG"
    assert (result.width, result.height) == (120, 80)


def test_a_multi_picture_jpeg_from_a_phone_keeps_its_first_picture():
    first, second = halves((120, 80)), Image.new("RGB", (120, 80), (0, 200, 0))
    content = image_bytes(first, format="MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(content)).format == "MPO"

    output = decoded(photo_prepare(upload(content)).content)

    assert output.size == (120, 80)
    assert near(output.getpixel((10, 40)), RED)


@pytest.mark.parametrize("format", ["JPEG", "PNG"])
def test_a_large_photo_is_scaled_down_to_the_longest_side_allowed(settings, format):
    settings.ISSUE_PHOTO_MAX_SIDE_PX = 400

    result = photo_prepare(upload(image_bytes(halves((1000, 500)), format=format)))

    output = decoded(result.content)
    assert output.size == (400, 200) == (result.width, result.height)
    assert near(output.getpixel((100, 100)), RED)
    assert near(output.getpixel((300, 100)), BLUE)


def test_a_portrait_photo_is_scaled_by_its_height(settings):
    settings.ISSUE_PHOTO_MAX_SIDE_PX = 300

    result = photo_prepare(upload(image_bytes(halves((450, 900)), format="JPEG")))

    assert (result.width, result.height) == (150, 300)


def test_a_photo_within_the_longest_side_keeps_its_size(settings):
    settings.ISSUE_PHOTO_MAX_SIDE_PX = 400

    result = photo_prepare(upload(image_bytes(halves((400, 300)), format="JPEG")))

    assert (result.width, result.height) == (400, 300)


def test_the_thumbnail_longest_side_is_the_setting():
    result = photo_prepare(upload(image_bytes(halves((1000, 600)), format="JPEG")))

    thumbnail = decoded(result.thumbnail)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (320, 192)
    assert near(thumbnail.getpixel((40, 96)), RED)
    assert near(thumbnail.getpixel((280, 96)), BLUE)


def test_the_thumbnail_size_follows_the_setting(settings):
    settings.ISSUE_PHOTO_THUMBNAIL_PX = 100

    result = photo_prepare(upload(image_bytes(halves((300, 600)), format="PNG")))

    assert decoded(result.thumbnail).size == (50, 100)


def test_a_photo_smaller_than_the_thumbnail_is_not_enlarged():
    result = photo_prepare(upload(image_bytes(halves((80, 60)), format="JPEG")))

    assert decoded(result.thumbnail).size == (80, 60)


# --- The file name ----------------------------------------------------------------------------------

class NamedStream(io.BytesIO):
    """Any object with .read() and .name, e.g. a file from another service."""

    def __init__(self, content, *, name):
        super().__init__(content)
        self.name = name


def test_the_name_is_only_the_base_name():
    content = image_bytes(halves((40, 30)), format="JPEG")

    assert photo_prepare(NamedStream(content, name="C:\\Users\\wang\\Pictures\\IMG_0001.JPG")).original_name == "IMG_0001.JPG"
    assert photo_prepare(NamedStream(content, name="../../etc/积水.jpg")).original_name == "积水.jpg"


def test_a_long_name_is_cut_to_100_characters_keeping_its_extension():
    content = image_bytes(halves((40, 30)), format="JPEG")

    name = photo_prepare(upload(content, name="路面积水" * 50 + ".jpeg")).original_name

    assert len(name) == 100
    assert name.startswith("路面积水")
    assert name.endswith(".jpeg")


def test_control_characters_are_removed_from_the_name():
    content = image_bytes(halves((40, 30)), format="JPEG")

    assert photo_prepare(NamedStream(content, name="photo\u202egpj.exe")).original_name == "photogpj.exe"


def test_an_upload_already_read_by_a_form_is_read_from_the_start():
    file = upload(image_bytes(halves((40, 30)), format="JPEG"))
    file.read()

    assert photo_prepare(file).width == 40


# --- What is refused ------------------------------------------------------------------------------

def test_a_text_file_named_like_a_photo_is_refused():
    assert refused(upload(b"Hello, this is not a picture.\n" * 20, name="photo.jpg")) == NOT_A_PHOTO


@pytest.mark.parametrize("format", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(format):
    content = image_bytes(halves((40, 30)), format=format)

    assert refused(upload(content, name="photo.jpg")) == NOT_A_PHOTO


def test_a_truncated_jpeg_is_refused():
    content = image_bytes(noise((400, 300)), format="JPEG")

    assert refused(upload(content[: len(content) // 2])) == DAMAGED


def test_a_png_with_a_corrupted_byte_is_refused():
    content = bytearray(image_bytes(noise((100, 100)), format="PNG"))
    content[len(content) // 2] ^= 0xFF

    assert refused(upload(bytes(content), name="a.png")) == DAMAGED


def test_an_empty_file_is_refused():
    assert refused(upload(b"")) == EMPTY


def test_a_30_mb_upload_is_refused_naming_the_limit_without_being_read():
    file = upload(b"\xff" * (30 * MB))

    assert refused(file) == "The photo is larger than 10 MB."
    assert file.tell() == 0


def test_an_upload_declaring_30_mb_is_refused_before_any_byte_is_read():
    stream = CountingStream(length=30 * MB, size=30 * MB)

    assert refused(stream) == "The photo is larger than 10 MB."
    assert stream.delivered == 0


def test_an_upload_of_unknown_size_is_read_only_just_past_the_limit():
    stream = CountingStream(length=30 * MB)

    assert refused(stream) == "The photo is larger than 10 MB."
    assert stream.delivered == 10 * MB + 1


def test_an_upload_whose_declared_size_lies_is_still_cut_at_the_limit():
    stream = CountingStream(length=30 * MB, size=1000)

    assert refused(stream) == "The photo is larger than 10 MB."
    assert stream.delivered == 10 * MB + 1


def test_the_byte_limit_comes_from_the_setting(settings):
    settings.ISSUE_PHOTO_MAX_BYTES = 2 * MB
    content = image_bytes(noise((1200, 1000)), format="PNG")
    assert 2 * MB < len(content) < 10 * MB

    assert refused(upload(content, name="a.png")) == "The photo is larger than 2 MB."


def test_the_max_bytes_argument_overrides_the_setting(settings):
    settings.ISSUE_PHOTO_MAX_BYTES = 2 * MB
    content = image_bytes(halves((400, 300)), format="JPEG")

    assert refused(upload(content), max_bytes=len(content) - 1).startswith("The photo is larger than ")
    assert refused(upload(b"\xff" * (3 * MB // 2)), max_bytes=MB) == "The photo is larger than 1 MB."
    assert photo_prepare(upload(content), max_bytes=len(content)).width == 400


def test_a_photo_with_more_pixels_than_allowed_is_refused(settings):
    settings.ISSUE_PHOTO_MAX_PIXELS = 10_000
    content = image_bytes(halves((200, 100)), format="JPEG")

    assert refused(upload(content)) == TOO_MANY_PIXELS
    assert photo_prepare(upload(image_bytes(halves((100, 100)), format="JPEG"))).width == 100


def png_claiming(*, width, height):
    """A tiny PNG whose header claims width × height pixels: a decompression bomb's calling card."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("width, height", [(10_000, 10_000), (60_000, 60_000)])
def test_a_small_file_claiming_huge_dimensions_is_refused(width, height):
    # 100 Mpx trips Pillow's own bomb warning, 3.6 Gpx its bomb error; both must be a PhotoError.
    assert refused(upload(png_claiming(width=width, height=height), name="a.png")) == TOO_MANY_PIXELS


def test_pillows_bomb_warning_is_refused_even_above_our_own_limit(settings):
    settings.ISSUE_PHOTO_MAX_PIXELS = 10**12

    assert refused(upload(png_claiming(width=10_000, height=10_000), name="a.png")) == TOO_MANY_PIXELS
