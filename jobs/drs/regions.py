"""Region id → DRS and IAM endpoints (drs-api.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

# huaweicloudsdkdrs 3.1.219 DrsRegion, in the SDK's order.
REGIONS: tuple[str, ...] = (
    "eu-west-101",
    "cn-north-4",
    "cn-north-1",
    "cn-south-1",
    "cn-east-3",
    "cn-east-2",
    "cn-north-2",
    "ap-southeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-brazil-1",
    "la-south-2",
    "la-north-2",
    "na-mexico-1",
    "af-south-1",
    "cn-north-9",
    "cn-southwest-2",
    "cn-south-2",
    "cn-south-4",
    "tr-west-1",
    "ap-southeast-4",
    "eu-west-0",
    "ru-moscow-1",
    "ae-ad-1",
    "my-kualalumpur-1",
    "ru-northwest-2",
    "ap-southeast-5",
    "cn-east-5",
    "cn-north-12",
    "cn-east-4",
    "cn-southwest-3",
    "cn-north-11",
    "af-north-1",
    "me-east-1",
)

# EU-Dublin lives on its own domain; the SDK's regional IAM host is the one we use.
_DOMAIN_EXCEPTIONS = {"eu-west-101": "myhuaweicloud.eu"}
DEFAULT_DOMAIN = "myhuaweicloud.com"
# The SDK's IamRegion has no regional endpoint for these; the token is scoped by project, so
# the global IAM works for them.
GLOBAL_IAM = "https://iam.myhuaweicloud.com"
WITHOUT_REGIONAL_IAM = frozenset(
    {"cn-south-4", "ru-northwest-2", "ap-southeast-5", "cn-southwest-3", "cn-north-11"}
    | {"af-north-1"}
)
# The only regions a Huawei page (2025-02) lists for the v5 API; elsewhere it is unconfirmed.
V5_DOCUMENTED = frozenset({"cn-south-2", "cn-south-4"})


@dataclass(frozen=True, slots=True)
class Endpoints:
    drs: str
    iam: str
    v5_documented: bool = False


class UnknownRegion(ValueError):
    pass


def endpoints_for(region: str) -> Endpoints:
    if region not in REGIONS:
        raise UnknownRegion(f"Unknown region {region!r}")
    domain = _DOMAIN_EXCEPTIONS.get(region, DEFAULT_DOMAIN)
    regional_iam = f"https://iam.{region}.{domain}"
    return Endpoints(
        drs=f"https://drs.{region}.{domain}",
        iam=GLOBAL_IAM if region in WITHOUT_REGIONAL_IAM else regional_iam,
        v5_documented=region in V5_DOCUMENTED,
    )
