"""The filters of the analysts' review queue."""

from __future__ import annotations

import django_filters
from django import forms

from commitments.engine.types import STATUS_LABELS
from commitments.models import Bureau

BANDS = {
    "low": ("低（<0.5）", None, 0.5),
    "mid": ("中（0.5–0.75）", 0.5, 0.75),
    "high": ("高（≥0.75）", 0.75, None),
}


class ReviewQueueFilter(django_filters.FilterSet):
    bureau = django_filters.ModelChoiceFilter(
        label="单位", field_name="commitment__section__report__bureau", queryset=Bureau.objects.none()
    )
    year = django_filters.NumberFilter(label="计划年份", field_name="commitment__section__year")
    topic = django_filters.CharFilter(label="主题", field_name="commitment__topic", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label="状态", choices=list(STATUS_LABELS.items()), empty_label="全部")
    band = django_filters.ChoiceFilter(
        label="置信度", choices=[(k, v[0]) for k, v in BANDS.items()], method="band_filter", empty_label="全部"
    )
    # Read by the selector (it switches the queue to analyst decisions), hence no filtering here.
    disagrees = django_filters.BooleanFilter(
        label="机器意见不同", method="no_filter", widget=forms.CheckboxInput, required=False
    )

    def __init__(self, *args, bureaus=None, **kwargs):
        super().__init__(*args, **kwargs)
        if bureaus is not None:
            self.filters["bureau"].queryset = bureaus

    def band_filter(self, queryset, name, value):
        _, low, high = BANDS[value]
        if low is not None:
            queryset = queryset.filter(confidence__gte=low)
        if high is not None:
            queryset = queryset.filter(confidence__lt=high)
        return queryset

    def no_filter(self, queryset, name, value):
        return queryset
