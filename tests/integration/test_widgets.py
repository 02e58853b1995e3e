"""The filter bars' Quick widgets write what Django's template-rendered widgets write: the
same elements, attributes and text (only the blank lines between options differ)."""

import re

import pytest
from django import forms

from crm.forms import AccountFilterForm
from integration.pages import ListFilterForm
from integration.widgets import QuickSelect, quick

pytestmark = pytest.mark.django_db


class Sample(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any"), ("open", "Open <now>"), ("closed", "Closed & done")], required=False
    )
    grouped = forms.ChoiceField(
        choices=[("", "Any"), ("North", [("fi", "Finland"), ("se", "Sweden")]), ("de", "Germany")],
        required=False,
    )
    needed = forms.ChoiceField(choices=[("", "Pick one"), ("a", "A")])
    name = forms.CharField(required=False, max_length=20)
    count = forms.IntegerField(required=False, min_value=0)
    email = forms.EmailField(required=False)
    day = forms.DateField(required=False)


def _tags(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html))


def _both(data):
    """Each field rendered by Django's widget and by its Quick twin, in the same form."""
    form = Sample(data, auto_id="id_%s")
    pairs = {}
    for name, field in form.fields.items():
        bound = form[name]
        django_html = _tags(bound)
        field.widget = quick(field.widget)
        assert type(field.widget).__name__.startswith("Quick"), name
        pairs[name] = (django_html, _tags(bound))
    return pairs


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"status": "open", "grouped": "se", "needed": "a", "name": 'Ai"no <b>', "count": "3"},
        {"status": "nope", "grouped": "de", "email": "a@b.example", "day": "2026-11-27"},
        {"count": "-1", "name": "x" * 30},  # invalid values are shown back as typed
    ],
)
def test_quick_widgets_render_the_same_markup_as_django(data):
    for name, (django_html, quick_html) in _both(data).items():
        assert quick_html == django_html, name


def test_a_selected_option_is_marked_once_and_labels_are_escaped():
    select = QuickSelect(choices=[("a", "A & B"), ("a", "again")])
    html = select.render("x", "a")
    assert html.count(" selected") == 1
    assert "A &amp; B" in html


def test_list_filter_forms_use_quick_widgets_and_model_choices(make_user):
    owner = make_user(username="owner1", first_name="Olga", last_name="Owner")
    form = AccountFilterForm({"status": "active", "owner": str(owner.pk)})
    assert isinstance(form, ListFilterForm)
    html = str(form["owner"])
    assert f'<option value="{owner.pk}" selected>' in html
    assert "Olga Owner" in html
    assert 'class="form-select form-select-sm"' in html
    assert '<option value="active" selected>' in str(form["status"])


def test_widgets_of_other_classes_are_left_alone():
    widget = forms.CheckboxSelectMultiple(choices=[("a", "A")])
    assert quick(widget) is widget


def test_url_maker_writes_what_reverse_writes():
    from django.urls import reverse

    from integration.pages import url_maker

    detail = url_maker("crm:account_detail")
    for pk in (1, 42, 918_273_645, 10**12):
        assert detail(pk) == reverse("crm:account_detail", args=[pk])
