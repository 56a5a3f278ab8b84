from . import views_dashboard, views_jobs, views_stats, views_summary

app_name = "reports"

urlpatterns = [*views_jobs.urlpatterns, *views_summary.urlpatterns, *views_stats.urlpatterns,
               *views_dashboard.urlpatterns]
