"""Indexes in the list pages' default orders, so a page reads its rows in order instead of
sorting the table: opportunities and activities newest first (created_at, id), contacts
by last name (last_name, id: the page's keyset, which crm_contact_name's first_name
column would split), and opportunities by name. At 1,000,000 accounts the opportunity
page sorted 500,000 rows (145 ms) and the activity page 1,000,000 (264 ms).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_contact_search_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["created_at", "id"], name="crm_activity_created"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["last_name", "id"], name="crm_contact_last_name"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["created_at", "id"], name="crm_opportunity_created"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["name", "id"], name="crm_opportunity_name"),
        ),
    ]
