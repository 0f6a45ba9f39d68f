from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("commitments", "0012_commitment_kind_from_flag")]

    operations = [
        migrations.AddConstraint(
            model_name='commitment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'concrete'), ('vague', False)), models.Q(models.Q(('kind', 'concrete'), _negated=True), ('vague', True)), _connector='OR'), name='commitment_vague_follows_kind'),
        ),
    ]
