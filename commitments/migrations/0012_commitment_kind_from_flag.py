from django.db import migrations


def kinds_from_flags(apps, schema_editor):
    """Rows made before the kind call: the rules' vague flag was the only call."""
    Commitment = apps.get_model("commitments", "Commitment")
    Commitment.objects.filter(vague=True).update(kind="vague")


class Migration(migrations.Migration):
    dependencies = [("commitments", "0011_commitment_kind")]

    # Its own migration (transaction): PostgreSQL refuses to alter a table with pending trigger events.
    operations = [migrations.RunPython(kinds_from_flags, migrations.RunPython.noop)]
