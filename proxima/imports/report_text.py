"""Plain-French summary of an import report, for the terminal and for e-mails."""

from proxima.imports.engine import ImportReport

ENTITY_LABELS = {
    "sites": "résidences",
    "buildings": "bâtiments",
    "dwellings": "logements",
    "households": "ménages",
    "persons": "personnes",
}


def summary_lines(report: ImportReport) -> list[str]:
    if report.applied:
        head = f"{report.file} : import terminé."
    elif report.dry_run and report.ok:
        head = f"{report.file} : fichier valide (essai à blanc, rien n'a été enregistré)."
    else:
        head = f"{report.file} : {report.issues_total} erreur(s), rien n'a été enregistré."
    lines = [
        head,
        f"Lignes lues : {report.rows_read} ; valides : {report.rows_valid} ; invalides : {report.rows_invalid}.",
    ]
    if report.applied and report.rows_invalid:
        lines.append(f"{report.rows_invalid} ligne(s) invalide(s) ignorée(s) (--skip-invalid).")
    verb = "" if report.applied else " (prévu)"
    for entity, c in report.counts.items():
        label = ENTITY_LABELS.get(entity, entity)
        parts = [f"{c.created} créé(s)", f"{c.updated} modifié(s)", f"{c.unchanged} inchangé(s)"]
        if c.deleted:
            parts.append(f"{c.deleted} supprimé(s)")
        lines.append(f"{label.capitalize()}{verb} : " + ", ".join(parts) + ".")
    if report.ignored_columns:
        lines.append("Colonnes ignorées : " + ", ".join(report.ignored_columns) + ".")
    return lines
