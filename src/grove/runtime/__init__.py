"""A small controller-runtime in asyncio: informers with indexed caches, a rate-limited work queue,
controllers wired by a builder (for_/owns/watches + predicates), a manager with exact idleness,
expectations, an event recorder and Lease leader election. Everything reads an injected Clock."""

from grove.runtime.builder import Builder
from grove.runtime.cache import Indexer
from grove.runtime.controller import Controller, Result, TerminalError
from grove.runtime.events import EventRecorder
from grove.runtime.expectations import ExpectationsStore
from grove.runtime.handlers import Request
from grove.runtime.informer import EventHandler, Informer
from grove.runtime.leaderelection import LeaderElectionConfig, LeaderElector
from grove.runtime.manager import Manager
from grove.runtime.workqueue import WorkQueue

__all__ = ["Builder", "Controller", "EventHandler", "EventRecorder", "ExpectationsStore", "Indexer", "Informer",
           "LeaderElectionConfig", "LeaderElector", "Manager", "Request", "Result", "TerminalError", "WorkQueue"]
