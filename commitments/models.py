"""Data model: bureaus publish reports; reports split into sections; plan sections yield commitments."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from commitments.engine.types import STATUS_LABELS


class BureauQuerySet(models.QuerySet):
    def scorecards_mark_stale(self) -> int:
        """Mark these bureaus' counted-ahead scorecard figures out of date (the next page recounts them).

        Saves and deletes do it through signals (commitments/scorecards/tally.py); a bulk write, which
        sends none, calls this itself, in its own transaction.
        """
        return self.filter(scorecard_stale=False).update(scorecard_stale=True)


class Bureau(models.Model):
    name = models.CharField("名称", max_length=200, unique=True)
    region = models.CharField("地区", max_length=100, blank=True)
    level = models.CharField("层级", max_length=20, blank=True, help_text="如 国家、省、市、县、区")
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    is_placeholder = models.BooleanField(
        "占位单位", default=False, help_text="报告未写明发布单位时暂存于此，待分析员更正"
    )
    # Set by any write that changes the bureau's figures (scorecards_mark_stale); the scorecards recount then.
    scorecard_stale = models.BooleanField("计分卡待重算", default=True, db_index=True, editable=False)

    objects = BureauQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Report(models.Model):
    bureau = models.ForeignKey(Bureau, verbose_name="单位", on_delete=models.PROTECT, related_name="reports")
    title = models.CharField("标题", max_length=500)
    source = models.CharField("来源文件", max_length=500, blank=True)
    source_format = models.CharField("格式", max_length=10, blank=True)
    encoding = models.CharField("编码", max_length=20, blank=True)
    year = models.PositiveSmallIntegerField("报告年份", null=True, blank=True, help_text="报告本身所属年份；未知则留空")
    published = models.DateField("发布日期", null=True, blank=True)
    text = models.TextField("正文")
    sha256 = models.CharField("内容哈希", max_length=64)
    warnings = models.JSONField("导入提示", default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True, on_delete=models.SET_NULL
    )
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    engine_version = models.CharField("抽取引擎版本", max_length=40, blank=True)

    class Meta:
        verbose_name = "工作报告"
        verbose_name_plural = "工作报告"
        ordering = ["bureau__name", "-year", "title"]
        constraints = [models.UniqueConstraint(fields=["bureau", "sha256"], name="report_unique_content_per_bureau")]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    class Kind(models.TextChoices):
        REVIEW = "review", "工作回顾"
        PLAN = "plan", "工作计划"
        OTHER = "other", "其他"

    report = models.ForeignKey(Report, verbose_name="报告", on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField("序号", default=0)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField("年份", null=True, blank=True, help_text="未知则留空")
    period = models.CharField("期间", max_length=20, blank=True, help_text="全年、上半年、下半年、第三季度、下一阶段等")
    heading = models.CharField("标题", max_length=300, blank=True)
    start = models.PositiveIntegerField("起始位置")
    end = models.PositiveIntegerField("结束位置")

    class Meta:
        verbose_name = "报告部分"
        verbose_name_plural = "报告部分"
        ordering = ["report", "order"]

    def __str__(self) -> str:
        year = f"{self.year}年" if self.year else "年份未知"
        return f"{self.get_kind_display()} {year}{self.period or ''}：{self.heading}"

    @property
    def text(self) -> str:
        return self.report.text[self.start : self.end]


class Commitment(models.Model):
    section = models.ForeignKey(Section, verbose_name="计划部分", on_delete=models.CASCADE, related_name="commitments")
    order = models.PositiveIntegerField("序号", default=0)
    text = models.TextField("承诺")
    topic = models.CharField("主题", max_length=300, blank=True, help_text="所在最近一级标题")
    topic_path = models.JSONField("主题路径", default=list, blank=True)
    start = models.PositiveIntegerField("起始位置")
    end = models.PositiveIntegerField("结束位置")
    documents = models.JSONField("文件名称", default=list, blank=True)
    targets = models.JSONField("量化目标", default=list, blank=True)
    actions = models.JSONField("行动词", default=list, blank=True)
    deadline = models.CharField("时限", max_length=100, blank=True)

    class Kind(models.TextChoices):
        CONCRETE = "concrete", "具体"
        VAGUE = "vague", "表述笼统"
        NOT_COMMITMENT = "not_commitment", "非承诺"

    kind = models.CharField(
        "类型", max_length=20, choices=Kind.choices, default=Kind.CONCRETE, help_text="只有具体承诺计入完成率"
    )
    # Anything not concrete (vague, or not a commitment at all) is out of the rate: the flag the counts read.
    vague = models.BooleanField("不计入完成率", default=False)
    kind_by_analyst = models.BooleanField(
        "类型由分析员确定", default=False, help_text="重新抽取时保留分析员确定的类型，不被机器改写"
    )
    engine_version = models.CharField("引擎版本", max_length=40, blank=True)
    # Only saves through the ORM (an analyst's call on the kind) are versions; the extractor writes in bulk.
    history = HistoricalRecords(
        verbose_name="承诺历史",
        excluded_fields=["text", "topic_path", "documents", "targets", "actions", "start", "end", "order"],
    )

    class Meta:
        verbose_name = "承诺"
        verbose_name_plural = "承诺"
        ordering = ["section", "order"]
        constraints = [
            # `vague` is what the counts read; it must say the same as the kind, whoever writes the row.
            models.CheckConstraint(
                condition=models.Q(kind="concrete", vague=False) | (~models.Q(kind="concrete") & models.Q(vague=True)),
                name="commitment_vague_follows_kind",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Evidence(models.Model):
    """One of the (at most three) review passages the matching engine ranked for a commitment."""

    commitment = models.ForeignKey(Commitment, verbose_name="承诺", on_delete=models.CASCADE, related_name="evidence")
    section = models.ForeignKey(Section, verbose_name="回顾部分", on_delete=models.CASCADE, related_name="evidence_for")
    rank = models.PositiveSmallIntegerField("名次", help_text="1 为最佳")
    text = models.TextField("证据原文")
    start = models.PositiveIntegerField("起始位置", help_text="在回顾所在报告正文中的位置")
    end = models.PositiveIntegerField("结束位置")
    score = models.FloatField("得分")
    parts = models.JSONField("得分构成", default=dict, blank=True)
    shared_terms = models.JSONField("共同关键词", default=list, blank=True)
    figures = models.JSONField("对照数字", default=list, blank=True)
    engine_version = models.CharField("匹配引擎版本", max_length=40, blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "证据"
        verbose_name_plural = "证据"
        ordering = ["commitment", "rank"]
        constraints = [models.UniqueConstraint(fields=["commitment", "rank"], name="evidence_unique_rank")]

    def __str__(self) -> str:
        return f"{self.rank}. {self.text[:60]}"


def clear_evidence_place(collector, field, sub_objs, using):
    """SET_NULL for the evidence's report, and its offsets with it: offsets without their text mean nothing.
    Run by every deletion path (admin, bulk, cascade), unlike a delete service."""
    collector.add_field_update(field, None, sub_objs)
    # One UPDATE per field, in this order: the end first, as the span check lets a lone start pass (NULL).
    for name in ("evidence_end", "evidence_start"):
        collector.add_field_update(field.model._meta.get_field(name), None, sub_objs)


class Assessment(models.Model):
    """The current verdict on a commitment: the machine's proposal until an analyst decides.

    The latest machine proposal is always kept in the `machine_*` fields, so that a decision an analyst
    took stays untouched by later runs while a disagreement still shows.
    """

    class Source(models.TextChoices):
        MACHINE = "machine", "机器建议"
        ANALYST = "analyst", "分析员确认"

    class FailureReason(models.TextChoices):
        NOT_BUDGETED = "not_budgeted", "未列入预算"
        POLICY_CHANGE = "policy_change", "政策调整"
        BEHIND_SCHEDULE = "behind_schedule", "进度滞后"
        OTHER = "other", "其他"

    STATUS_CHOICES = list(STATUS_LABELS.items())

    commitment = models.OneToOneField(
        Commitment, verbose_name="承诺", on_delete=models.CASCADE, related_name="assessment"
    )
    status = models.CharField("状态", max_length=20, choices=STATUS_CHOICES)
    confidence = models.FloatField("置信度", default=0.0)
    reason = models.TextField("理由", blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.MACHINE)
    evidence_text = models.TextField("采用的证据", blank=True, help_text="分析员选定的证据，或机器的最佳证据")
    # Where the adopted evidence stands: the review's report and offsets in its text (as Evidence keeps
    # them, and they survive a re-extraction of its sections). Empty for evidence typed by hand.
    evidence_report = models.ForeignKey(
        Report,
        verbose_name="证据所在报告",
        null=True,
        blank=True,
        on_delete=clear_evidence_place,
        related_name="+",
    )
    evidence_start = models.PositiveIntegerField("证据起始位置", null=True, blank=True)
    evidence_end = models.PositiveIntegerField("证据结束位置", null=True, blank=True)
    note = models.TextField("备注", blank=True)
    failure_reason = models.CharField("未完成原因", max_length=20, choices=FailureReason.choices, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="confirmed_assessments",
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    engine_version = models.CharField("匹配引擎版本", max_length=40, blank=True)
    machine_status = models.CharField("机器建议状态", max_length=20, choices=STATUS_CHOICES, blank=True)
    machine_confidence = models.FloatField("机器置信度", null=True, blank=True)
    machine_reason = models.TextField("机器理由", blank=True)
    machine_disagrees = models.BooleanField(
        "机器意见不同", default=False, help_text="分析员已确认，而最近一次机器匹配给出了不同的状态"
    )
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    history = HistoricalRecords(verbose_name="评估历史")

    class Meta:
        verbose_name = "评估"
        verbose_name_plural = "评估"
        ordering = ["commitment"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(evidence_start__isnull=True, evidence_end__isnull=True)
                | models.Q(evidence_start__isnull=False, evidence_end__gt=models.F("evidence_start")),
                name="assessment_evidence_span_whole",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}：{self.commitment}"


class MatchingRun(models.Model):
    """One run of the matching service over a scope (a bureau, a plan year, or everything)."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "手动"
        IMPORT = "import", "导入后"
        NIGHTLY = "nightly", "每夜全量"
        OUTDATED = "outdated", "引擎更新"

    scope_bureau = models.ForeignKey(
        Bureau, verbose_name="范围：单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope_year = models.PositiveSmallIntegerField("范围：计划年份", null=True, blank=True)
    # "<bureau id>:<year>", "*" for any: at most one run of a scope is running (the constraint below).
    scope_key = models.CharField("范围键", max_length=40, default="*:*", editable=False)
    trigger = models.CharField("发起方式", max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    engine_version = models.CharField("匹配引擎版本", max_length=40, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField("承诺总数", default=0)
    done = models.PositiveIntegerField("已处理", default=0)
    changed = models.PositiveIntegerField("有变化", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    enqueued_at = models.DateTimeField("入队时间", null=True, blank=True, help_text="最近一次送入任务队列的时间")
    heartbeat_at = models.DateTimeField("最近进度时间", null=True, blank=True)
    # Which process runs it: a holder on this host whose process is gone is taken over at once.
    holder_host = models.CharField("执行主机", max_length=255, blank=True, editable=False)
    holder_pid = models.PositiveIntegerField("执行进程", null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)

    class Meta:
        verbose_name = "匹配运行"
        verbose_name_plural = "匹配运行"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope_key"], condition=models.Q(state="running"), name="matching_run_one_running_per_scope"
            )
        ]

    def __str__(self) -> str:
        scope = "、".join(
            filter(None, [str(self.scope_bureau or ""), f"{self.scope_year}年" if self.scope_year else ""])
        )
        return f"匹配 #{self.pk}（{scope or '全部'}）"

    def save(self, *args, **kwargs):
        self.scope_key = self.scope_key_for(self.scope_bureau_id, self.scope_year)
        super().save(*args, **kwargs)

    @staticmethod
    def scope_key_for(bureau_id: int | None, year: int | None) -> str:
        return f"{bureau_id or '*'}:{year or '*'}"


class BureauAssignment(models.Model):
    """Which bureaus a non-superuser sees (viewer) or decides on (analyst)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="bureau_assignments"
    )
    bureau = models.ForeignKey(Bureau, verbose_name="单位", on_delete=models.CASCADE, related_name="assignments")

    class Meta:
        verbose_name = "单位分工"
        verbose_name_plural = "单位分工"
        ordering = ["user", "bureau"]
        constraints = [models.UniqueConstraint(fields=["user", "bureau"], name="bureau_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user}：{self.bureau}"


class DoubleCodingSample(models.Model):
    """The assessments of one bureau and plan year drawn at random for an independent second judgement.

    The seed is kept so the same draw can be repeated from the same candidates.
    """

    bureau = models.ForeignKey(
        Bureau, verbose_name="单位", on_delete=models.CASCADE, related_name="double_coding_samples"
    )
    year = models.PositiveSmallIntegerField("计划年份")
    size = models.PositiveIntegerField("抽样数")
    seed = models.BigIntegerField("随机种子")
    assessments = models.ManyToManyField(
        Assessment, verbose_name="抽中的评估", related_name="double_coding_samples", blank=True
    )
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="抽样人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    drawn_at = models.DateTimeField("抽样时间", auto_now=True)

    class Meta:
        verbose_name = "双人复核抽样"
        verbose_name_plural = "双人复核抽样"
        ordering = ["bureau", "-year"]
        constraints = [models.UniqueConstraint(fields=["bureau", "year"], name="double_coding_sample_unique")]

    def __str__(self) -> str:
        return f"{self.bureau} {self.year}年：抽样 {self.size} 条"


class SecondCoding(models.Model):
    """A second analyst's independent judgement on a sampled assessment, for inter-coder agreement."""

    assessment = models.ForeignKey(
        Assessment, verbose_name="评估", on_delete=models.CASCADE, related_name="second_codings"
    )
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="复核人", on_delete=models.CASCADE, related_name="second_codings"
    )
    status = models.CharField("状态", max_length=20, choices=Assessment.STATUS_CHOICES)
    evidence_text = models.TextField("采用的证据", blank=True)
    note = models.TextField("备注", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "双人复核"
        verbose_name_plural = "双人复核"
        ordering = ["assessment", "created_at"]
        constraints = [models.UniqueConstraint(fields=["assessment", "coder"], name="second_coding_unique_coder")]

    def __str__(self) -> str:
        return f"{self.coder}：{self.get_status_display()}（{self.assessment.commitment}）"


class Tally(models.Model):
    """A bureau's figures per plan year, counted ahead so the scorecards need not group 250k rows per view.

    Written only by commitments.scorecards.tally (recounted from commitments and assessments when the bureau is stale).
    """

    bureau = models.ForeignKey(Bureau, verbose_name="单位", on_delete=models.CASCADE, related_name="tallies")
    year = models.PositiveSmallIntegerField("计划年份", null=True, blank=True)
    commitments = models.PositiveIntegerField("承诺数", default=0)
    fulfilled = models.PositiveIntegerField(STATUS_LABELS["fulfilled"], default=0)
    partial = models.PositiveIntegerField(STATUS_LABELS["partial"], default=0)
    not_fulfilled = models.PositiveIntegerField(STATUS_LABELS["not_fulfilled"], default=0)
    no_evidence = models.PositiveIntegerField(STATUS_LABELS["no_evidence"], default=0)
    unverifiable = models.PositiveIntegerField(STATUS_LABELS["unverifiable"], default=0)
    awaiting = models.PositiveIntegerField("待回顾", default=0)
    assessed = models.PositiveIntegerField("已评估", default=0)
    confirmed = models.PositiveIntegerField("分析员确认", default=0)
    vague_commitments = models.PositiveIntegerField("表述笼统", default=0)
    not_commitments = models.PositiveIntegerField("非承诺", default=0)
    # The rate's counts: commitments not flagged vague, with a verifiable status (tally.counts()).
    rated_fulfilled = models.PositiveIntegerField("计入完成率的已完成", default=0)
    rated_partial = models.PositiveIntegerField("计入完成率的部分完成", default=0)
    rated = models.PositiveIntegerField("计入完成率的承诺", default=0)
    confirmed_fulfilled = models.PositiveIntegerField("确认为已完成", default=0)
    confirmed_partial = models.PositiveIntegerField("确认为部分完成", default=0)
    confirmed_verifiable = models.PositiveIntegerField("确认且可核验", default=0)
    counted_at = models.DateTimeField("统计时间", auto_now=True)

    class Meta:
        verbose_name = "计分卡汇总"
        verbose_name_plural = "计分卡汇总"
        ordering = ["bureau", "year"]
        constraints = [models.UniqueConstraint(fields=["bureau", "year"], name="tally_unique_bureau_year")]

    def __str__(self) -> str:
        return f"{self.bureau} {self.year or '年份未知'}"


class MatcherVersion(models.Model):
    """One training of the matcher: what it learned from, its cross-validated figures on the gold, and
    whether it was adopted (a model is adopted only when those figures are not worse than the current
    model's). The model itself is the JSON file the engine reads; this row is its record."""

    version = models.CharField("模型版本", max_length=40, unique=True)
    adopted = models.BooleanField("已采用", default=False)
    current = models.BooleanField("当前使用", default=False, db_index=True)
    gold_files = models.JSONField("标注文件", default=list)
    gold_items = models.PositiveIntegerField("标注条目", default=0)
    decisions = models.PositiveIntegerField("分析员决定", default=0)
    figures = models.JSONField("交叉验证结果", default=dict, help_text="留一对交叉验证，标注文件上的合并结果")
    baseline = models.JSONField("对照结果", default=dict, blank=True, help_text="当时所用模型的同口径结果")
    verdict = models.TextField("结论", blank=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="训练人", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("训练时间", auto_now_add=True)

    class Meta:
        verbose_name = "模型版本"
        verbose_name_plural = "模型版本"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.version


class ImportJob(models.Model):
    """One uploaded report imported in the background (a big file, later a scan to recognise).

    The row is the job: the held upload's token, who asked, how far it got (stage, done / total), what came
    of it. A job whose process is gone is run again (the held bytes are still there); a near-copy waits
    for the requester's answer, as the import page asks it.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        AWAITING = "awaiting", "待确认"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    ACTIVE = (State.QUEUED, State.RUNNING)

    filename = models.CharField("文件名", max_length=255)
    size = models.PositiveBigIntegerField("文件大小（字节）", default=0)
    token = models.CharField("暂存文件", max_length=64, blank=True, editable=False)
    bureau_name = models.CharField("发布单位（填写）", max_length=200, blank=True)
    year = models.PositiveSmallIntegerField("报告年份（填写）", null=True, blank=True)
    # The answer about a near-copy, once given: "replace" (of near_duplicate_of) or "keep".
    near_duplicates = models.CharField("几乎相同时", max_length=10, default="ask")
    near_duplicate_of = models.ForeignKey(
        Report, verbose_name="几乎相同的报告", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    similarity = models.FloatField("相似度", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    stage = models.CharField("当前步骤", max_length=40, blank=True)
    done = models.PositiveIntegerField("已完成步骤", default=0)
    total = models.PositiveIntegerField("步骤总数", default=0)
    outcome = models.CharField("导入结果", max_length=20, blank=True)
    report = models.ForeignKey(
        Report, verbose_name="报告", null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    sections = models.PositiveIntegerField("部分数", default=0)
    commitments = models.PositiveIntegerField("承诺数", default=0)
    message = models.TextField("说明", blank=True)
    cancel_requested = models.BooleanField("已请求取消", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    enqueued_at = models.DateTimeField("入队时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近进度时间", null=True, blank=True)
    holder_host = models.CharField("执行主机", max_length=255, blank=True, editable=False)
    holder_pid = models.PositiveIntegerField("执行进程", null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"导入 #{self.pk}（{self.filename}）"
