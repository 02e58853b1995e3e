"""CONTACT account words by their key's first five letters, in name order.

A one-word term of five letters or more found by contacts read, in name order, every
CONTACT row under its first three letters until a page of its own: "karhu" passed 43,000
"kar…" rows (Kari, Karl, Karjalainen …) before the first Karhu account at 1M accounts.
This index gives the term's own range (crm.selectors.AccountWords.page).
"""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0012_account_words"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accountword",
            index=models.Index(
                django.db.models.functions.text.Left("key", 5),
                models.F("name"),
                models.F("account_id"),
                condition=models.Q(("kind", "c")),
                name="crm_word_contact_name",
            ),
        ),
    ]
