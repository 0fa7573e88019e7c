"""The front door in a real browser (Debian's Chromium through Playwright), as a new resident meets it:
a phone 375 px wide, WeChat's in-app browser, the location refused. The visitor scans a grid's QR
poster (opens its link), types the whistle and adds a photo, confirms their mobile number with the code
read from the SMS file on the same page, files, and sees the tracking number – nothing typed is lost on
the way. Screenshots in var/screenshots/whistle-front-door-<step>.png."""
import re

import pytest
from django.conf import settings

from accounts.models import PrivacyConsent, ResidentPhone
from grids.models import Grid, Role
from issues.models import Issue
from notifications.sms import read_sent_sms
from tests.issues.test_browser_whistle import TIMEOUT_MS, browser, photo_file, screenshot  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser]
WECHAT = {
    "viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
    "locale": "zh-CN",
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                  "Mobile/15E148 MicroMessenger/8.0.50(0x1800323a) NetType/WIFI Language/zh_CN",
}
NUMBER = "13912345678"


def test_a_new_visitor_scans_a_poster_confirms_the_phone_on_the_filing_page_and_files(
        transactional_db, demo_district, categories, live_server, browser):  # noqa: F811
    grid = Grid.objects.select_related("community").get(name="东盛社区第2网格")
    page = browser.new_context(**WECHAT).new_page()  # no geolocation permission: WeChat refuses
    page.set_default_timeout(TIMEOUT_MS)

    page.goto(f"{live_server.url}/g/{grid.code}")
    page.wait_for_url(f"{live_server.url}/whistle/new/?grid={grid.code}")
    page.wait_for_selector('body[data-grids-loaded="840"]')
    assert page.get_attribute("#linked-grid", "data-grid") == grid.code
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "nothing wider than the phone"

    page.select_option("#id_category", str(categories.get(code="garbage").pk))
    page.fill("#id_title", "楼道里堆满杂物")
    page.fill("#id_description", "三单元一楼楼道堆着旧家具，挡住了消防通道。")
    page.set_input_files("#id_photos", [photo_file("hallway.jpg", (120, 90, 60))])
    screenshot(page, "front-door-01-typed")

    # Sending before confirming the phone keeps the visitor on the page, told what is missing.
    page.click("#whistle-submit")
    assert "验证码" in page.inner_text("#phone-status") or "手机" in page.inner_text("#phone-status")
    assert page.url.endswith(f"/whistle/new/?grid={grid.code}")

    page.fill("#id_phone", "138 0013 800")  # one digit short: the server's message, on the page
    page.check("#id_consent")
    page.click("#send-code")
    page.wait_for_selector("#phone-status.error")
    assert "13800138000" in page.inner_text("#phone-status"), "the message shows what a number looks like"

    page.fill("#id_phone", NUMBER)
    page.click("#send-code")
    # Selectors, not wait_for_function: the Content-Security-Policy refuses the string eval() it polls with.
    page.wait_for_selector("#send-code:disabled")
    page.wait_for_selector('#phone-status:has-text("139****5678")')
    texts = read_sent_sms(number=f"+86{NUMBER}")
    assert len(texts) == 1 and texts[0].text.startswith("【建华区吹哨报到】")
    code = re.search(r"\b(\d{6})\b", texts[0].text)[1]

    page.fill("#id_code", "000000" if code != "000000" else "111111")  # a wrong code first: told, kept
    page.click("#whistle-submit")
    page.wait_for_selector('#phone-status:has-text("4")')
    assert page.input_value("#id_title") == "楼道里堆满杂物", "nothing typed is lost"
    screenshot(page, "front-door-02-wrong-code")

    page.fill("#id_code", code)
    screenshot(page, "front-door-03-code")
    page.click("#whistle-submit")
    page.wait_for_url("**/whistle/filed/*/")
    number = page.inner_text("#tracking-number").strip()
    screenshot(page, "front-door-04-filed")

    issue = Issue.objects.select_related("reporter").get(number=number)
    assert issue.grid_id == grid.pk and issue.title == "楼道里堆满杂物" and issue.photos.count() == 1
    assert issue.reporter.role == Role.RESIDENT and issue.reporter.phone == NUMBER
    assert ResidentPhone.objects.get(user=issue.reporter).number == f"+86{NUMBER}"
    assert PrivacyConsent.objects.get(user=issue.reporter).notice_version == settings.PRIVACY_NOTICE_VERSION

    # Signed in now: the resident's own list has the whistle.
    page.goto(f"{live_server.url}/whistle/mine/")
    assert number in page.inner_text("main")
    screenshot(page, "front-door-05-mine")
    page.context.close()
