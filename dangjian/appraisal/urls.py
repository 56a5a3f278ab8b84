app_name = "appraisal"

urlpatterns = []
