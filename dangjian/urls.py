from django.urls import include, path

urlpatterns = [
    path("", include("dangjian.core.urls")),
    path("accounts/tokens/", include("dangjian.accounts.token_views")),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("members/", include("dangjian.members.urls")),
    path("rules/", include("dangjian.compliance.urls")),
    path("life/", include("dangjian.life.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("pipeline/", include("dangjian.pipeline.urls")),
    path("service/", include("dangjian.service.urls")),
    path("vanguard/", include("dangjian.vanguard.urls")),
    path("integrity/", include("dangjian.integrity.urls")),
    path("tasks/", include("dangjian.tasks.urls")),
    path("review/", include("dangjian.review.urls")),
    path("points/", include("dangjian.points.urls")),
    path("appraisal/", include("dangjian.appraisal.urls")),
    path("workdays/", include("dangjian.workdays.urls")),
    path("terms/", include("dangjian.terms.urls")),
    path("transfers/", include("dangjian.transfers.urls")),
    path("reports/", include("dangjian.reports.urls")),
    path("api/", include("dangjian.api.urls")),
]

handler400 = "dangjian.core.errors.bad_request"
handler403 = "dangjian.core.errors.forbidden"
handler404 = "dangjian.core.errors.not_found"
handler500 = "dangjian.core.errors.server_error"
