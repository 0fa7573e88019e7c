"""The notifications page (/notifications/): the signed-in user's own notifications, newest first,
unread ones highlighted; marking read is a POST. The bell in the header asks the API for its count."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from jianhua.redirects import redirect_next

from . import selectors, services
from .models import Notification

PER_PAGE = 20


@require_GET
@login_required
def notification_list(request):
    """One page of the user's notifications: a fixed number of queries, whatever the page holds."""
    page = Paginator(selectors.notification_list_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {
        "page": page, "unread": selectors.unread_count(request.user),
    })


def _back(request):
    return redirect_next(request, reverse("notifications:list"))


@require_POST
@login_required
def notification_read(request, notification_id):
    """Mark one notification read, then go where ``next`` says (the issue it is about, or back)."""
    try:
        services.notification_mark_read(user=request.user, notification_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404 from None
    return _back(request)


@require_POST
@login_required
def notification_read_all(request):
    marked = services.notification_mark_all_read(user=request.user)
    if marked:
        messages.success(request, ngettext("Marked %(count)s notification read.",
                                           "Marked %(count)s notifications read.", marked) % {"count": marked})
    return _back(request)
