"""Answers to a category's extra questions (``CategoryAttribute``), checked in this one place.

``attributes_clean`` is what ``issue_submit`` calls: it refuses a missing required answer, an
unknown code, a choice that is not on the list and a number or date that does not parse, each with
a message naming the attribute, and returns the answers as they are stored on the issue.
"""
from collections.abc import Iterable, Mapping

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .models import AttributeType, CategoryAttribute


class AnswerError(ValueError):
    """An answer is missing or malformed; ``code`` names the attribute."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def answers_for_display(attributes: Iterable[CategoryAttribute], answers: Mapping[str, object]) -> list[tuple[str, str]]:
    """(question, answer) pairs in the category's order, with choice keys shown by their names."""
    shown = []
    for attribute in attributes:
        if attribute.code not in answers:
            continue
        names = {str(value.get("key")): str(value.get("name")) for value in attribute.values or []}
        answer = answers[attribute.code]
        keys = answer if isinstance(answer, list) else [answer]
        shown.append((attribute.description, "、".join(names.get(str(key), str(key)) for key in keys)))
    return shown


def attributes_clean(attributes: Iterable[CategoryAttribute], answers: Mapping[str, object]) -> dict:
    """The answers, keyed by attribute code: strings, numbers (int or float), ISO datetimes as given,
    a key for a single choice and a list of keys for several. Raises ``AnswerError``."""
    known = {attribute.code: attribute for attribute in attributes}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise AnswerError(_("This service has no attribute %(code)s.") % {"code": unknown[0]}, unknown[0])
    cleaned = {}
    for code, attribute in known.items():
        raw = answers.get(code)
        values = _as_list(raw)
        if not values:
            if attribute.required and attribute.variable:
                raise AnswerError(_("The attribute %(code)s is required.") % {"code": code}, code)
            continue
        cleaned[code] = _clean_one(attribute, values)
    return cleaned


def urgent(attributes: Iterable[CategoryAttribute], answers: Mapping[str, object]) -> bool:
    """Whether an answer is one of its attribute's urgent choices (people stuck in a lift)."""
    for attribute in attributes:
        given = set(_as_list(answers.get(attribute.code)))
        if given & set(attribute.urgent_keys or ()):
            return True
    return False


def _as_list(raw) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return [str(item).strip() for item in items if str(item).strip()]


def _clean_one(attribute: CategoryAttribute, values: list[str]):
    code, datatype = attribute.code, attribute.datatype
    keys = {str(choice["key"]) for choice in attribute.values or ()}
    if datatype == AttributeType.MULTIVALUELIST:
        wrong = [value for value in values if value not in keys]
        if wrong:
            raise AnswerError(_("%(value)s is not a choice of the attribute %(code)s.")
                                  % {"value": wrong[0], "code": code}, code)
        return list(dict.fromkeys(values))
    if len(values) > 1:
        raise AnswerError(_("The attribute %(code)s takes one value.") % {"code": code}, code)
    value = values[0]
    if datatype == AttributeType.SINGLEVALUELIST:
        if value not in keys:
            raise AnswerError(_("%(value)s is not a choice of the attribute %(code)s.")
                                  % {"value": value, "code": code}, code)
        return value
    if datatype == AttributeType.NUMBER:
        try:
            number = float(value)
        except ValueError:
            raise AnswerError(_("The attribute %(code)s must be a number.") % {"code": code}, code) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise AnswerError(_("The attribute %(code)s must be a number.") % {"code": code}, code)
        return int(number) if number.is_integer() and "." not in value else number
    if datatype == AttributeType.DATETIME:
        try:
            parsed = parse_datetime(value) or parse_date(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise AnswerError(_("The attribute %(code)s must be a date and time (ISO 8601).") % {"code": code},
                                  code)
        return value
    limit = 200 if datatype == AttributeType.STRING else 2000
    if len(value) > limit:
        raise AnswerError(_("The attribute %(code)s is longer than %(limit)s characters.")
                              % {"code": code, "limit": limit}, code)
    return value
