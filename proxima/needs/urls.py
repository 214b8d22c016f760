from proxima.needs.views import analysis, collect, outreach, paper, surveys

app_name = "needs"
urlpatterns = [
    *surveys.urlpatterns,
    *collect.urlpatterns,
    *paper.urlpatterns,
    *analysis.urlpatterns,
    *outreach.urlpatterns,
]
