from django.urls import include, path

urlpatterns = [
    path("", include("jobs.urls")),
]

handler404 = "jobs.web.errors.page_not_found"
handler403 = "jobs.web.errors.permission_denied"
handler500 = "jobs.web.errors.server_error"
