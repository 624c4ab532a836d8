from django.urls import include, path

urlpatterns = [
    path("", include("jobs.urls")),
]

handler404 = "jobs.views.errors.page_not_found"
handler403 = "jobs.views.errors.permission_denied"
handler500 = "jobs.views.errors.server_error"
