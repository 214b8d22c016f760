"""Pages for residents: answering a survey with the code on their letter. No login."""

from proxima.needs.views import respond

app_name = "respond"
urlpatterns = respond.urlpatterns
