"""The to-do list names each task's artifact without a query per task (R-O4 pages at province size)."""

from appraisal.flows import AppraisalFlow
from dispatch.flows import DispatchFlow
from tests.appraisal.conftest import close_vote, score_both
from workflows.flows import open_tasks_for


def test_naming_the_tasks_of_the_to_do_list_costs_no_query_per_task_r_a1(round_world, django_assert_num_queries):
    """The org dept's finalise tasks (R-A1, R-A2) are listed by cadre and round with no further query."""
    w = round_world
    score_both(w, w["appraisal_a"])
    score_both(w, w["appraisal_b"])

    close_vote(w["round"], w["people"]["org"])
    tasks = open_tasks_for(w["people"]["org"], [AppraisalFlow, DispatchFlow])
    assert len(tasks) == 2
    with django_assert_num_queries(0):
        names = [str(task.process.artifact) for task in tasks]
    assert any("李卫东" in name for name in names)
