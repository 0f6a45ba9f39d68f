"""The scorecards' filters: they narrow the commitments before they are counted, so every figure on the
page (rates included) is computed over what the filter kept."""

from __future__ import annotations

import django_filters

from commitments.models import Bureau, Commitment


class ScorecardFilter(django_filters.FilterSet):
    region = django_filters.ChoiceFilter(label="地区", field_name="section__report__bureau__region", empty_label="全部")
    level = django_filters.ChoiceFilter(label="层级", field_name="section__report__bureau__level", empty_label="全部")
    year = django_filters.NumberFilter(label="计划年份", field_name="section__year")
    topic = django_filters.CharFilter(label="主题含", method="topic_filter")

    class Meta:
        model = Commitment
        fields = ("region", "level", "year", "topic")

    def __init__(self, *args, bureaus=None, **kwargs):
        super().__init__(*args, **kwargs)
        bureaus = bureaus if bureaus is not None else Bureau.objects.all()
        self.filters["region"].extra["choices"] = _choices(bureaus, "region")
        self.filters["level"].extra["choices"] = _choices(bureaus, "level")

    def topic_filter(self, queryset, name, value):
        """The nearest heading: topic paths are stored as JSON (escaped text), which no database searches alike."""
        return queryset.filter(topic__icontains=value.strip())


def _choices(bureaus, field: str) -> list[tuple[str, str]]:
    values = bureaus.exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct()
    return [(value, value) for value in values]
