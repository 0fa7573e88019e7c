import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Rules carry the time of their last change: part of the revision each process's rulebook
    compares (dispatch.rulebook)."""

    dependencies = [("dispatch", "0007_accountability_issue_street")]

    operations = [
        migrations.AddField(
            model_name="deadlinerule", name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now, verbose_name="changed"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="routingrule", name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now, verbose_name="changed"),
            preserve_default=False,
        ),
    ]
