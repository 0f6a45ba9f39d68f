"""Bureaus (with re-matching, now or as a background run) and who is assigned to which."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest
from django.template.response import TemplateResponse

from commitments.admin.mixins import BureauScopedMixin
from commitments.models import Bureau, BureauAssignment
from commitments.queue import EnqueueFailed
from commitments.selectors.access import bureau_ids_editable_by, user_may_edit_bureau
from commitments.selectors.lists import bureaus_with_counts
from commitments.services.matching import plan_years_for, scope_rematch
from commitments.services.runs import ScopeBusy, matching_run_request

logger = logging.getLogger(__name__)


@admin.register(Bureau)
class BureauAdmin(BureauScopedMixin, admin.ModelAdmin):
    """Analysts and viewers see their own bureaus (read-only); a superuser manages them all.

    A bureau's name shows on everyone's scorecards and `is_placeholder` switches its matching off, so
    no analyst may change one; analysts may re-match the bureaus they decide on.
    """

    list_display = ("name", "region", "level", "is_placeholder", "report_count")
    list_filter = ("is_placeholder", "level")
    search_fields = ("name", "region")
    autocomplete_fields = ("parent",)
    actions = ("rematch", "rematch_async")

    def get_queryset(self, request):
        return bureaus_with_counts(request.user).order_by("name")

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_rematch_permission(self, request) -> bool:
        editable = bureau_ids_editable_by(request.user)
        return editable is None or bool(editable)

    @admin.display(description="报告数", ordering="report_count")
    def report_count(self, obj: Bureau) -> int:
        return obj.report_count

    @admin.action(description="重新匹配", permissions=["rematch"])
    def rematch(self, request: HttpRequest, queryset) -> None:
        for bureau in queryset:
            if not user_may_edit_bureau(user=request.user, bureau_id=bureau.pk):
                messages.error(request, f"{bureau}：不是你负责的单位，未匹配")
                continue
            if bureau.is_placeholder:
                messages.warning(request, f"{bureau}：占位单位的报告来自不同发布单位，不做匹配")
                continue
            try:
                _, outcome = scope_rematch(bureau=bureau)
            except ScopeBusy as busy:
                messages.error(request, f"{bureau}：{busy}，请稍后再试")
                continue
            except Exception:
                logger.exception("rematch of bureau %s failed", bureau.pk)
                messages.error(request, f"{bureau}：匹配出错，详情见日志")
                continue
            messages.success(request, f"{bureau}：{outcome.summary()}")

    @admin.action(description="重新匹配（后台任务）", permissions=["rematch"])
    def rematch_async(self, request: HttpRequest, queryset):
        """First a page to choose the plan year, then one background run per bureau."""
        bureaus = [b for b in queryset if user_may_edit_bureau(user=request.user, bureau_id=b.pk)]
        form = RematchScopeForm(
            request.POST if "apply" in request.POST else None,
            years=plan_years_for(bureau_ids=[b.pk for b in bureaus]),
        )
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "重新匹配（后台任务）",
                "opts": self.model._meta,
                "bureaus": bureaus,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/commitments/bureau/rematch_async.html", context)
        year = form.cleaned_data["year"]
        for bureau in queryset:
            if bureau not in bureaus:
                messages.error(request, f"{bureau}：不是你负责的单位，未提交")
            elif bureau.is_placeholder:
                messages.warning(request, f"{bureau}：占位单位的报告来自不同发布单位，不做匹配")
            else:
                try:
                    run = matching_run_request(bureau=bureau, year=year)
                except EnqueueFailed as exc:
                    messages.error(request, f"{bureau}：{exc}")
                except Exception:
                    logger.exception("background rematch of bureau %s failed", bureau.pk)
                    messages.error(request, f"{bureau}：匹配出错，详情见日志")
                else:
                    messages.success(request, f"{bureau}：已提交后台匹配（运行 #{run.pk}，{run.get_state_display()}）")
        return None


class RematchScopeForm(forms.Form):
    year = forms.TypedChoiceField(label="计划年份", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年份")] + [(y, f"{y}年") for y in years]


@admin.register(BureauAssignment)
class BureauAssignmentAdmin(admin.ModelAdmin):
    """Managed by superusers only: who sees and decides which bureau."""

    list_display = ("user", "bureau")
    list_filter = ("bureau",)
    list_select_related = ("user", "bureau")
    autocomplete_fields = ("bureau",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
