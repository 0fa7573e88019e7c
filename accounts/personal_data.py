"""A person's own data (PIPL: the right to a copy). Closing an account is accounts.services.account_delete."""
from django.utils import timezone

from issues.models import Issue

from .models import PrivacyConsent, ResidentPhone


def _time(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def personal_data_for(user) -> dict:
    """Everything the system keeps about the account's person, as JSON-ready data (three queries)."""
    phone = ResidentPhone.objects.filter(user=user).first()
    consents = list(PrivacyConsent.objects.filter(user=user))
    issues = (Issue.objects.filter(reporter=user).select_related("category", "grid")
              .order_by("created_at"))
    return {
        "account": {"username": user.username, "role": user.role, "full_name": user.full_name, "email": user.email,
                    "phone": user.phone, "joined": _time(user.date_joined), "last_sign_in": _time(user.last_login)},
        "mobile_number": str(phone.number) if phone else None,
        "privacy_consents": [{"notice_version": c.notice_version, "consented_at": _time(c.consented_at),
                              "client_address": c.client_ip} for c in consents],
        "whistles": [{"number": i.number, "title": i.title, "description": i.description,
                      "category": i.category.name, "address": i.address, "lat": i.lat, "lng": i.lng,
                      "grid": i.grid.name, "status": i.status, "filed_at": _time(i.created_at),
                      "closed_at": _time(i.closed_at), "reporter_name": i.reporter_name,
                      "reporter_phone": i.reporter_phone, "rating": i.rating, "rating_comment": i.rating_comment}
                     for i in issues],
    }
