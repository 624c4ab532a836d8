"""A faithful, in-process simulator of Huawei Cloud DRS v5 backup migration and IAM tokens."""

from .config import SimulatorConfig
from .faults import HOSTILE_KINDS
from .faults import KINDS as FAULT_KINDS
from .server import Simulator
from .store import JobStore

__all__ = ["FAULT_KINDS", "HOSTILE_KINDS", "JobStore", "Simulator", "SimulatorConfig"]
