"""Our SDK-HMAC-SHA256 signer is byte-identical to the official huaweicloudsdkcore signer."""

from __future__ import annotations

import string
from datetime import datetime

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.drs import signing
from jobs.drs.auth import AccessKeyCredentials, AkSkAuth, OutgoingRequest
from tests.support import EXAMPLE_ID

AK, SK = "QTWAOYTTINDUT2QVKYUC", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
VECTOR_HEADERS = {
    "Content-Type": "application/json",
    "X-Sdk-Date": "20191115T033655Z",
    "Host": "service.region.example.com",
}
VECTOR_QUERY = [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")]
VECTOR_PATH = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"


def sdk_authorization(method, host, path, query, headers, body=b"", ak=AK, sk=SK):
    request = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=path,
        query_params=list(query),
        header_params=dict(headers),
        body=body,
    )
    Signer(BasicCredentials(ak, sk)).sign(request)
    return request.header_params["Authorization"]


def test_documented_vector():
    ours = signing.authorization(
        AK, SK, "GET", VECTOR_PATH, signing.canonical_query(VECTOR_QUERY), VECTOR_HEADERS
    )
    assert ours == (
        "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
    )
    assert ours == sdk_authorization(
        "GET", "service.region.example.com", VECTOR_PATH, VECTOR_QUERY, VECTOR_HEADERS
    )


def test_canonical_request_hash_of_vector():
    import hashlib

    to_sign, _ = signing.string_to_sign(
        "GET", VECTOR_PATH, signing.canonical_query(VECTOR_QUERY), VECTOR_HEADERS
    )
    assert to_sign.endswith("b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a")
    assert hashlib.sha256(b"").hexdigest() == signing.EMPTY_BODY_SHA256


def drs_headers(host, date):
    return {
        "Content-Type": "application/json",
        "Host": host,
        "X-Language": "en-us",
        "X-Project-Id": "054ba152d480d55b2f5dc0069e7ddef0",
        "X-Sdk-Date": date,
    }


def test_real_drs_requests():
    host = "drs.ap-southeast-3.myhuaweicloud.com"
    path = "/v5/054ba152d480d55b2f5dc0069e7ddef0/backup-migration-jobs"
    cases = [
        (f"{path}/{EXAMPLE_ID}", []),
        (path, [("status", "PRECHECK FAILED"), ("limit", "10"), ("offset", "0")]),
        (path, [("dbs_instance_ids", "b-inst"), ("dbs_instance_ids", "a-inst"), ("name", "DRS")]),
        (path, [("name", "迁移 任务"), ("tags", "team=dba"), ("description", "a+b&c=d")]),
    ]
    for resource, query in cases:
        headers = drs_headers(host, "20261127T010203Z")
        ours = signing.authorization(
            AK, SK, "GET", resource, signing.canonical_query(query), headers
        )
        assert ours == sdk_authorization("GET", host, resource, query, headers), resource


def test_query_is_sent_as_signed():
    assert signing.canonical_query([("status", "PRECHECK FAILED"), ("a", "x~y")]) == (
        "a=x~y&status=PRECHECK%20FAILED"
    )


def test_client_auth_signs_like_the_sdk():
    request = OutgoingRequest(
        "GET",
        "127.0.0.1:8001",
        "/v5/p1/backup-migration-jobs",
        signing.canonical_query([("limit", "5")]),
        {"Content-Type": "application/json", "X-Language": "zh-cn", "User-Agent": "x"},
    )
    AkSkAuth(AccessKeyCredentials(AK, SK), "p1").authorize(request)
    signed = {k: v for k, v in request.headers.items() if k not in ("Authorization", "User-Agent")}
    assert "user-agent" not in request.headers["Authorization"]
    assert request.headers["Authorization"] == sdk_authorization(
        "GET", "127.0.0.1:8001", request.path, [("limit", "5")], signed
    )


segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"),
    min_size=1,
    max_size=12,
)
query_text = st.text(
    alphabet=string.ascii_letters + string.digits + " -_.~!*'()+,;=:@$中文", max_size=10
)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    segments=st.lists(segment, min_size=1, max_size=5),
    query=st.lists(st.tuples(query_text.filter(bool), query_text), max_size=5),
    body=st.binary(max_size=64),
    date=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.strftime(signing.DATE_FORMAT)
    ),
)
def test_generated_requests_match_sdk(method, segments, query, body, date):
    path = "/" + "/".join(segments)
    headers = {"Content-Type": "application/json", "Host": "example.com:8443", "X-Sdk-Date": date}
    ours = signing.authorization(
        AK, SK, method, path, signing.canonical_query(query), headers, body
    )
    assert ours == sdk_authorization(method, "example.com:8443", path, query, headers, body)
