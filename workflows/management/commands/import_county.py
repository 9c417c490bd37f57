"""Import a county's townships, villages, units, cadres and posts from xlsx or CSV files, all or nothing."""

from argparse import RawDescriptionHelpFormatter

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from django.utils.translation import gettext as _

from workflows.importing import ImportRejected, county_import, county_import_template
from workflows.models import County, User

HELP = """Import a county's townships, villages, units, cadres and posts, all or nothing (R-O1, R-O2, R-O3).

FILE is an .xlsx workbook with sheets named 乡镇, 行政村, 单位, 干部, 任职 (any subset), or .csv
files, one per sheet, recognised by a file name containing 乡镇/行政村/单位/干部/任职 or else by the header
row; CSV may be UTF-8 (with or without BOM) or GBK. Several files form one import. Row 1 holds the
headers; * marks a required column; extra columns are ignored:

  乡镇    乡镇代码*, 乡镇名称*, 类型 (镇/乡/街道, empty = 镇)
  行政村  村代码*, 村名称*, 所属乡镇* (name or code), 班子软弱涣散, 换届选举重难点, 原革命老区,
          少数民族村 (是/否, 1/0, Y/N, √; empty = 否), 年度, 村集体收入(元), 其中上级补助(元)
          (all three or none)
  单位    单位代码*, 单位名称*
  干部    姓名*, 身份证号*, 所属单位* (name or code), 性别 (男/女), 出生日期 (both from the ID
          number when empty), 职级 (科员, 副科级, 正科级, ...; empty = 科员), 职务, 手机号,
          中共党员, 后备干部, 重点培养 (是/否)
  任职    姓名*, 身份证号*, 职务* (县委组织部, 审计员, 单位主要领导, 单位分管领导, 乡镇党委),
          任职单位或乡镇 (unit or township name or code; empty for 县委组织部/审计员),
          职务名称, 手机号. The person is found by ID number (cadre or account) or created; a post
          already held is left as it is; a unit's head or deputy already in post refuses another.

A code or ID number already in the county updates that record. Any error rejects every file, lists
each error by sheet, row and column, and exits with status 1. Use --template PATH for an empty
workbook to fill in.
"""


class _HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Keep the column table in the help laid out as written.
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = _HelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help="xlsx or csv files, imported as one whole")
        parser.add_argument(
            "--county",
            metavar="CODE",
            help="code of the county to import into (default: the only county in the database)",
        )
        parser.add_argument("--county-code", metavar="CODE", help="code of a county to create if it does not exist")
        parser.add_argument("--county-name", metavar="NAME", help="name of the county to create")
        parser.add_argument("--by", metavar="USERNAME", help="the user the audit trail names (default: 系统)")
        parser.add_argument("--template", metavar="PATH", help="write an empty xlsx template to PATH and exit")

    def handle(self, *args, **options):
        if options["template"]:
            path = county_import_template(path=options["template"])
            self.stdout.write(_("已生成导入模板:%(path)s") % {"path": path})
            return
        if not options["files"]:
            raise CommandError(_("请给出要导入的文件,或用 --template 生成模板。"))
        by = None
        if options["by"]:
            by = User.objects.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(_("用户「%(username)s」不存在。") % {"username": options["by"]})
        county = self._county(options)
        try:
            result = county_import(files=options["files"], county=county, by=by)
        except ImportRejected as rejected:
            raise CommandError("\n".join([rejected.summary(), *rejected.lines()])) from None
        except PermissionDenied as denied:
            raise CommandError(str(denied)) from None
        self.stdout.write(self.style.SUCCESS("\n".join(result.lines())))

    def _county(self, options) -> County:
        """Choose the county named, the only one, or a new one from --county-code and --county-name."""
        code = options["county"] or options["county_code"]
        if code:
            county = County.objects.filter(code=code).first()
            if county is not None:
                return county
            if options["county_name"]:
                return County(code=code, name=options["county_name"])
            raise CommandError(_("县代码「%(code)s」不存在;要新建,请同时给出 --county-name。") % {"code": code})
        counties = list(County.objects.all()[:2])
        if len(counties) == 1:
            return counties[0]
        if not counties:
            raise CommandError(_("数据库中还没有县:请用 --county-code 和 --county-name 新建。"))
        codes = "、".join(f"{c.code} {c.name}" for c in County.objects.all())
        raise CommandError(_("数据库中有多个县,请用 --county 指定:%(codes)s") % {"codes": codes})
