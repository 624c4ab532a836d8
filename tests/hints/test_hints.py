"""Each recorded error log gets exactly its hints, and failures group by their real cause."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobs.hints import HINTS, SIGNATURE_LENGTH, TEXT, hints_for, messages, signature

LOGS = Path(__file__).parent.parent / "data" / "error_logs"

# fixture -> the exact hints, in the order the job page shows them
EXPECTED: dict[str, list[str]] = {
    "obs_access_denied.log": ["obs-denied"],
    "obs_access_denied_then_3201.log": ["obs-denied"],  # the OBS cause, not its consequence
    "obs_no_such_key.log": ["obs-missing"],
    "precheck_not_in_obs.log": ["obs-missing"],
    "obs_archive_storage_class.log": ["obs-storage-class"],  # a 403 too, but not a permission
    "obs_kms_encrypted.log": ["obs-kms"],
    "rds_backup_expired.log": ["rds-backup-missing"],
    "3201_os2_msg.log": ["3201-missing"],
    "3201_os3_no_header.log": ["3201-missing"],
    "3201_os2_drs_error_n.log": ["3201-missing"],
    "3201_os5_backup_device.log": ["3201-denied"],  # the backup file, not the data path
    "3201_os32_in_use.log": ["3201-in-use"],
    "3201_os38_truncated.log": ["3201-truncated"],
    "3201_os1117_errorlog_format.log": ["3201-truncated"],
    "3201_os87_other.log": ["3201"],
    "3241_media_family.log": ["not-native"],
    "3242_not_mtf_no_header.log": ["not-native"],
    "3266_incorrectly_formatted.log": ["not-native"],
    "3203_read_failed.log": ["3203"],
    "3183_damaged_page.log": ["damaged"],
    "824_checksum_no_header.log": ["damaged"],
    "3169_newer_version.log": ["version"],
    "precheck_version.log": ["version"],
    "3132_striped.log": ["striped"],
    "3231_striped_no_header.log": ["striped"],
    "33111_tde_certificate.log": ["encrypted"],
    "3154_other_database.log": ["exists"],
    "1801_exists_no_header.log": ["exists"],
    "precheck_exists.log": ["exists"],
    "3159_tail_of_log.log": ["3159"],
    "3101_in_use.log": ["3101"],
    "1834_file_of_other_db.log": ["files-taken"],
    "5170_1802_create_file.log": ["files-taken"],
    "5133_directory_lookup.log": ["file-path"],
    "3634_no_header.log": ["file-path"],
    "5120_physical_file.log": ["file-path"],
    "5591_filestream.log": ["filestream"],
    "909_933_compression.log": ["edition"],
    "33117_tde_edition_no_header.log": ["edition"],
    "3257_disk_volume.log": ["disk"],
    "112_disk_full_no_header.log": ["disk"],
    "precheck_disk.log": ["disk"],
    "4305_too_recent.log": ["4305"],
    "4330_recovery_path_no_header.log": ["4305"],
    "4326_too_early.log": ["4326"],  # already applied: not a broken chain
    "3136_differential.log": ["3136"],
    "3117_recovered.log": ["3117"],
    "4319_interrupted.log": ["4319"],
    "switchover_guess.log": ["switchover"],
    "switchover_then_4319.log": ["switchover", "4319"],
    "3013_only.log": ["3013"],
    "3102_unknown_then_3013.log": ["3013"],  # nothing specific: the wrapper says "look above"
    "progress_then_4305.log": ["4305"],
    "precheck_no_hint.log": [],
}


def read(name: str) -> str:
    return (LOGS / name).read_text()


def test_every_fixture_is_listed_and_every_hint_has_a_fixture():
    assert {p.name for p in LOGS.glob("*.log")} == set(EXPECTED)
    covered = {code for codes in EXPECTED.values() for code in codes}
    assert covered == {h.code for h in HINTS}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gets_exactly_its_hints(name):
    assert [h.code for h in hints_for(read(name))] == EXPECTED[name]


def test_hints_are_complete_and_unique():
    assert len({h.code for h in HINTS}) == len(HINTS)
    assert len({str(h.title) for h in HINTS}) == len(HINTS)
    for hint in HINTS:
        assert str(hint.title) and str(hint.advice).endswith("."), hint.code
        assert set(hint.numbers) <= set(TEXT), hint.code  # every number also matches by text
    assert HINTS[-1].code == "3013"


def test_titles_read_as_the_page_shows_them():
    titles = {h.code: str(h.title) for h in HINTS}
    assert titles["3201-missing"] == "The backup file could not be opened: it was not found"
    assert titles["3201"] == "The backup file could not be opened"
    assert titles["4326"] == "This log backup was already applied"


def test_files_of_another_database_never_advise_overwrite_alone():
    (hint,) = hints_for(read("1834_file_of_other_db.log"))
    assert "does not help" in str(hint.advice)


def test_3634_matches_by_text_with_and_without_header():
    plain = read("3634_no_header.log")
    assert "Msg" not in plain
    headed = "Msg 3634, Level 16, State 1, Line 1\n" + plain
    assert [h.code for h in hints_for(headed)] == ["file-path"]


def test_header_on_the_same_line_as_the_text():
    log = (
        "Msg 3201, Level 16, State 2, Line 1 Cannot open backup device 'x.bak'. "
        "Operating system error 5(Access is denied.).\n"
        "Msg 3013, Level 16, State 1, Line 1 RESTORE DATABASE is terminating abnormally."
    )
    assert [h.code for h in hints_for(log)] == ["3201-denied"]


def test_os_error_is_read_from_the_3201_message_only():
    # A 3201 with OS error 2 next to a 3634 with OS error 5: each message keeps its own error.
    log = read("3201_os2_msg.log") + read("3634_no_header.log")
    assert [h.code for h in hints_for(log)] == ["3201-missing", "file-path"]


def test_no_log_no_hints():
    assert hints_for("") == []
    assert hints_for(None) == []
    assert signature("") == ""


def test_messages_pair_headers_with_their_text():
    found = messages(read("5133_directory_lookup.log"))
    assert [m.number for m in found] == [5133, 3156, 3119, 3013]
    assert found[0].text.startswith("Directory lookup for the file")
    plain = messages(read("3634_no_header.log"))
    assert [m.number for m in plain] == [3634, 3156, 3119, 3013]  # numbers from the text


# --- signature ----------------------------------------------------------------------------------


def test_signature_skips_progress_and_wrappers():
    assert signature(read("progress_then_4305.log")) == signature(read("4305_too_recent.log"))
    assert signature(read("progress_then_4305.log")).startswith("Msg 4305: The log in this")
    assert signature(read("5133_directory_lookup.log")) == (
        "Msg 5133: Directory lookup for the file '*' failed with the operating system error 3."
    )
    assert signature(read("3013_only.log")) == (
        "Msg 3013: RESTORE DATABASE is terminating abnormally."
    )  # nothing else to go by


def test_signature_keeps_the_os_error_and_blanks_names():
    assert signature(read("3201_os2_msg.log")) == (
        "Msg 3201: Cannot open backup device '*'. Operating system error 2."
    )
    assert signature(read("3634_no_header.log")) == (
        "Msg 3634: The operating system returned the error 5 while attempting '*' on '*'."
    )
    assert signature(read("obs_access_denied.log")).startswith(
        "Failed to download backup file * from OBS: Status=N, Code=AccessDenied, "
    )
    assert signature(read("3257_disk_volume.log")).startswith(
        "Msg 3257: There is insufficient free space on disk volume '*' to create the database. "
        "The database requires N additional"
    )


def test_same_cause_same_signature_across_files_databases_and_formats():
    a = read("1834_file_of_other_db.log")
    b = a.replace("SalesDB", "Payroll_2024").replace("D:\\RDSDBDATA\\DATA\\", "E:\\Data\\")
    assert a != b and signature(a) == signature(b)
    headed = read("3201_os2_msg.log")
    plain = "\n".join(line for line in headed.splitlines() if not line.startswith("Msg "))
    drs = read("3201_os2_drs_error_n.log")
    assert signature(headed) == signature(plain) == signature(drs)
    errorlog = read("3201_os1117_errorlog_format.log")
    assert signature(errorlog) == (
        "Msg 3201: Cannot open backup device '*'. Operating system error 1117."
    )
    assert signature(read("4305_too_recent.log")) == signature(
        read("4305_too_recent.log").replace("37000000040800001", "1200000000100001")
    )


def test_different_cause_different_signature():
    pairs = [
        ("3201_os2_msg.log", "3201_os5_backup_device.log"),
        ("4305_too_recent.log", "4326_too_early.log"),
        ("3154_other_database.log", "1834_file_of_other_db.log"),
        ("obs_access_denied.log", "obs_no_such_key.log"),
    ]
    for left, right in pairs:
        assert signature(read(left)) != signature(read(right)), (left, right)


def test_signatures_are_short_and_hold_no_names():
    for name in EXPECTED:
        sig = signature(read(name))
        assert sig and len(sig) <= SIGNATURE_LENGTH, name
        assert signature(read(name)) == sig  # deterministic
        for word in ("SalesDB", "ERP", "RDSDBDATA", ".bak", "spid"):
            assert word not in sig, (name, sig)
        assert not re.search(r"\d{5,}", re.sub(r"^Msg \d+: ", "", sig)), (name, sig)


def test_signature_of_free_text_blanks_numbers():
    assert (
        signature("Precheck failed: disk 12 GB short\nmore") == "Precheck failed: disk N GB short"
    )
