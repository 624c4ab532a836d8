"""A job listing hundreds of backup files costs no per-file work until someone reads the files."""

from __future__ import annotations

from datetime import UTC, datetime

from jobs.drs.models import BackupFile

FILES = [
    {
        "file_name": f"Sales_LOG_{n:04d}.trn",
        "file_size": "1KB",
        "file_last_modify": str(1706511360000 + n * 60_000),
    }
    for n in range(400)
]


def test_files_are_parsed_on_first_use_only(drs_client, simulator, monkeypatch):
    job_id = simulator.add_live_job(0, backup_info={"file_info": FILES})
    parsed = []
    original = BackupFile.parse.__func__
    monkeypatch.setattr(
        BackupFile, "parse", classmethod(lambda cls, data: parsed.append(1) or original(cls, data))
    )

    job = drs_client.get_job(job_id)
    assert parsed == []
    assert job.backup_info.file_count == 400

    files = job.backup_info.files
    assert len(parsed) == 400
    assert job.backup_info.files is files  # cached
    assert files[0].name == "Sales_LOG_0000.trn"
    assert files[-1].last_modified == datetime(2024, 1, 29, 13, 35, tzinfo=UTC)
    assert job.backup_info.total_bytes == 400 * 1024
    assert len(parsed) == 400
