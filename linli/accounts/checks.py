from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def two_factor_is_on(app_configs, **kwargs):
    if settings.LINLI_2FA_REQUIRED:
        return []
    return [Warning(
        "Two-factor sign-in is switched off (LINLI_2FA_REQUIRED=false).",
        hint="Administrators and everyone who may see full personal data must sign in with a second "
             "factor (GB/T 22239-2019 level 3). Remove LINLI_2FA_REQUIRED from the environment.",
        id="linli.W001")]
