"""The dispatch app's permissions for templates of the apps below it (the issue page offers "Put on
supervision" and "Record accountability" to exactly those the services accept)."""
from django import template

from dispatch import accountability, supervision

register = template.Library()


@register.filter
def may_supervise(user) -> bool:
    return supervision.may_supervise(user)


@register.filter
def may_record_accountability(user) -> bool:
    return accountability.may_record(user)
