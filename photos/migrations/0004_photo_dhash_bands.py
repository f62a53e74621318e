"""The reuse lookup's columns: the dHash as a 64-bit integer and its bands, each indexed.

The new columns are nullable (adding them rewrites no table); existing photos are filled in
batches, each in its own short transaction (the migration is not atomic), so that writes to the
table wait at most one batch; the indexes are built once the columns are filled.
"""

from django.db import migrations, models, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from photos.imaging import dhash_from_hex
from photos.models import dhash_columns

BATCH = 2000


def fill_dhash_columns(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    photo_model = apps.get_model("photos", "Photo")
    database = schema_editor.connection.alias
    unfilled = (
        photo_model.objects.using(database)
        .exclude(dhash="")
        .filter(dhash_bits__isnull=True)
        .order_by("pk")
    )
    last_pk = None
    while True:
        batch_rows = unfilled if last_pk is None else unfilled.filter(pk__gt=last_pk)
        batch = list(batch_rows.only("pk", "dhash")[:BATCH])
        if not batch:
            return
        for photo in batch:
            for name, value in dhash_columns(dhash_from_hex(photo.dhash)).items():
                setattr(photo, name, value)
        with transaction.atomic(using=database):
            photo_model.objects.using(database).bulk_update(
                batch, ["dhash_bits", "dhash_band_0", "dhash_band_1", "dhash_band_2"]
            )
        last_pk = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("photos", "0003_photo_content_credentials"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="dhash_band_0",
            field=models.IntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="dhash_band_1",
            field=models.IntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="dhash_band_2",
            field=models.IntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="dhash_bits",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_dhash_columns, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(fields=["dhash_band_0"], name="photo_dhash_band_0_idx"),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(fields=["dhash_band_1"], name="photo_dhash_band_1_idx"),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(fields=["dhash_band_2"], name="photo_dhash_band_2_idx"),
        ),
    ]
