from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed attempts. This account is locked until %(until)s."),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            until = getattr(self.request, "linli_locked_until", None)
            if until:
                raise forms.ValidationError(
                    self.error_messages["locked"], code="locked",
                    params={"until": formats.date_format(timezone.localtime(until), "TIME_FORMAT")},
                ) from None
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=20,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )


class AuditFilterForm(forms.Form):
    LOGS = [("access", _("Personal-data access")), ("changes", _("Changes to records"))]

    log = forms.ChoiceField(label=_("Log"), choices=LOGS, required=False)
    user = forms.CharField(label=_("User"), max_length=150, required=False)
    person = forms.IntegerField(label=_("Person (record number)"), min_value=1, max_value=2**62, required=False)
    action = forms.CharField(label=pgettext_lazy("access log", "Action"), max_length=10, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):
            d = data.get(name)
            if d and not (2000 <= d.year <= 2100):
                self.add_error(name, _("Enter a date between 2000 and 2100."))
        return data


class GrantForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    kind = forms.ChoiceField(label=pgettext_lazy("role grant", "Role"), choices=[])
    division = forms.ModelChoiceField(label=_("Division"), queryset=None)

    def __init__(self, *args, **kwargs):
        from linli.accounts.models import Role
        from linli.divisions.models import Division

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Role.Kind.choices
        self.fields["division"].queryset = Division.objects.order_by("path")

    def clean_username(self):
        from linli.accounts.models import User

        user = User.objects.filter(username=self.cleaned_data["username"]).first()
        if user is None:
            raise forms.ValidationError(_("There is no account with this username."))
        return user


class UserCreateForm(forms.Form):
    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$")
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput(render_value=True),
                               max_length=128)

    def clean_username(self):
        from linli.accounts.models import User

        name = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(_("This username is taken."))
        return name

    def clean_password(self):
        from django.contrib.auth import password_validation

        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password
