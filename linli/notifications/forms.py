from django import forms
from django.utils.translation import gettext_lazy as _

from linli.notifications.models import Preference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["language", "sms", "wechat", "email", "quiet_start", "quiet_end"]
        widgets = {"quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        help_texts = {"quiet_start": _("No SMS, WeChat message or email between these times, except "
                                       "safety alerts about a child; they wait until the morning.")}
