from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "承诺追踪"
admin.site.site_title = "承诺追踪"
admin.site.index_title = "工作报告与承诺"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
