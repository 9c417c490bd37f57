"""The committed catalogues: English translates every Chinese msgid, zh_Hans gives viewflow's English in Chinese.

No gettext binaries needed: the .po files are parsed here and the .mo files are read by Python's gettext.
`scripts/translations --check` (CI) is what proves the catalogues are up to date with the sources.
"""

import ast
import gettext as gnu_gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

LOCALE = Path(settings.BASE_DIR) / "locale"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|\{\w*\}")


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file as written by the gettext tools (blank-line separated), obsolete ones left out."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key = {"flags": set(), "msgstr": {}}, None
        for line in block.strip().splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if isinstance(key, int):
                    entry["msgstr"][key] += ast.literal_eval(line)
                else:
                    entry[key] += ast.literal_eval(line)
            else:
                word, _, value = line.partition(" ")
                if word.startswith("msgstr"):
                    key = int(word[7:-1]) if "[" in word else 0
                    entry["msgstr"][key] = ast.literal_eval(value)
                else:
                    key = word
                    entry[key] = ast.literal_eval(value)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def name(entry: dict) -> str:
    return f"[{entry['msgctxt']}] {entry['msgid']!r}" if "msgctxt" in entry else repr(entry["msgid"])


@pytest.fixture(scope="module")
def en_entries():
    return parse_po(EN_PO)


@pytest.fixture(scope="module")
def zh_entries():
    return parse_po(ZH_PO)


def test_the_catalogues_declare_their_language_and_plural_forms():
    en = EN_PO.read_text(encoding="utf-8")
    zh = ZH_PO.read_text(encoding="utf-8")
    assert '"Language: en\\n"' in en and '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in en
    assert '"Language: zh_Hans\\n"' in zh and '"Plural-Forms: nplurals=1; plural=0;\\n"' in zh
    assert "charset=UTF-8" in en and "charset=UTF-8" in zh


def test_every_english_entry_is_translated_and_none_is_fuzzy(en_entries):
    assert len(en_entries) > 100
    untranslated = [name(e) for e in en_entries if not all(e["msgstr"].values())]
    fuzzy = [name(e) for e in en_entries if "fuzzy" in e["flags"]]
    assert not untranslated, "untranslated English entries (run scripts/translations): " + ", ".join(untranslated)
    assert not fuzzy, "fuzzy English entries (check them, drop the flag): " + ", ".join(fuzzy)


def test_every_non_chinese_msgid_has_chinese_in_zh_hans(zh_entries):
    """Viewflow's msgids (and any English msgid of ours) need Chinese; our Chinese msgids need nothing."""
    foreign = [e for e in zh_entries if not CJK.search(e["msgid"])]
    assert len(foreign) > 100  # viewflow's messages are merged in
    missing = [name(e) for e in foreign if not all(e["msgstr"].values()) or "fuzzy" in e["flags"]]
    assert not missing, "untranslated or fuzzy zh_Hans entries: " + ", ".join(missing)
    for msgid in ("Applications", "Log out", "Inbox", "Queue", "Archive", "Assign", "Unassign", "Process", "Task"):
        assert any(e["msgid"] == msgid for e in foreign), msgid


def test_both_catalogues_hold_the_same_chinese_msgids(en_entries, zh_entries):
    """They come from one extraction; a difference means only one of them was regenerated."""
    en = {(e.get("msgctxt"), e["msgid"]) for e in en_entries}
    zh = {(e.get("msgctxt"), e["msgid"]) for e in zh_entries if CJK.search(e["msgid"])}
    assert zh <= en, sorted(zh - en)[:10]
    assert {m for m in en if CJK.search(m[1])} == zh


@pytest.mark.parametrize("po", [EN_PO, ZH_PO], ids=["en", "zh_Hans"])
def test_translations_keep_the_placeholders_of_their_msgid(po):
    one_form = po == ZH_PO  # nplurals=1: msgstr[0] serves every count, so it follows msgid_plural
    broken = []
    for entry in parse_po(po):
        for index, msgstr in entry["msgstr"].items():
            if not msgstr:
                continue
            plural = "msgid_plural" in entry and (index > 0 or one_form)
            source = entry["msgid_plural"] if plural else entry["msgid"]
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(msgstr)):
                broken.append(f"{name(entry)} -> {msgstr!r}")
    assert not broken, "placeholders differ: " + "; ".join(broken)


@pytest.mark.parametrize("po", [EN_PO, ZH_PO], ids=["en", "zh_Hans"])
def test_the_committed_mo_matches_its_po(po):
    """The .mo is what Django reads; it must hold exactly the .po's translations (run scripts/translations)."""
    with open(po.with_suffix(".mo"), "rb") as f:
        catalog = gnu_gettext.GNUTranslations(f)._catalog
    expected = {}
    for entry in parse_po(po):
        if "fuzzy" in entry["flags"] or not all(entry["msgstr"].values()):
            continue
        key = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            expected.update({(key, i): s for i, s in entry["msgstr"].items()})
        else:
            expected[key] = entry["msgstr"][0]
    compiled = {k: v for k, v in catalog.items() if k != ""}
    assert compiled == expected


def test_english_translates_our_chinese_strings():
    with translation.override("en"):
        assert gettext("工作台") == "Workbench"
        assert gettext("县直单位") == "County units"
        assert gettext("县委组织部") == "County Organisation Department"
        assert gettext("乡镇党委") == "Township party committee"
        assert gettext("后备干部") == "Reserve cadre"
        assert gettext("班子软弱涣散村") == "Village with a weak or lax leadership team"
        assert gettext("空壳村") == "Empty-shell village"
        assert gettext("驻村蹲点干部管理") == "Village Stationing of Cadres"
        greeting = Template("{% load i18n %}{% blocktrans with name=who %}{{ name }},您好{% endblocktrans %}")
        assert greeting.render(Context({"who": "王建国"})) == "Hello, 王建国"


def test_english_model_labels_come_from_the_catalogue():
    from workflows.models import Role, Unit, Village, VillageCategory

    with translation.override("en"):
        assert str(Unit._meta.verbose_name) == "County units"
        assert str(Village._meta.get_field("code").verbose_name) == "Village code"
        assert str(Role.UNIT_DEPUTY.label) == "Deputy in charge"
        assert str(VillageCategory.OLD_REVOLUTIONARY.label) == "Old revolutionary base village"


def test_english_leaves_viewflows_own_english_alone():
    """No Chinese leaks into English through a fallback to the default language's catalogue."""
    with translation.override("en"):
        assert gettext("Applications") == "Applications"
        assert gettext("Log out") == "Log out"
        assert pgettext("STATUS", "Done") == "Done"


def test_chinese_gives_viewflows_words_in_chinese():
    with translation.override("zh-hans"):
        assert gettext("Applications") == "应用"
        assert gettext("Log out") == "退出登录"
        assert gettext("Inbox") == "待办"
        assert gettext("Queue") == "待领取"
        assert gettext("Archive") == "已办"
        assert gettext("Assign") == "领取"
        assert gettext("Unassign") == "放弃"
        assert gettext("Process") == "流程"
        assert gettext("Task") == "任务"
        assert pgettext("STATUS", "Done") == "已完成"
        assert gettext("Task {task} has been assigned.").format(task="#7") == "任务 #7 已领取。"
        message = ngettext(
            "\n                  This process can not be canceled while a task is still in progress.\n                ",
            "\n                  This process can not be canceled while tasks are still in progress.\n                ",
            2,
        )
        assert message.strip() == "尚有任务正在办理,不能取消此流程。"


def test_chinese_keeps_our_chinese_msgids_as_they_are():
    with translation.override("zh-hans"):
        assert gettext("工作台") == "工作台"
        assert gettext("县直单位") == "县直单位"
        assert gettext("English") == "英语"
