"""Tags, inheritance, targets, package lists, groups, external repos and tagging."""
