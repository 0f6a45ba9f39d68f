"""The review pages' URLs, inside the admin site (its login and Chinese chrome): /admin/review/…"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from commitments.review.coding_views import double_coding_agreement, double_coding_assessment, double_coding_queue
from commitments.review.views import review_assessment, review_plan, review_queue, review_undo


def review_urls(site: admin.AdminSite) -> list:
    return [
        path("", site.admin_view(review_queue), name="review_queue"),
        path("<int:pk>/", site.admin_view(review_assessment), name="review_assessment"),
        path("<int:pk>/plan/", site.admin_view(review_plan), name="review_plan"),
        path("undo/", site.admin_view(review_undo), name="review_undo"),
        path("double/", site.admin_view(double_coding_queue), name="double_coding_queue"),
        path("double/<int:pk>/", site.admin_view(double_coding_assessment), name="double_coding_assessment"),
        path("agreement/", site.admin_view(double_coding_agreement), name="double_coding_agreement"),
    ]
