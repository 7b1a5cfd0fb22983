"""Parts of util/koji-dev that live in modules of their own (the demo's build set-up)."""
