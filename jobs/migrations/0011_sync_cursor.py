"""Issue 19: the sync's resumable walk (its cursor in the sync state), the details it left
pending, and each mirror row's digest of its list fields (the cheap steady state)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0010_people"),
    ]

    operations = [
        migrations.AddField(
            model_name="mirroredjob",
            name="seen_digest",
            field=models.CharField(blank=True, max_length=32),
        ),
        # Existing tenants may have details pending: 1 until their next run counts them.
        migrations.AddField(
            model_name="tenantsyncstate",
            name="details_pending",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="tenantsyncstate",
            name="details_pending",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="tenantsyncstate",
            name="walk_count",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="tenantsyncstate",
            name="walk_offset",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="tenantsyncstate",
            name="walk_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
