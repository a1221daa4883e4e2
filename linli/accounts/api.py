"""API sign-in: tokens that expire, die with a lock or a new password, and a rate-limited endpoint."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from linli.accounts import twofactor
from linli.accounts.authentication import token_expires_at
from linli.core.ratelimit import check_rate


class TokenRequestSerializer(AuthTokenSerializer):
    otp = serializers.CharField(required=False, write_only=True,
                                help_text="Code from the authenticator app or a recovery code; required for "
                                          "accounts that sign in with two factors.")


class TokenView(APIView):
    """Exchange a username and password (and, for accounts that need it, a second-factor code) for a
    token expiring after LINLI_TOKEN_TTL seconds."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField(),
                                                     "expires": serializers.DateTimeField()}),
            400: OpenApiResponse(description="Wrong username or password, locked, or the second-factor "
                                             "code missing or wrong"),
            429: OpenApiResponse(description="Too many requests"),
        },
    )
    def post(self, request):
        if not check_rate(request, "token"):
            return Response({"detail": _("Too many requests. Please wait a minute and try again.")},
                            status=status.HTTP_429_TOO_MANY_REQUESTS)
        ser = TokenRequestSerializer(data=request.data, context={"request": request})
        ser.is_valid(raise_exception=True)
        user = ser.validated_data["user"]
        if twofactor.two_factor_required(user):
            if twofactor.confirmed_totp(user) is None:
                return Response({"otp": [_("Set up two-factor sign-in on the website first.")]},
                                status=status.HTTP_400_BAD_REQUEST)
            code = ser.validated_data.get("otp", "")
            if not code or not twofactor.verify_user(user=user, code=code):
                return Response({"otp": [_("A valid code from the authenticator app is required.")]},
                                status=status.HTTP_400_BAD_REQUEST)
        token = Token.objects.filter(user=user).first()
        if token is not None and token_expires_at(token) <= timezone.now():
            token.delete()
            token = None
        if token is None:
            token = Token.objects.create(user=user)
        return Response({"token": token.key, "expires": token_expires_at(token)})
