"""PodGang controller: the scheduler backends' SyncPodGang (KAI and Volcano PodGroups) as planners and
a thin reconciler."""
