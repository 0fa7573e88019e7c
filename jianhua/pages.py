"""What the HTML pages of every app share."""
from django.shortcuts import render


def refused(request, message, status=403):
    """The page that says why something was not done: 403 (not yours to do), 400 (bad input the page
    cannot show beside a field) or 409 (the issue moved on meanwhile), with ``message``."""
    return render(request, "issues/refused.html", {"message": message}, status=status)
