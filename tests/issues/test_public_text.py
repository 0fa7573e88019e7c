"""What others may read of a resident's words: phone and ID card numbers masked, nothing else touched."""
import pytest

from issues.rules import public_text


@pytest.mark.parametrize(("typed", "shown"), [
    ("请联系我13812345678", "请联系我138****5678"),
    ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
    ("电话138-1234-5678", "电话138****5678"),
    ("+86 13812345678", "861******5678"),
    ("座机0452-2401234", "座机045****1234"),
    ("身份证23020219800101123X", "身份证230***********123X"),
    ("两个号码13812345678、13987654321", "两个号码138****5678、139****4321"),
])
def test_phone_and_id_card_numbers_are_masked(typed, shown):
    assert public_text(typed) == shown


@pytest.mark.parametrize("typed", [
    "编号JH-20261128-0001的问题还没人管",
    "中华路12号3单元，2026年11月28日",
    "订单号123456789012345678901",  # 21 digits: no phone, no ID card
    "供暖温度只有16度",
])
def test_other_numbers_are_left_alone(typed):
    assert public_text(typed) == typed
