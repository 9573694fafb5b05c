"""Pure helpers shared by the Grove controllers: hashing, ownership/labels, startup ordering, topology."""
