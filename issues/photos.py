"""Photos attached to issues: check an upload, strip its metadata, re-encode it, make a thumbnail.

Residents attach photos from their phones when they blow the whistle, and officers attach evidence
photos when they resolve an issue. Phone photos carry EXIF metadata, often including the GPS
position of the resident's home, so nothing of the original file is kept: the pixels are decoded
and written out again as a fresh JPEG.

Accepted formats: JPEG (including MPO, the multi-picture JPEG some phones write; its first picture
is kept), PNG and WebP (the first frame of an animated PNG or WebP). Everything else is refused,
GIF and HEIF included: the file's content decides, never its name or the browser's content type.

A bad upload raises PhotoError, whose message is translated for the user; callers turn it into a
form error or an HTTP 400.

Before the metadata goes, the EXIF GPS position (where the phone says the photo was taken) is read into
``PreparedPhoto.position``, so that staff can see a photo taken far from the issue's point; it is kept
apart from the picture, never written back into it.
"""
import math
import io
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_SIDE_PX = 2560
DEFAULT_THUMBNAIL_PX = 320
JPEG_QUALITY = 85
ORIGINAL_NAME_MAX_CHARS = 100

# Only these decoders ever see an upload: Pillow's rarer plugins are never exposed to hostile files.
# The JPEG decoder returns MPO images (format "MPO") for multi-picture files, so both are accepted.
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
_ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
_MEGABYTE = 1024 * 1024


class PhotoError(ValueError):
    """A photo that cannot be accepted; str(error) is a message for the user (translated with gettext)."""


@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes        # the re-encoded image (JPEG), no EXIF/XMP/ICC-with-GPS metadata at all
    thumbnail: bytes      # JPEG, longest side settings.ISSUE_PHOTO_THUMBNAIL_PX (default 320)
    width: int            # of `content`
    height: int
    original_name: str    # the uploaded file's base name, for display only (sanitised: no directories, at most 100 chars)
    # (lat, lng) in degrees from the upload's EXIF GPS tags (WGS-84, as EXIF defines them); None without a usable one.
    position: tuple[float, float] | None = None


def photo_prepare(upload, *, max_bytes: int | None = None) -> PreparedPhoto:
    """Check and re-encode one uploaded image. `upload` is a Django UploadedFile or any object with .read(), .name and optionally .size. Raises PhotoError."""
    if max_bytes is None:
        max_bytes = getattr(settings, "ISSUE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES)
    max_pixels = getattr(settings, "ISSUE_PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    max_side = getattr(settings, "ISSUE_PHOTO_MAX_SIDE_PX", DEFAULT_MAX_SIDE_PX)
    thumbnail_px = getattr(settings, "ISSUE_PHOTO_THUMBNAIL_PX", DEFAULT_THUMBNAIL_PX)

    data = _upload_read(upload=upload, max_bytes=max_bytes)
    image = _image_decode(data=data, max_pixels=max_pixels, max_side=max_side)
    position = _gps_position(image=image)
    image = _image_orient(image=image)
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    image = _image_flatten(image=image)

    thumbnail = image.copy()
    thumbnail.thumbnail((thumbnail_px, thumbnail_px), Image.Resampling.LANCZOS)
    return PreparedPhoto(
        content=_jpeg_encode(image=image),
        thumbnail=_jpeg_encode(image=thumbnail),
        width=image.width,
        height=image.height,
        original_name=_original_name_clean(name=getattr(upload, "name", None)),
        position=position,
    )


def _too_large(*, max_bytes: int) -> PhotoError:
    return PhotoError(_("The photo is larger than %(limit)s MB.") % {"limit": _megabytes_format(count=max_bytes)})


def _megabytes_format(*, count: int) -> str:
    megabytes = count / _MEGABYTE
    if megabytes >= 1:
        return f"{megabytes:.1f}".removesuffix(".0")
    return f"{megabytes:.2g}"


def _upload_read(*, upload, max_bytes: int) -> bytes:
    """The upload's bytes; refuses an empty or oversized file without reading more than max_bytes + 1."""
    size = getattr(upload, "size", None)
    # A declared size lets an oversized upload be refused before a single byte is read.
    if isinstance(size, int) and size > max_bytes:
        raise _too_large(max_bytes=max_bytes)
    # A form's ImageField (or other code) may already have read the file.
    seek = getattr(upload, "seek", None)
    if callable(seek):
        try:
            seek(0)
        except (OSError, ValueError):
            pass
    chunks = []
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = upload.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if not data:
        raise PhotoError(_("The file is empty."))
    if len(data) > max_bytes:
        raise _too_large(max_bytes=max_bytes)
    return data


def _image_open(*, data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)


def _image_decode(*, data: bytes, max_pixels: int, max_side: int) -> Image.Image:
    """The first picture in `data`, decoded, after checking its format, pixel count and integrity."""
    not_a_photo = PhotoError(_("The file is not a photo (JPEG, PNG or WebP)."))
    damaged = PhotoError(_("The photo is damaged or incomplete."))
    too_many_pixels = PhotoError(_("The photo has too many pixels."))
    # Pillow's own bomb guard warns (or raises) from Image.open; the warning must refuse the photo too.
    # catch_warnings is process-wide, but only ever turns this one warning category into an error.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _image_open(data=data)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except UnidentifiedImageError:
            raise not_a_photo from None
        except Exception:
            # A header Pillow recognises but cannot parse: user input, never a server error.
            raise damaged from None
        if image.format not in _ACCEPTED_FORMATS:
            raise not_a_photo
        width, height = image.size
        # Checked from the header, before a pixel is decoded, so a small file cannot claim gigabytes.
        if width * height > max_pixels:
            raise too_many_pixels
        try:
            image.verify()
            # verify() leaves the image unusable: decode from a fresh one.
            image = _image_open(data=data)
            longest = max(width, height)
            if longest > max_side:
                # JPEG can decode at 1/2, 1/4 or 1/8 scale: far less memory for a large phone photo.
                scale = max_side / longest
                image.draft(None, (max(1, round(width * scale)), max(1, round(height * scale))))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except Exception:
            # Truncated data, bad checksums, broken chunks: Pillow raises many exception types for them.
            raise damaged from None
    return image


def _image_orient(*, image: Image.Image) -> Image.Image:
    """Turn the pixels as the EXIF orientation says, since the orientation tag itself is about to be dropped."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        # Malformed metadata should not cost the resident a photo whose pixels decode fine.
        return image


def _gps_position(*, image: Image.Image) -> tuple[float, float] | None:
    """(lat, lng) from the EXIF GPS IFD: degrees, minutes and seconds with their N/S and E/W references.

    None without GPS tags or with unusable ones (malformed, out of range, or 0/0, which cameras write without a fix):
    a bad tag costs the position, never the photo."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        if not gps:
            return None
        lat = _gps_degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
        lng = _gps_degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    except Exception:
        return None
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None
    return round(lat, 7), round(lng, 7)


def _gps_degrees(value, reference, negative: str) -> float | None:
    if not isinstance(value, (tuple, list)) or not 1 <= len(value) <= 3:
        return None
    degrees = sum(float(part) / 60 ** place for place, part in enumerate(value))
    if not math.isfinite(degrees):
        return None
    if isinstance(reference, bytes):
        reference = reference.decode("ascii", "replace")
    if isinstance(reference, str) and reference.strip("\x00 ").upper() == negative:
        degrees = -degrees
    return degrees


def _image_flatten(*, image: Image.Image) -> Image.Image:
    """An RGB image; transparent areas become white (JPEG has no transparency)."""
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit greyscale: scale into 8 bits rather than clip everything above 255 to white.
        image = image.convert("I").point(lambda value: value / 257).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _jpeg_encode(*, image: Image.Image) -> bytes:
    # Pillow copies a comment (and may copy other metadata) from image.info: start from nothing.
    image.info = {}
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return output.getvalue()


def _original_name_clean(*, name) -> str:
    """The base name for display: no directories (Windows browsers may send a full path), no control characters."""
    if not isinstance(name, str):
        return ""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (e.g. a right-to-left override) could disguise the name on screen.
    base = "".join(char for char in base if unicodedata.category(char)[0] != "C").strip()
    if len(base) <= ORIGINAL_NAME_MAX_CHARS:
        return base
    stem, dot, extension = base.rpartition(".")
    if dot and stem and len(extension) <= 10:
        return stem[: ORIGINAL_NAME_MAX_CHARS - len(extension) - 1] + "." + extension
    return base[:ORIGINAL_NAME_MAX_CHARS]
