"""A faithful, in-process simulator of Huawei Cloud DRS v5 backup migration and IAM tokens."""

from jobs.simulator.config import SimulatorConfig
from jobs.simulator.faults import HOSTILE_KINDS
from jobs.simulator.faults import KINDS as FAULT_KINDS
from jobs.simulator.server import Simulator
from jobs.simulator.store import JobStore

__all__ = ["FAULT_KINDS", "HOSTILE_KINDS", "JobStore", "Simulator", "SimulatorConfig"]
