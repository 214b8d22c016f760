"""Column-mapping files: how a landlord's software names the columns Proxima expects.

A mapping is a small TOML file, written once per export format::

    # Export « Occupants » du logiciel de gestion locative
    [columns]
    "N° de bail" = "lease_reference"
    "Code logement" = "dwelling_reference"

    [values.contact_channel]   # optional: the export's own codes
    "TEL" = "phone"

Pure module: nothing imported from Django.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from proxima.imports.schema import Column, Issue


@dataclass(frozen=True)
class Mapping:
    renames: dict[str, str] = field(default_factory=dict)  # file header -> column name
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # column name -> {file value: value}


def load_mapping(path: str | Path, columns: list[Column], *, display_name: str | None = None):
    """Read a mapping file; return ``(Mapping, issues)``. Any issue means the mapping is unusable."""
    path = Path(path)
    name = display_name or path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        return Mapping(), [Issue(name, None, None, None, "un fichier de correspondance TOML en UTF-8")]
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already says "(at line L, column C)".
        return Mapping(), [Issue(name, None, None, None, f"un fichier TOML valide ({error})")]
    known = {c.name for c in columns}
    shown = ", ".join(sorted(known))
    issues = []
    unknown_sections = set(data) - {"columns", "values"}
    for section in sorted(unknown_sections):
        issues.append(
            Issue(name, None, f"[{section}]", None, "seulement les sections [columns] et [values.<colonne>]")
        )
    renames = {}
    for header, target in (data.get("columns") or {}).items():
        if not isinstance(target, str) or target not in known:
            issues.append(Issue(name, None, f"[columns] « {header} »", str(target), f"l'une des colonnes : {shown}"))
        else:
            renames[header] = target
    value_maps = {}
    for column_name, values in (data.get("values") or {}).items():
        if column_name not in known:
            issues.append(Issue(name, None, f"[values.{column_name}]", None, f"l'une des colonnes : {shown}"))
        elif not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            issues.append(
                Issue(
                    name,
                    None,
                    f"[values.{column_name}]",
                    None,
                    'des lignes « "valeur du fichier" = "valeur" »',
                )
            )
        else:
            value_maps[column_name] = {str(k).strip(): v for k, v in values.items()}
    return Mapping(renames, value_maps), issues
