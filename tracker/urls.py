from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from commitments.review.urls import review_urls
from commitments.scorecards.views import scorecard_urls

admin.site.site_header = "承诺追踪"
admin.site.site_title = "承诺追踪"
admin.site.index_title = "工作报告与承诺"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Before the admin's own catch-all, inside its login and Chinese chrome.
    path("admin/review/", include(review_urls(admin.site))),
    path("admin/", admin.site.urls),
    path("scorecards/", include(scorecard_urls())),
]
