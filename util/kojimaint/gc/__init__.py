"""koji-gc: prune tags by policy, move unreferenced builds to the trashcan, delete them."""
