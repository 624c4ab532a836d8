"""Build the official SDK's `CreateOfflineTaskReq` from a body we send, strictly: every key must
be a field of the SDK model, every value of the model's declared type; then the SDK's own
serializer must give back exactly our body."""

from __future__ import annotations

import re

from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization
from huaweicloudsdkdrs.v5 import model as sdk_models

PRIMITIVES = {"str": str, "bool": bool, "int": int}


def build(type_name: str, value):
    if type_name in PRIMITIVES:
        expected = PRIMITIVES[type_name]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise TypeError(f"{value!r} is not {type_name}")
        return value
    if match := re.fullmatch(r"list\[(.+)\]", type_name):
        if not isinstance(value, list):
            raise TypeError(f"{value!r} is not a list")
        return [build(match.group(1), item) for item in value]
    if match := re.fullmatch(r"dict\((\w+), (\w+)\)", type_name):
        if not isinstance(value, dict):
            raise TypeError(f"{value!r} is not a map")
        return {build(match.group(1), k): build(match.group(2), v) for k, v in value.items()}
    cls = getattr(sdk_models, type_name)
    if not isinstance(value, dict):
        raise TypeError(f"{type_name} needs an object, not {value!r}")
    by_json = {json_key: attr for attr, json_key in cls.attribute_map.items()}
    unknown = set(value) - set(by_json)
    if unknown:
        raise KeyError(f"{type_name} has no field(s) {sorted(unknown)}")
    return cls(**{by_json[k]: build(cls.openapi_types[by_json[k]], v) for k, v in value.items()})


def create_offline_task_req(body: dict):
    """The SDK model of `body`; raises if the SDK would not accept it as is."""
    request = build("CreateOfflineTaskReq", body)
    assert sanitize_for_serialization(request) == body, "the SDK serializes it differently"
    return request
