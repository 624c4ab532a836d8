from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jobs.notify.models import (
    AFTER_MINUTES_MAX,
    AFTER_MINUTES_MIN,
    LANGUAGES,
    Channel,
    Event,
    Subscription,
)
from jobs.notify.targets import TargetRefused, checked


class ChannelForm(forms.Form):
    """The URL is write-only: a PasswordInput never rendered back."""

    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Apprise URL"),
        max_length=2000,
        widget=forms.PasswordInput(),
        help_text=_(
            "mailto://user:password@smtp.example.com?to=ops@example.com, "
            "jsons://hooks.example.com/drs, slack://…, workflows://… (Teams), dingtalk://…, "
            "feishu://…, lark://…, wecombot://…"
        ),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)

    def __init__(self, *args, tenant=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise forms.ValidationError(_("A name cannot hold control characters."))
        if Channel.objects.filter(tenant=self.tenant, name=name).exists():
            raise forms.ValidationError(_("A channel of this name exists."))
        return name

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            checked(url)
        except TargetRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


class RuleForm(forms.Form):
    event = forms.ChoiceField(label=_("When"), choices=Event.choices)
    channel = forms.ModelChoiceField(label=_("Send to"), queryset=Channel.objects.none())
    after_minutes = forms.IntegerField(
        label=_("Sync failing for more than (minutes)"),
        min_value=AFTER_MINUTES_MIN,
        max_value=AFTER_MINUTES_MAX,
        initial=30,
        required=False,
    )

    def __init__(self, *args, tenant=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(tenant=tenant)


class SubscriptionForm(forms.ModelForm):
    """What to email about. The language and time zone are the account's (Preferences): the
    view copies them onto the subscription, where the digest's schedule reads them."""

    class Meta:
        model = Subscription
        fields = ["failures", "digest_at"]
        widgets = {"digest_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
