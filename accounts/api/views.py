"""The phone sign-in for mobile and WeChat clients: ask for a code, exchange it for the API token
that every /api/v1/ call takes (``Authorization: Token …``)."""
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView


from grids.models import masked_phone

from .. import personal_data, services

ERROR = inline_serializer("PhoneSignInError", {"detail": serializers.CharField(), "field": serializers.CharField()})


class PhoneCodeRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, help_text="a mainland China mobile number, e.g. 13800138000")
    consent = serializers.BooleanField(default=False, help_text="the privacy notice (/privacy/) was accepted")
    notice_version = serializers.CharField(max_length=20, required=False, allow_blank=True,
                                           help_text="the privacy notice version accepted (default: the current one)")


class PhoneTokenRequestSerializer(PhoneCodeRequestSerializer):
    code = serializers.CharField(max_length=12, help_text="the 6-digit code from the text message")


def _valid(serializer_class, request):
    query = serializer_class(data=request.data)
    query.is_valid(raise_exception=True)
    return query.validated_data


class PhoneCodeView(APIView):
    """Send a 6-digit sign-in code by SMS to a mainland mobile number (a new number gets an account
    when the code is exchanged). One code per number per minute (429 with Retry-After), ten a day."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["auth"], request=PhoneCodeRequestSerializer, responses={
        202: inline_serializer("PhoneCodeSent", {"phone": serializers.CharField(), "expires_in": serializers.IntegerField(),
                                                 "resend_after": serializers.IntegerField()}),
        400: OpenApiResponse(ERROR, description="not a mainland mobile number"),
        429: OpenApiResponse(ERROR, description="too soon or too many; see Retry-After")})
    def post(self, request):
        data = _valid(PhoneCodeRequestSerializer, request)
        version = services.accepted_notice_version(data["consent"], data.get("notice_version"))
        row = services.phone_code_request(phone=data["phone"], consent_version=version,
                                          client_ip=get_client_ip_address(request._request))
        return Response({"phone": masked_phone(row.number), "expires_in": settings.PHONE_CODE_VALID_SECONDS,
                         "resend_after": settings.PHONE_CODE_RESEND_SECONDS}, status=status.HTTP_202_ACCEPTED)


class PhoneTokenView(APIView):
    """Exchange the number and its code for an API token. A new number needs ``consent: true`` (here or
    when the code was asked for); without it the answer is 400 on ``consent`` and the code stays good."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["auth"], request=PhoneTokenRequestSerializer, responses={
        200: inline_serializer("PhoneToken", {"token": serializers.CharField(), "created": serializers.BooleanField()}),
        400: OpenApiResponse(ERROR, description="a wrong, used, expired or dead code; consent missing")})
    def post(self, request):
        data = _valid(PhoneTokenRequestSerializer, request)
        version = services.accepted_notice_version(data["consent"], data.get("notice_version"))
        signed_in = services.phone_code_verify(phone=data["phone"], code=data["code"], consent_version=version,
                                               client_ip=get_client_ip_address(request._request))
        token, _created = Token.objects.get_or_create(user=signed_in.user)
        user_logged_in.send(sender=signed_in.user.__class__, request=request._request, user=signed_in.user)
        return Response({"token": token.key, "created": signed_in.created})


class MyDataView(APIView):
    """The asking account's own data (PIPL), and – for a resident – closing the account: their
    whistles stay for the staff, anonymised."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["auth"], responses={200: OpenApiResponse(description="the account's data as JSON")})
    def get(self, request):
        return Response(personal_data.personal_data_for(request.user))

    @extend_schema(tags=["auth"], responses={204: None, 403: OpenApiResponse(ERROR, description="not a resident")})
    def delete(self, request):
        services.account_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
