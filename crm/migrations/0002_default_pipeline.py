"""The default sales pipeline, so an opportunity has a first stage from the start."""

from django.db import migrations

from crm.defaults import PIPELINE_NAME, ensure_default_pipeline


def create_default_pipeline(apps, schema_editor):
    ensure_default_pipeline(apps.get_model("crm", "Pipeline"), apps.get_model("crm", "Stage"))


def remove_default_pipeline(apps, schema_editor):
    Pipeline = apps.get_model("crm", "Pipeline")
    Opportunity = apps.get_model("crm", "Opportunity")
    pipeline = Pipeline.objects.filter(name=PIPELINE_NAME, is_default=True).first()
    if pipeline is not None and not Opportunity.objects.filter(stage__pipeline=pipeline).exists():
        pipeline.delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(create_default_pipeline, remove_default_pipeline)]
