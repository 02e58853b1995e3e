"""Factories for CRM records: plain ORM rows for fixtures (no events); tests of behaviour
create through crm.services."""

from decimal import Decimal

import factory

from crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignMember,
    Contact,
    Lead,
    Opportunity,
    Pipeline,
    Segment,
    Stage,
    Tag,
    WebLeadForm,
)
from crm.services.accounts import domain_of, normalize_name


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Company {n} Oy")
    normalized_name = factory.LazyAttribute(lambda a: normalize_name(a.name))
    website = factory.Sequence(lambda n: f"https://www.company{n}.example")
    domain = factory.LazyAttribute(lambda a: domain_of(website=a.website, email=a.email))
    industry = "Software"
    billing_country = "FI"
    email = ""

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(
                TagFactory(name=name) if isinstance(name, str) else name for name in extracted
            )


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.test")


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Pipeline {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n + 1)
    probability = 50


def default_stage(name: str = "Qualification") -> Stage:
    """A stage of the default pipeline the migration creates."""
    return Stage.objects.get(pipeline__is_default=True, name=name)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("1000.00")
    stage = factory.LazyFunction(default_stage)
    probability = factory.LazyAttribute(lambda o: o.stage.probability)
    status = factory.LazyAttribute(lambda o: o.stage.outcome)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    account = factory.SubFactory(AccountFactory)
    kind = Activity.Kind.TASK
    subject = factory.Sequence(lambda n: f"Follow up {n}")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    company = factory.Sequence(lambda n: f"Leadco {n}")
    email = factory.Sequence(lambda n: f"lead{n}@leadco{n}.example")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    criteria = factory.LazyFunction(dict)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    segment = factory.SubFactory(SegmentFactory)
    subject = "News for {{ account }}"
    body = "Hello {{ contact.first_name }}"


class CampaignMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignMember

    campaign = factory.SubFactory(CampaignFactory)
    contact = factory.SubFactory(ContactFactory)


class WebLeadFormFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebLeadForm

    name = factory.Sequence(lambda n: f"Website form {n}")
