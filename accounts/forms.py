from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile number"), max_length=32, widget=forms.TextInput(attrs={
        "type": "tel", "inputmode": "numeric", "autocomplete": "tel", "placeholder": "13800138000"}))
    consent = forms.BooleanField(label=_("I have read and accept the privacy notice"), required=True,
                                 error_messages={"required": _("Please accept the privacy notice to go on.")})
    # The version of the notice the page linked to (the service refuses a page older than the notice).
    notice_version = forms.CharField(widget=forms.HiddenInput, max_length=20,
                                     initial=lambda: settings.PRIVACY_NOTICE_VERSION)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code from the text message"), max_length=12, widget=forms.TextInput(attrs={
        "inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6", "placeholder": "123456"}))
