app_name = "vanguard"

urlpatterns = []
