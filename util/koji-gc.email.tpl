Hello $owner,

koji-gc found the builds below unused: no tag, buildroot or archive refers to them any
more. They have been moved to the trashcan tag and will be deleted for good once the
grace period is over. This is routine clean-up of the build system.

$builds

To keep one of them, tag it again (or ask an administrator to) before the grace period
ends.
