"""The admin side of the jobs: the background re-match action, the run list with progress bars."""

import pytest

from commitments.models import MatchingRun
from tests.helpers import free_port

pytestmark = pytest.mark.django_db

BUREAUS = "/admin/commitments/bureau/"
RUNS = "/admin/commitments/matchingrun/"


@pytest.fixture(autouse=True)
def lexical(settings):
    settings.MATCH_EMBEDDINGS = False


def ask(client, bureau, **extra):
    return client.post(BUREAUS, {"action": "rematch_async", "_selected_action": [bureau.pk], **extra}, follow=True)


def test_the_background_action_asks_for_the_plan_year_first(staff_client, zhongshan_pair):
    plan, _ = zhongshan_pair

    response = ask(staff_client, plan.bureau)

    html = response.content.decode()
    assert "重新匹配（后台任务）" in html and "中山市民政局" in html
    assert '<option value="2022">2022年</option>' in html and "全部年份" in html
    assert not MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).exists()


def test_the_background_action_runs_the_chosen_year(staff_client, zhongshan_pair):
    plan, _ = zhongshan_pair

    response = ask(staff_client, plan.bureau, apply="1", year="2022")

    run = MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).get()
    assert (run.scope_bureau, run.scope_year, run.state) == (plan.bureau, 2022, MatchingRun.State.DONE)
    assert f"中山市民政局：已提交后台匹配（运行 #{run.pk}，已完成）" in response.content.decode()


def test_the_background_action_refuses_a_bureau_the_analyst_does_not_handle(client, make_user, zhongshan_pair):
    plan, _ = zhongshan_pair
    client.force_login(make_user("other", "analyst"))

    response = ask(client, plan.bureau, apply="1", year="")

    # Another bureau is not even in the analyst's list, so nothing of it can be sent.
    assert plan.bureau.name not in response.content.decode()
    assert not MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).exists()


@pytest.mark.django_db(transaction=True)  # as in a request: no transaction around the action
def test_a_queue_that_cannot_be_reached_is_reported_and_the_run_kept(staff_client, zhongshan_pair, settings):
    from tracker.celery import app

    plan, _ = zhongshan_pair
    settings.CELERY_TASK_ALWAYS_EAGER = False
    before = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)  # nobody listens
    app._pool = app.amqp._producer_pool = None
    try:
        response = ask(staff_client, plan.bureau, apply="1", year="")
    finally:
        app.conf.update(broker_url=before[0], task_always_eager=before[1])
        app._pool = app.amqp._producer_pool = None

    run = MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).get()
    assert run.state == MatchingRun.State.QUEUED and run.enqueued_at is None and "任务队列不可用" in run.error
    assert "任务队列不可用" in response.content.decode() and f"运行 #{run.pk} 已记录，恢复后自动重新排队" in (
        response.content.decode()
    )


def test_the_run_list_shows_a_progress_bar_and_reloads_while_a_run_is_active(staff_client, zhongshan_pair):
    bureau = zhongshan_pair[0].bureau
    MatchingRun.objects.create(scope_bureau=bureau, state=MatchingRun.State.RUNNING, total=40, done=10)

    html = staff_client.get(RUNS).content.decode()

    assert '<progress value="25" max="100"' in html and "10/40" in html
    assert '<meta http-equiv="refresh" content="3">' in html and "自动刷新" in html

    MatchingRun.objects.update(state=MatchingRun.State.DONE, done=40)
    html = staff_client.get(RUNS).content.decode()
    assert '<progress value="100" max="100"' in html and 'http-equiv="refresh"' not in html
