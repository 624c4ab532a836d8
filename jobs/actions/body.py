"""The create request (`CreateOfflineTaskReq`, drs-api.md §10) as a person fills it in, the exact
body we send, and the service's documented constraints checked before sending.

Only documented rules are checked. What DRS alone can know (whether the backup holds one
database, whether the bucket is in the target's region, the storage class) is left to DRS and
its precheck; the form says so where it matters.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# The create page: 4-50 letters, digits, `-`, `_`; the name-validation API: starts with a
# letter. Before sending we hold the stricter of the two (§10).
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{3,49}")
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
TAG_KEY = re.compile(r"[A-Za-z0-9_-]{1,36}")
TAG_VALUE = re.compile(r"[A-Za-z0-9 _.:/=+\-@]*")
DEFAULT_ENTERPRISE_PROJECT = "0"


@dataclass
class BackupFile:
    """OBS: `name` and `obs_path`; RDS: `rds_version` and `rds_source_instance_id`."""

    name: str = ""
    obs_path: str = ""
    rds_version: str = ""
    rds_source_instance_id: str = ""


@dataclass
class CreateRequest:
    name: str
    target_instance_id: str
    file_source: str = "OBS"
    files: list[BackupFile] = field(default_factory=list)
    bucket_name: str = ""
    file_id: str = ""
    description: str = ""
    enterprise_project_id: str = ""
    ms_file_stream_status: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    recovery_mode: str = "full"
    is_last_backup: bool = True
    is_precheck: bool = True
    is_cover: bool = False
    is_default_restore: bool = True
    db_names: list[str] = field(default_factory=list)
    new_db_name: str = ""  # reset_db_name_map {"": new_db_name}
    is_delete_backup_file: bool = True
    consistency_check_mode: str = ""

    def body(self) -> dict:
        """The exact JSON body we POST."""
        base: dict = {"name": self.name, "engine_type": "sqlserver"}
        if self.description:
            base["description"] = self.description
        base["enterprise_project_id"] = self.enterprise_project_id or DEFAULT_ENTERPRISE_PROJECT
        if self.tags:
            base["tags"] = [{"key": k, "value": v} for k, v in self.tags.items()]
        target: dict = {"target_instance_id": self.target_instance_id}
        if self.ms_file_stream_status:
            target["ms_file_stream_status"] = self.ms_file_stream_status
        backup: dict = {"file_source": self.file_source}
        if self.file_source == "OBS":
            backup["bucket_name"] = self.bucket_name
            # Terraform always sends obs_path ("" by default) because "the API has limitations".
            backup["files"] = [{"name": f.name, "obs_path": f.obs_path} for f in self.files]
        else:
            target["file_id"] = self.file_id
            backup["files"] = [
                {"rds_version": f.rds_version, "rds_source_instance_id": f.rds_source_instance_id}
                for f in self.files
            ]
        options: dict = {
            "is_cover": self.is_cover,
            "is_default_restore": self.is_default_restore,
            "is_last_backup": self.is_last_backup,
            "is_precheck": self.is_precheck,
            "is_delete_backup_file": self.is_delete_backup_file,
            "recovery_mode": self.recovery_mode,
        }
        if not self.is_default_restore:
            options["db_names"] = list(self.db_names)
        if self.new_db_name:
            options["reset_db_name_map"] = {"": self.new_db_name}
        if self.consistency_check_mode:
            options["consistency_check_mode"] = self.consistency_check_mode
        return {
            "base_info": base,
            "target_db_info": target,
            "backup_info": backup,
            "options": options,
        }


def problems(request: CreateRequest) -> dict[str, list[str]]:
    """Field name → what breaks a documented rule; empty when the request may be sent."""
    found: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        found.setdefault(name, []).append(message)

    if not NAME.fullmatch(request.name or ""):
        add(
            "name",
            _(
                "4 to 50 characters: letters, digits, hyphens (-) and underscores (_), "
                "starting with a letter."
            ),
        )
    if not request.target_instance_id.strip():
        add("target_instance_id", _("The target RDS for SQL Server instance id is required."))
    if request.file_source not in ("OBS", "RDS"):
        add("file_source", _("The backup comes from OBS or from an RDS backup."))
    if not request.files:
        add("files", _("Name at least one backup file."))
    if request.file_source == "OBS":
        if not bucket_ok(request.bucket_name):
            add(
                "bucket_name",
                _(
                    "3 to 63 characters: lower-case letters, digits, hyphens and "
                    "periods, starting and ending with a letter or digit, and not an "
                    "IP address."
                ),
            )
        if any(not f.name.strip() for f in request.files):
            add("files", _("Every OBS file needs its name."))
    elif request.file_source == "RDS":
        if not request.file_id.strip():
            add("file_id", _("A restore from an RDS backup needs the backup file's id."))
        if any(not f.rds_version or not f.rds_source_instance_id for f in request.files):
            add("files", _("An RDS backup needs its SQL Server version and its source instance."))
        if request.recovery_mode != "full":
            add("recovery_mode", _("A restore from an RDS backup is full only."))
    if request.recovery_mode not in ("full", "incre"):
        add("recovery_mode", _("Full or incremental."))
    if not request.is_default_restore and not request.db_names:
        add("db_names", _("Name the databases to restore when not restoring all of them."))
    if request.new_db_name:
        if request.recovery_mode != "full":
            add("new_db_name", _("Renaming the database needs a full backup."))
        if not request.is_last_backup:
            add(
                "new_db_name",
                _(
                    "Renaming the database needs the last backup (the database "
                    "comes online at the end)."
                ),
            )
        if len(request.db_names) > 1:
            add("new_db_name", _("Renaming works for one database only."))
    if request.consistency_check_mode not in ("", "sync", "async"):
        add("consistency_check_mode", _("sync or async."))
    for key, value in request.tags.items():
        if not TAG_KEY.fullmatch(key):
            add("tags", _("Tag key %(key)s: at most 36 letters, digits, _ and -.") % {"key": key})
        if not TAG_VALUE.fullmatch(value):
            add(
                "tags",
                _("Tag value of %(key)s: letters, digits, spaces and _ . : / = + - @.")
                % {"key": key},
            )
    return found


def bucket_ok(bucket: str) -> bool:
    if not BUCKET.fullmatch(bucket or ""):
        return False
    try:
        ipaddress.ip_address(bucket)
    except ValueError:
        return True
    return False


KNOWN_FIELDS = {
    "": {"base_info", "target_db_info", "backup_info", "options"},
    "base_info": {"name", "engine_type", "description", "enterprise_project_id", "tags"},
    "target_db_info": {"target_instance_id", "ms_file_stream_status", "file_id"},
    "backup_info": {"file_source", "bucket_name", "files"},
    "options": {
        "is_cover",
        "is_default_restore",
        "is_last_backup",
        "is_precheck",
        "is_delete_backup_file",
        "recovery_mode",
        "db_names",
        "reset_db_name_map",
        "consistency_check_mode",
    },
}  # the CreateOfflineTaskReq models (huaweicloudsdkdrs 3.1.219)


def from_body(body: dict) -> CreateRequest:
    """The request a body describes (the CLI's `--file`); missing parts stay empty, so
    `problems` names them. Raises ValueError if the body is not shaped like a create, or has
    a field the create API does not have (a typo would otherwise be dropped silently)."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    for section, known in KNOWN_FIELDS.items():
        part = body.get(section, {}) if section else body
        if isinstance(part, dict) and (unknown := sorted(set(part) - known)):
            where = f"{section}." if section else ""
            raise ValueError(f"the create API has no field {where}{unknown[0]}")
    sections = {}
    for key in ("base_info", "target_db_info", "backup_info", "options"):
        value = body.get(key, {})
        if not isinstance(value, dict):
            raise ValueError(f"{key} must be an object")
        sections[key] = value
    base, target = sections["base_info"], sections["target_db_info"]
    backup, options = sections["backup_info"], sections["options"]
    files = backup.get("files") or []
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise ValueError("backup_info.files must be a list of objects")
    tags = base.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, dict) for t in tags):
        raise ValueError("base_info.tags must be a list of objects")
    reset = options.get("reset_db_name_map") or {}
    if not isinstance(reset, dict):
        raise ValueError("options.reset_db_name_map must be an object")
    db_names = options.get("db_names") or []
    if not isinstance(db_names, list):
        raise ValueError("options.db_names must be a list")

    def text(section: dict, key: str) -> str:
        value = section.get(key, "")
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        return value

    def flag(key: str, default: bool) -> bool:
        value = options.get(key, default)
        if not isinstance(value, bool):
            raise ValueError(f"options.{key} must be true or false")
        return value

    return CreateRequest(
        name=text(base, "name"),
        description=text(base, "description"),
        enterprise_project_id=text(base, "enterprise_project_id"),
        tags={str(t.get("key", "")): str(t.get("value", "")) for t in tags},
        target_instance_id=text(target, "target_instance_id"),
        ms_file_stream_status=text(target, "ms_file_stream_status"),
        file_id=text(target, "file_id"),
        file_source=text(backup, "file_source"),
        bucket_name=text(backup, "bucket_name"),
        files=[
            BackupFile(
                str(f.get("name") or ""),
                str(f.get("obs_path") or ""),
                str(f.get("rds_version") or ""),
                str(f.get("rds_source_instance_id") or ""),
            )
            for f in files
        ],
        recovery_mode=text(options, "recovery_mode") or "full",
        is_last_backup=flag("is_last_backup", True),
        is_precheck=flag("is_precheck", True),
        is_cover=flag("is_cover", False),
        is_default_restore=flag("is_default_restore", True),
        db_names=[str(n) for n in db_names],
        new_db_name=str(reset.get("", "")) if reset else "",
        is_delete_backup_file=flag("is_delete_backup_file", True),
        consistency_check_mode=text(options, "consistency_check_mode"),
    )
