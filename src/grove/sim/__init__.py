"""The embedded Grove cluster as one runnable unit: store, admission, controllers, scheduler, kubelet,
all on one virtual clock, plus the scripted front door ``grove sim run``."""
