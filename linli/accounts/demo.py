"""The demo's separated duties and second factors: `sysadmin`, `secadmin` and `auditor` at the county,
and a ready authenticator for every demo login that needs one (`linli demo` prints its otpauth URI,
`linli totp USERNAME` prints its current code)."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.accounts import twofactor
from linli.accounts.models import Role, User
from linli.divisions.models import Division

DEMO_DEVICE = "demo"
DUTIES = [("sysadmin", Role.Kind.SYSTEM_ADMIN, "信息中心 孙工（系统管理员）"),
          ("secadmin", Role.Kind.SECURITY_ADMIN, "信息中心 周工（安全管理员）"),
          ("auditor", Role.Kind.AUDITOR, "县纪委 吴审计（安全审计员）")]


def extend(*, rng, logins):
    from linli.demo.generator import DEMO_PASSWORD, Login

    county = Division.objects.get(parent__isnull=True, level=Division.Level.COUNTY)
    admin = User.objects.filter(username="admin").first()
    for username, kind, display in DUTIES:
        user = User.objects.create_user(username, password=DEMO_PASSWORD, display_name=display)
        Role.objects.create(user=user, kind=kind, division=county, granted_by=admin)
        logins.append(Login(username, kind, county.name))
    for login in logins:
        user = User.objects.get(username=login.username)
        if twofactor.two_factor_required(user):
            TOTPDevice.objects.create(user=user, name=DEMO_DEVICE, confirmed=True)


def demo_device(username: str) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user__username=username, name=DEMO_DEVICE, confirmed=True).first()
