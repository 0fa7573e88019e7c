"""The issues app's part of the demo (``seed_demo``): the demo Open311 client, so that the README's
curl examples work against ``bin/demo``. Registered in ``IssuesConfig.ready``."""
from collections.abc import Callable

from .models import IntakeClient
from .services import intake_client_create

DEMO_OPEN311_KEY = "jianhua-demo-open311"
DEMO_CLIENT_CODE = "hotline-12345-demo"
DEMO_CLIENT_NAME = "12345 市民热线 (demo)"


def demo_intake_client_seed(options: dict, progress: Callable[[str], None]) -> list[str]:
    """Create or update the demo client with the key ``options["open311_key"]`` (else the default)."""
    key = options.get("open311_key") or DEMO_OPEN311_KEY
    client = IntakeClient.objects.filter(code=DEMO_CLIENT_CODE).first()
    if client is None:
        intake_client_create(name=DEMO_CLIENT_NAME, code=DEMO_CLIENT_CODE, api_key=key, rate_limit_per_minute=600)
    else:
        IntakeClient.objects.filter(pk=client.pk).update(name=DEMO_CLIENT_NAME, api_key=key, is_active=True)
    progress("Open311 demo client")
    return [f"Open311 client {DEMO_CLIENT_NAME}: api_key={key}  (/open311/v2/)"]
