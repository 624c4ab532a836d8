"""Forms for the fleet pages: the job list's filters and the failures' triage."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from jobs.job_page.formatting import status_choice

STATUS_CHOICES = [("", _("Any status"))] + [
    (s, status_choice(s)) for s in ("TRANSFERRING", "SUCCESS", "FAILED", "PRECHECK FAILED")
]
PAGE_SIZES = (10, 25, 50, 100)


class JobListForm(forms.Form):
    """The list's filters, all in the URL. Dates are whole days in the user's time zone."""

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    name = forms.CharField(label=_("Name contains"), max_length=50, required=False)
    created_from = forms.DateField(
        label=_("Created on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    completed_from = forms.DateField(
        label=_("Finished on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("created_at", _("Created")), ("name", _("Name"))],
    )
    dir = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("desc", _("Newest / Z first")), ("asc", _("Oldest / A first"))],
    )
    size = forms.TypedChoiceField(
        label=_("Per page"),
        required=False,
        coerce=int,
        empty_value=25,
        choices=[(n, n) for n in PAGE_SIZES],
        widget=forms.Select(attrs={"data-default": "25"}),
    )
    page = forms.IntegerField(
        min_value=1, max_value=100000, required=False, widget=forms.HiddenInput
    )

    def clean_created_from(self):
        return _plausible_day(self.cleaned_data.get("created_from"))

    def clean_completed_from(self):
        return _plausible_day(self.cleaned_data.get("completed_from"))


FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(9000, 12, 31)


def _plausible_day(day):
    """Whole days DRS can have jobs on; far-off ones (0001-01-01) would overflow once shifted
    into the user's time zone."""
    if day and not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(
            _("Choose a date between %(first)s and %(last)s."),
            params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return day


class TriageForm(forms.Form):
    tenant = forms.CharField(required=False, max_length=50)
    days = forms.TypedChoiceField(
        label=_("Created in the last"),
        required=False,
        coerce=int,
        empty_value=30,
        choices=[
            (1, _("1 day")),
            (7, _("7 days")),
            (30, _("30 days")),
            (90, _("90 days")),
            (0, _("any time")),
        ],
    )
