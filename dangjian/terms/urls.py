app_name = "terms"

urlpatterns = []
