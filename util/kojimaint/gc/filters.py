"""Tag and package filters of the command line (ignore wins over the tag filter)."""
import fnmatch


def check_tag(options, name):
    for pattern in options.ignore_tags or []:
        if fnmatch.fnmatch(name, pattern):
            return False
    if options.tag_filter:
        return any(fnmatch.fnmatch(name, p) for p in options.tag_filter)
    return True


def check_package(options, name):
    if options.pkg_filter:
        return any(fnmatch.fnmatch(name, p) for p in options.pkg_filter)
    return True
