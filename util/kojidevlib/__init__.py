"""Parts of util/koji-dev that live in modules of their own (demo builds, auth set-ups)."""
