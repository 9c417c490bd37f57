"""Words for the audit trail: action names and the keys of an event's data, each process adding its own.

The process apps register theirs in `AppConfig.ready()` (the shared layer never imports them); this module
imports nothing of the project, so the models and the audit trail can both read it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: Human names of the actions, for pages and exports; each process adds its own with `register_actions`.
ACTION_LABELS: dict[str, Any] = {
    "post.appoint": gettext_lazy("任命职务"),
    "post.end": gettext_lazy("免去职务"),
    "post.refused": gettext_lazy("越权任免被拒绝"),
    "post.grants_sync": gettext_lazy("按角色补授职务权限"),
    "policy.change": gettext_lazy("政策参数变更"),
    "county.import": gettext_lazy("导入全县基础数据"),
    "county.import.prune": gettext_lazy("清除过期导入文件"),
    "county.create": gettext_lazy("新建县"),
    "person.create": gettext_lazy("新建人员"),
    "unit.update": gettext_lazy("修改县直单位"),
    "township.update": gettext_lazy("修改乡镇(街道)"),
    "village.update": gettext_lazy("修改行政村"),
    "village.income_set": gettext_lazy("登记村集体收入"),
    "cadre.update": gettext_lazy("修改干部信息"),
    "account.code_issue": gettext_lazy("签发激活码"),
    "account.codes_issue": gettext_lazy("批量签发激活码"),
    "account.activate": gettext_lazy("使用激活码设置密码"),
    "account.password_change": gettext_lazy("修改密码"),
    "account.deactivate": gettext_lazy("停用账号"),
    "account.reactivate": gettext_lazy("恢复账号"),
    "account.refused": gettext_lazy("越权管理账号被拒绝"),
    "account.unlock": gettext_lazy("解除登录锁定"),
    "task.take": gettext_lazy("接手办理待办事项"),
    "task.hand_over": gettext_lazy("转交待办事项"),
    "task.release": gettext_lazy("退回待认领"),
    "task.return": gettext_lazy("免职后事项退回待认领"),
}


def register_actions(labels: dict[str, Any]) -> None:
    ACTION_LABELS.update(labels)


#: Words for the keys services put in an event's data; each process adds its own with `register_data_labels`.
DATA_LABELS: dict[str, Any] = {
    "cadre": gettext_lazy("干部"),
    "cadres": gettext_lazy("干部人数"),
    "changed": gettext_lazy("变更内容"),
    "code": gettext_lazy("代码"),
    "count": gettext_lazy("数量"),
    "counts": gettext_lazy("条数"),
    "county_created": gettext_lazy("新建县"),
    "created": gettext_lazy("新建"),
    "date": gettext_lazy("日期"),
    "days": gettext_lazy("天数"),
    "files": gettext_lazy("文件"),
    "upload": gettext_lazy("导入文件编号"),
    "sha256": gettext_lazy("文件摘要(SHA-256)"),
    "address": gettext_lazy("网络地址"),
    "from": gettext_lazy("自"),
    "granted": gettext_lazy("授予权限"),
    "expires": gettext_lazy("失效时间"),
    "forced": gettext_lazy("按要求修改"),
    "incomes": gettext_lazy("收入记录"),
    "kind": gettext_lazy("类别"),
    "month": gettext_lazy("月份"),
    "name": gettext_lazy("姓名/名称"),
    "number": gettext_lazy("编号"),
    "on": gettext_lazy("日期"),
    "owner": gettext_lazy("本人"),
    "perm": gettext_lazy("所需权限"),
    "policy": gettext_lazy("政策参数"),
    "post": gettext_lazy("任职编号"),
    "purpose": gettext_lazy("用途"),
    "revoked": gettext_lazy("收回权限"),
    "role": gettext_lazy("职务"),
    "scope": gettext_lazy("范围"),
    "source": gettext_lazy("来源"),
    "task": gettext_lazy("待办事项"),
    "task_id": gettext_lazy("事项编号"),
    "from_name": gettext_lazy("原办理人"),
    "to_name": gettext_lazy("现办理人"),
    "all": gettext_lazy("全部移交"),
    "tier": gettext_lazy("层级"),
    "title": gettext_lazy("标题/职务名称"),
    "to": gettext_lazy("至"),
    "township": gettext_lazy("乡镇"),
    "units": gettext_lazy("单位"),
    "user": gettext_lazy("账号"),
    "users_created": gettext_lazy("新建账号"),
    "village": gettext_lazy("村"),
    "voided": gettext_lazy("作废旧码"),
    "villages": gettext_lazy("村"),
    "year": gettext_lazy("年度"),
}


def register_data_labels(labels: dict[str, Any]) -> None:
    DATA_LABELS.update(labels)


def data_label(key: str) -> str:
    """The words for a key of an event's data; a key no app registered is shown as it is."""
    return str(DATA_LABELS.get(key, key))


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if action.endswith(".refused"):
        base = action.removesuffix(".refused")
        return _("越权操作被拒绝:%(action)s") % {"action": ACTION_LABELS.get(base, base)}
    return action
