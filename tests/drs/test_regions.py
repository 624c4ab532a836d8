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


@pytest.mark.parametrize(
    "region",
    [
        "cn-south-4",
        "ru-northwest-2",
        "ap-southeast-5",
        "cn-southwest-3",
        "cn-north-11",
        "af-north-1",
    ],
)
def test_regions_without_regional_iam_use_the_global_one(region):
    endpoints = endpoints_for(region)
    assert endpoints.iam == "https://iam.myhuaweicloud.com"
    assert endpoints.drs == f"https://drs.{region}.myhuaweicloud.com"


def test_eu_dublin_keeps_its_own_iam():
    assert endpoints_for("eu-west-101").iam == "https://iam.eu-west-101.myhuaweicloud.eu"


def test_v5_documented_only_where_a_page_says_so():
    documented = {r for r in REGIONS if endpoints_for(r).v5_documented}
    assert documented == {"cn-south-2", "cn-south-4"}
