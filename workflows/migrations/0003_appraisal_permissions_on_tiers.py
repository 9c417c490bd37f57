# The tier permissions of the appraisal: scoring by the unit, scoring and the villagers' vote by the township.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0002_audit_append_only_triggers'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='township',
            options={'ordering': ['code'], 'permissions': [('view_township_records', '查看本乡镇记录'), ('manage_stationed_cadres', '管理驻本乡镇干部'), ('decide_leave', '审批驻本乡镇干部请假'), ('appraise_township_cadres', '考评驻本乡镇干部、组织村民评议')], 'verbose_name': '乡镇(街道)', 'verbose_name_plural': '乡镇(街道)'},
        ),
        migrations.AlterModelOptions(
            name='unit',
            options={'ordering': ['code'], 'permissions': [('view_unit_records', '查看本单位记录'), ('nominate_cadres', '推荐本单位干部'), ('approve_nominations', '审批本单位推荐'), ('appraise_unit_cadres', '考评本单位驻村干部')], 'verbose_name': '县直单位', 'verbose_name_plural': '县直单位'},
        ),
    ]
