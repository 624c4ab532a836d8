"""A faithful, in-process simulator of Huawei Cloud DRS v5 backup migration and IAM tokens."""

from .faults import KINDS as FAULT_KINDS
from .server import Simulator, SimulatorConfig
from .store import JobStore

__all__ = ["FAULT_KINDS", "JobStore", "Simulator", "SimulatorConfig"]
