"""Data model: bureaus publish reports; reports split into sections; plan sections yield commitments."""

from django.conf import settings
from django.db import models


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
    vague = models.BooleanField("表述笼统", default=False)
    engine_version = models.CharField("引擎版本", max_length=40, blank=True)

    class Meta:
        verbose_name = "承诺"
        verbose_name_plural = "承诺"
        ordering = ["section", "order"]

    def __str__(self) -> str:
        return self.text[:60]
