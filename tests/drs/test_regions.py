from __future__ import annotations

import pytest

from jobs.drs import REGIONS, UnknownRegion, endpoints_for


def test_all_34_regions():
    assert len(REGIONS) == len(set(REGIONS)) == 34


def test_endpoints():
    assert endpoints_for("ap-southeast-3").drs == "https://drs.ap-southeast-3.myhuaweicloud.com"
    assert endpoints_for("ap-southeast-3").iam == "https://iam.ap-southeast-3.myhuaweicloud.com"
    assert endpoints_for("eu-west-101").drs == "https://drs.eu-west-101.myhuaweicloud.eu"
    assert all(endpoints_for(r).drs.startswith(f"https://drs.{r}.") for r in REGIONS)


def test_unknown_region():
    with pytest.raises(UnknownRegion):
        endpoints_for("mars-1")
