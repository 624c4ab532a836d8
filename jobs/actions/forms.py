"""The create form (each option explained in a DBA's words), the rename form and the tag form.
The documented constraints are checked by `body.problems`, the one place they live."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jobs.actions.body import BackupFile, CreateRequest, problems

SOURCES = [("OBS", _("Backup files in an OBS bucket")), ("RDS", _("An RDS full backup"))]
MODES = [
    ("full", _("Full: a full backup (.bak), the first restore of a database")),
    ("incre", _("Incremental: a differential or log backup applied after a full restore")),
]
CHECK_MODES = [
    ("", _("DRS's default")),
    ("sync", _("sync: DBCC CHECKDB as part of the restore")),
    ("async", _("async: DBCC CHECKDB after the restore")),
]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CreateJobForm(forms.Form):
    token = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{1,64}\Z", widget=forms.HiddenInput, required=False
    )
    name = forms.CharField(
        label=_("Job name"),
        max_length=80,
        help_text=_(
            "4 to 50 letters, digits, - and _, starting with a letter. Make it one the "
            "customer recognises, e.g. erp-prod-full-0312."
        ),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=256)
    file_source = forms.ChoiceField(
        label=_("Where the backup is"),
        choices=SOURCES,
        initial="OBS",
        widget=forms.RadioSelect,
        help_text=_(
            "OBS: .bak/.trn files you uploaded to a bucket in the target's region "
            "(Standard storage class, not KMS-encrypted). RDS: a full backup RDS "
            "took of another instance."
        ),
    )
    bucket_name = forms.CharField(
        label=_("OBS bucket"),
        required=False,
        max_length=63,
        help_text=_(
            "The bucket's name, e.g. erp-backups (3-63 lower-case letters, digits, - "
            "and ., not an IP address)."
        ),
    )
    files = forms.CharField(
        label=_("Backup files"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One file per line: its name, then optionally | and its OBS path (the "
            "folder in the bucket; empty: the top level). E.g. "
            "1706510914000_1_Sales.bak | backups/2024/"
        ),
    )
    file_id = forms.CharField(
        label=_("RDS backup file id"),
        required=False,
        max_length=128,
        help_text=_("From the source instance's backup list in the RDS console."),
    )
    rds_version = forms.CharField(
        label=_("SQL Server version of the RDS backup"),
        required=False,
        max_length=64,
        help_text=_("As RDS shows it for the backup, e.g. 2019_SE."),
    )
    rds_source_instance_id = forms.CharField(
        label=_("Source RDS instance id"), required=False, max_length=128
    )
    target_instance_id = forms.CharField(
        label=_("Target RDS for SQL Server instance id"),
        max_length=128,
        help_text=_(
            "The instance the databases are restored into. It needs free disk space "
            "of at least 1.5 × the backup, and a SQL Server version no older than the "
            "backup's."
        ),
    )
    ms_file_stream_status = forms.CharField(
        label=_("FILESTREAM on the target"),
        required=False,
        max_length=16,
        help_text=_(
            "Only if the databases use FILESTREAM: the value the RDS instance detail "
            "gives for it. Leave empty otherwise."
        ),
    )
    recovery_mode = forms.ChoiceField(
        label=_("Restore mode"), choices=MODES, initial="full", widget=forms.RadioSelect
    )
    is_last_backup = forms.BooleanField(
        label=_("This is the last backup (bring the databases online)"),
        required=False,
        initial=True,
        help_text=_(
            "On: RESTORE … WITH RECOVERY at the end, the databases are readable and "
            "take no more restores (a one-time full migration, or the cutover). Off: "
            "WITH NORECOVERY, the databases stay RESTORING so later differential or "
            "log backups can be applied."
        ),
    )
    is_precheck = forms.BooleanField(
        label=_("Run the precheck first"),
        required=False,
        initial=True,
        help_text=_(
            "DRS checks the files, the target and the options before restoring; a "
            "failure ends the job as PRECHECK FAILED without touching the target."
        ),
    )
    is_default_restore = forms.BooleanField(
        label=_("Restore every database in the backup"),
        required=False,
        initial=True,
        help_text=_("Off: only the databases you name below."),
    )
    db_names = forms.CharField(
        label=_("Databases to restore"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line, exactly as named inside the backup (case-sensitive). "
            "Needed when not restoring every database."
        ),
    )
    new_db_name = forms.CharField(
        label=_("Restore under a new database name"),
        required=False,
        max_length=128,
        help_text=_(
            "Only for a backup of one database, a full restore, and the last backup. "
            "Empty: keep the name inside the backup."
        ),
    )
    is_cover = forms.BooleanField(
        label=_("Overwrite a database of the same name on the target"),
        required=False,
        initial=False,
        help_text=_(
            "Like RESTORE … WITH REPLACE. DRS turns off the target's high availability "
            "while the job runs."
        ),
    )
    is_delete_backup_file = forms.BooleanField(
        label=_("Delete the downloaded copy from the target's disk afterwards"),
        required=False,
        initial=True,
        help_text=_(
            "DRS copies OBS files to the instance's disk before restoring; the files "
            "in the bucket stay either way."
        ),
    )
    consistency_check_mode = forms.ChoiceField(
        label=_("Consistency check"), choices=CHECK_MODES, required=False
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One key=value per line, e.g. customer=acme."),
    )
    enterprise_project_id = forms.CharField(
        label=_("Enterprise project id"),
        required=False,
        max_length=64,
        help_text=_('Empty: the default enterprise project ("0").'),
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        self.create_request = self.to_request(data)
        for name, messages in problems(self.create_request).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        return data

    @staticmethod
    def to_request(data: dict) -> CreateRequest:
        source = data.get("file_source") or "OBS"
        if source == "RDS":
            files = [
                BackupFile(
                    rds_version=data.get("rds_version", "").strip(),
                    rds_source_instance_id=data.get("rds_source_instance_id", "").strip(),
                )
            ]
        else:
            files = []
            for line in _lines(data.get("files", "")):
                name, _bar, path = line.partition("|")
                files.append(BackupFile(name=name.strip(), obs_path=path.strip()))
        tags = {}
        for line in _lines(data.get("tags", "")):
            key, _eq, value = line.partition("=")
            tags[key.strip()] = value.strip()
        return CreateRequest(
            name=data.get("name", "").strip(),
            description=data.get("description", ""),
            enterprise_project_id=data.get("enterprise_project_id", "").strip(),
            tags=tags,
            target_instance_id=data.get("target_instance_id", "").strip(),
            ms_file_stream_status=data.get("ms_file_stream_status", "").strip(),
            file_id=data.get("file_id", "").strip() if source == "RDS" else "",
            file_source=source,
            bucket_name=data.get("bucket_name", "").strip() if source == "OBS" else "",
            files=files,
            recovery_mode=data.get("recovery_mode") or "full",
            is_last_backup=bool(data.get("is_last_backup")),
            is_precheck=bool(data.get("is_precheck")),
            is_cover=bool(data.get("is_cover")),
            is_default_restore=bool(data.get("is_default_restore")),
            db_names=_lines(data.get("db_names", "")),
            new_db_name=data.get("new_db_name", "").strip(),
            is_delete_backup_file=bool(data.get("is_delete_backup_file")),
            consistency_check_mode=data.get("consistency_check_mode") or "",
        )


def initial_from(request: CreateRequest) -> dict:
    """The form's initial data for a prefilled request."""
    rds = request.file_source == "RDS"
    first = request.files[0] if request.files else BackupFile()
    return {
        "name": request.name,
        "description": request.description,
        "file_source": request.file_source,
        "bucket_name": request.bucket_name,
        "files": ""
        if rds
        else "\n".join(f.name + (f" | {f.obs_path}" if f.obs_path else "") for f in request.files),
        "file_id": request.file_id,
        "rds_version": first.rds_version if rds else "",
        "rds_source_instance_id": first.rds_source_instance_id if rds else "",
        "target_instance_id": request.target_instance_id,
        "ms_file_stream_status": request.ms_file_stream_status,
        "recovery_mode": request.recovery_mode,
        "is_last_backup": request.is_last_backup,
        "is_precheck": request.is_precheck,
        "is_default_restore": request.is_default_restore,
        "db_names": "\n".join(request.db_names),
        "new_db_name": request.new_db_name,
        "is_cover": request.is_cover,
        "is_delete_backup_file": request.is_delete_backup_file,
        "consistency_check_mode": request.consistency_check_mode,
        "tags": "\n".join(f"{k}={v}" for k, v in request.tags.items()),
        "enterprise_project_id": request.enterprise_project_id,
    }


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Job name"), max_length=80)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=256,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TagForm(forms.Form):
    add = forms.CharField(
        label=_("Add or change tags"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One key=value per line."),
    )
    remove = forms.CharField(
        label=_("Remove tags"),
        required=False,
        help_text=_("Keys, separated by spaces or commas."),
    )
