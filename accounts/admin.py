"""Read-only views of residents' numbers, the codes sent (never the codes themselves: only their hash
is stored, and not shown) and the consents given."""
from django.contrib import admin

from jianhua.admin import ReadOnlyAdmin

from .models import PhoneCode, PrivacyConsent, ResidentPhone


@admin.register(ResidentPhone)
class ResidentPhoneAdmin(ReadOnlyAdmin):
    list_display = ["number", "user", "verified_at"]
    list_select_related = ["user"]
    search_fields = ["number", "user__username"]
    raw_id_fields = ["user"]


@admin.register(PhoneCode)
class PhoneCodeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "number", "client_ip", "attempts", "used_at", "expires_at", "consent_version"]
    list_filter = [("used_at", admin.EmptyFieldListFilter)]
    search_fields = ["number", "client_ip"]
    date_hierarchy = "created_at"
    exclude = ["code_hash"]


@admin.register(PrivacyConsent)
class PrivacyConsentAdmin(ReadOnlyAdmin):
    list_display = ["consented_at", "user", "notice_version", "client_ip"]
    list_filter = ["notice_version"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
