"""Tag and target writes without the caller's permission check, for hub plugins.

Upstream's hub offers ``_create_tag``, ``_edit_tag``, ``_delete_tag``,
``_create_build_target`` and ``_delete_build_target``: the same writes as the API calls,
minus the 'tag' / 'target' permission check, so that a plugin (sidetag) can let any
user it approves of make tags.  Here they run the API functions with that check waived
for the current call only.
"""
import contextlib

from koji.context import context

from .tags import create_tag, delete_tag, edit_tag
from .targets import create_build_target, delete_build_target


@contextlib.contextmanager
def _perm_checks_waived():
    """Let assertPerm pass on this request's session until the block ends."""
    session = getattr(context, 'session', None)
    if session is None:
        yield
        return
    saved = session.__dict__.get('assertPerm')
    session.assertPerm = lambda name: None
    try:
        yield
    finally:
        if saved is None:
            del session.assertPerm
        else:
            session.assertPerm = saved


def _create_tag(name, parent=None, arches=None, perm=None, locked=False,
                maven_support=False, maven_include_all=False, extra=None):
    with _perm_checks_waived():
        return create_tag(name, parent=parent, arches=arches, perm=perm, locked=locked,
                          maven_support=maven_support, maven_include_all=maven_include_all,
                          extra=extra)


def _edit_tag(tagInfo, **kwargs):
    with _perm_checks_waived():
        return edit_tag(tagInfo, **kwargs)


def _delete_tag(tagInfo):
    with _perm_checks_waived():
        return delete_tag(tagInfo)


def _create_build_target(name, build_tag, dest_tag):
    with _perm_checks_waived():
        return create_build_target(name, build_tag, dest_tag)


def _delete_build_target(buildTargetInfo):
    with _perm_checks_waived():
        return delete_build_target(buildTargetInfo)
