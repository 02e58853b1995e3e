"""Forms of integration: creating an API token in admin."""

from django import forms
from django.contrib.auth import get_user_model

from integration.roles import API_APPS

SCOPE_CHOICES = [("*", "* — everything the user may do")] + [
    (f"{app}:{mode}", f"{app}:{mode}") for app in API_APPS for mode in ("read", "write")
]


class ApiTokenCreateForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model()._default_manager.order_by("username"))
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'ERP sync'.")
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Write implies read. A token never exceeds its user's own permissions.",
    )
    expires_at = forms.DateTimeField(
        required=False, help_text="Leave empty for a token that does not expire."
    )
