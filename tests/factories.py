"""What tests make over and over: a small JPEG upload, an API client signed in as someone."""
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient


def jpeg(name="photo.jpg", size=(64, 48), colour="orange") -> SimpleUploadedFile:
    """A JPEG upload of one colour, as a phone's form would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
