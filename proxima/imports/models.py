import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("en attente de vérification")
    VALIDATING = "validating", _("vérification en cours")
    READY = "ready", _("prêt à importer")
    INVALID = "invalid", _("erreurs à corriger")
    QUEUED = "queued", _("import en attente")
    IMPORTING = "importing", _("import en cours")
    DONE = "done", _("terminé")
    FAILED = "failed", _("échec")


def upload_path(instance, filename):
    # A random name: the landlord's file name is kept in original_name, never used on disk.
    return f"imports/{instance.organisation_id}/{uuid.uuid4().hex}"


class ImportJobQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)


class ImportJob(models.Model):
    """A file uploaded from the web, checked in the background, then imported once confirmed.

    The uploaded files hold personal data: they are deleted once the import is done or abandoned.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(_("type"), max_length=20)
    file = models.FileField(_("fichier"), upload_to=upload_path, blank=True)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    mapping = models.FileField(_("correspondance des colonnes"), upload_to=upload_path, blank=True)
    mapping_name = models.CharField(max_length=255, blank=True)
    skip_invalid = models.BooleanField(_("ignorer les lignes invalides"), default=False)
    status = models.CharField(_("état"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    validation = models.JSONField(_("rapport de vérification"), null=True, blank=True)
    result = models.JSONField(_("rapport d'import"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    @property
    def is_running(self) -> bool:
        return self.status in {
            ImportStatus.PENDING,
            ImportStatus.VALIDATING,
            ImportStatus.QUEUED,
            ImportStatus.IMPORTING,
        }

    @property
    def progress_percent(self) -> int | None:
        if not self.rows_total:
            return None
        return min(100, round(100 * self.rows_done / self.rows_total))
