"""pol's protobuf messages, built at import time from ``descriptors.pb`` (see
``gen-descriptors``) in a pool of their own, so no generated code has to match the
installed protobuf runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Type

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

_files = descriptor_pb2.FileDescriptorSet.FromString(
    Path(__file__).with_name("descriptors.pb").read_bytes()
)
_pool = descriptor_pool.DescriptorPool()
for _f in _files.file:
    _pool.Add(_f)
_classes: Dict[str, Type[Message]] = message_factory.GetMessageClassesForFiles(
    [f.name for f in _files.file], _pool
)


def message(full_name: str) -> Type[Message]:
    """The class of a message by its full name, e.g. ``pol.worker.v1.InferRequest``."""
    return _classes[full_name]


def enum_value(full_name: str, value: str) -> int:
    """The number of an enum value, e.g. ``enum_value("pol.inference.v1.SetupKind", "SETUP_KIND_CEREMONY")``."""
    return int(_pool.FindEnumTypeByName(full_name).values_by_name[value].number)


InferRequest: Any = message("pol.worker.v1.InferRequest")
InferResponse: Any = message("pol.worker.v1.InferResponse")
Payment: Any = message("pol.worker.v1.Payment")
Receipt: Any = message("pol.worker.v1.Receipt")
MsgOpenChannel: Any = message("pol.payments.v1.MsgOpenChannel")
MsgFundChannel: Any = message("pol.payments.v1.MsgFundChannel")
MsgCloseChannel: Any = message("pol.payments.v1.MsgCloseChannel")
QueryChannelRequest: Any = message("pol.payments.v1.QueryChannelRequest")
QueryChannelsRequest: Any = message("pol.payments.v1.QueryChannelsRequest")
QueryChannelsResponse: Any = message("pol.payments.v1.QueryChannelsResponse")
QueryChannelResponse: Any = message("pol.payments.v1.QueryChannelResponse")
MsgReportServedLatency: Any = message("pol.latency.v1.MsgReportServedLatency")
QueryServedRequest: Any = message("pol.latency.v1.QueryServedRequest")
QueryServedResponse: Any = message("pol.latency.v1.QueryServedResponse")
QueryRouteRequest: Any = message("pol.latency.v1.QueryRouteRequest")
QueryRouteResponse: Any = message("pol.latency.v1.QueryRouteResponse")
QueryModelRequest: Any = message("pol.inference.v1.QueryModelRequest")
QueryModelResponse: Any = message("pol.inference.v1.QueryModelResponse")
QueryArchitectureRequest: Any = message("pol.inference.v1.QueryArchitectureRequest")
QueryArchitectureResponse: Any = message("pol.inference.v1.QueryArchitectureResponse")
