"""Hub side of the policy engine: the hub's own tests, loading, and checking policies.

koji/policy.py knows the rule language; this module adds the tests that need the
database (tags, builds, users ...), parses the ``[policy]`` texts once at start-up (the
dispatcher stores the result on ``context.policy``) and gives the rest of the hub
``check_policy`` / ``assert_policy`` / ``eval_policy``.
"""
import copy
import logging
import threading

import koji
import koji.policy
from koji.context import context
from koji.policy import (BaseSimpleTest, BoolTest, MatchTest, PolicySyntaxError,
                         findSimpleTests, parse_policies)

from .auth import assert_host_session as _assert_host_session  # noqa: F401 (re-export)
from .config import DEFAULT_POLICIES
from .db import QueryProcessor
from .lookup import lookup_name

logger = logging.getLogger('koji.policy')

ALLOW_WORDS = ('yes', 'true', 'allow', 'allowed')

# test classes registered by hub plugins at import time (see register_test)
_registered_tests = {}
# names of the policies being evaluated in this thread, to stop `policy` test loops
_local = threading.local()


# ---------------------------------------------------------------------------
# data helpers shared by the tests

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def policy_get_user(data):
    """The user a policy decides about: data user_id, else the caller, else None."""
    from ..users.users import get_session_user, get_user
    if '_policy_user' in data:
        return data['_policy_user']
    user = None
    if 'user_id' in data:
        if data['user_id'] is not None:
            user = get_user(data['user_id'], krb_princs=False)
    else:
        session = getattr(context, 'session', None)
        if session is not None and getattr(session, 'logged_in', False):
            user = get_session_user()
    data['_policy_user'] = user
    return user


def _build_clauses(info):
    if isinstance(info, dict):
        if info.get('id') is not None:
            info = info['id']
        else:
            info = '%(name)s-%(version)s-%(release)s' % info
    if _is_int(info):
        return ['build.id = %(id)s'], {'id': info}
    if isinstance(info, str):
        nvr = koji.parse_NVR(info)
        return (['package.name = %(name)s', 'build.version = %(version)s',
                 'build.release = %(release)s'], nvr)
    raise koji.GenericError('Invalid build info in policy data: %r' % (info,))


def policy_get_build(data):
    """The data's build as a dict (cached in the data), or None when there is none."""
    info = data.get('build')
    if info is None:
        return None
    cached = data.get('_build_info')
    if cached is not None and cached[0] == repr(info):
        return cached[1]
    clauses, values = _build_clauses(info)
    query = QueryProcessor(
        tables=['build'],
        columns=['build.id', 'package.name', 'build.version', 'build.release',
                 'build.epoch', 'build.owner', 'build.draft', 'build.source',
                 'build.task_id', 'volume.name', 'build.cg_id', 'build.state'],
        aliases=['id', 'name', 'version', 'release', 'epoch', 'owner', 'draft', 'source',
                 'task_id', 'volume_name', 'cg_id', 'state'],
        joins=['package ON package.id = build.pkg_id',
               'volume ON volume.id = build.volume_id'],
        clauses=clauses, values=values)
    build = query.executeOne()
    if build is None:
        raise koji.GenericError('No such build: %s' % (info,))
    data['_build_info'] = (repr(info), build)
    return build


def _named(table, value):
    """Name for an id, name or {id/name} dict of a named table (None if unknown)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    row = lookup_name(table, value)
    return row['name'] if row else None


def _tag_names(values):
    """Names of tags given by id or name (one query for the ids)."""
    names = []
    ids = []
    for value in values:
        if isinstance(value, dict):
            value = value.get('id', value.get('name'))
        if _is_int(value):
            ids.append(value)
        elif value is not None:
            names.append(value)
    if ids:
        query = QueryProcessor(tables=['tag'], columns=['name'],
                               clauses=['id IN %(ids)s'], values={'ids': tuple(ids)})
        names.extend(row['name'] for row in query.execute())
    return names


def _tag_ids(values):
    ids = []
    for value in values:
        row = lookup_name('tag', value)
        if row is not None:
            ids.append(row['id'])
    return ids


def _build_buildroots(build_id):
    """Buildroot ids (None for imported components) of a build's rpms and archives."""
    sql = ('SELECT buildroot_id FROM rpminfo WHERE build_id = %(id)s '
           'UNION SELECT buildroot_id FROM archiveinfo WHERE build_id = %(id)s')
    cursor = context.cnx.cursor()
    cursor.execute(sql, {'id': build_id})
    rows = [row[0] for row in cursor.fetchall()]
    cursor.close()
    return rows


# ---------------------------------------------------------------------------
# hub tests

class OperationTest(MatchTest):
    """``operation PAT...``: the tag operation (tag, move, untag)."""
    name = 'operation'
    field = 'operation'


class IsNewPackageTest(BaseSimpleTest):
    """``is_new_package``: the package is not known to the hub yet."""
    name = 'is_new_package'

    def run(self, data):
        if data.get('package') is not None:
            return lookup_name('package', data['package']) is None
        # a build always has a known package; no package at all is not "new"
        return False


class _NameFromDataOrBuild(object):
    """Mixin for match tests on a named object: data[table], else the build's ``build_key``.

    Not a policy test itself (no BaseSimpleTest base), so test discovery skips it.
    """
    table = None
    build_key = None

    def run(self, data):
        name = None
        if data.get(self.table) is not None:
            name = _named(self.table, data[self.table])
        else:
            build = policy_get_build(data)
            if build is not None:
                name = build[self.build_key]
        data[self.field] = name
        return super().run(data)


class PackageTest(_NameFromDataOrBuild, MatchTest):
    """``package PAT...``: the package name (data package, else the build's)."""
    name = 'package'
    field = '_package'
    table = 'package'
    build_key = 'name'


class VersionTest(MatchTest):
    """``version PAT...``: data version, else the build's version."""
    name = 'version'
    field = '_version'
    source = 'version'

    def run(self, data):
        value = data.get(self.source)
        if value is None:
            build = policy_get_build(data)
            if build is not None:
                value = build[self.source]
        data[self.field] = value
        return super().run(data)


class ReleaseTest(VersionTest):
    """``release PAT...``: data release, else the build's release."""
    name = 'release'
    field = '_release'
    source = 'release'


class VolumeTest(_NameFromDataOrBuild, MatchTest):
    """``volume PAT...``: the volume name (data volume, else the build's volume)."""
    name = 'volume'
    field = '_volume'
    table = 'volume'
    build_key = 'volume_name'


def policy_get_cgs(data):
    """Content generator names involved (None for a component made without one)."""
    if 'cg_list' in data:
        return set(_named('content_generator', cg) for cg in data['cg_list'] or ())
    cg_ids = set()
    build = policy_get_build(data)
    if build is not None and build['cg_id'] is not None:
        cg_ids.add(build['cg_id'])
    if 'buildroots' in data:
        brs = [br.get('id') if isinstance(br, dict) else br for br in data['buildroots']]
    elif build is not None:
        brs = _build_buildroots(build['id'])
    else:
        brs = []
    has_none = None in brs
    brs = [br for br in brs if br is not None]
    if brs:
        query = QueryProcessor(tables=['buildroot'], columns=['id', 'cg_id'],
                               clauses=['id IN %(ids)s'], values={'ids': tuple(brs)})
        for row in query.execute():
            if row['cg_id'] is None:
                has_none = True
            else:
                cg_ids.add(row['cg_id'])
    names = set()
    if cg_ids:
        query = QueryProcessor(tables=['content_generator'], columns=['name'],
                               clauses=['id IN %(ids)s'], values={'ids': tuple(cg_ids)})
        names = set(row['name'] for row in query.execute())
    if has_none:
        names.add(None)
    return names


class CGMatchAnyTest(BaseSimpleTest):
    """``cg_match_any PAT...``: some content generator involved matches."""
    name = 'cg_match_any'

    def run(self, data):
        pats = self._args()
        return any(cg is not None and koji.policy._multi_fnmatch(cg, pats)
                   for cg in policy_get_cgs(data))


class CGMatchAllTest(BaseSimpleTest):
    """``cg_match_all PAT...``: every component comes from a matching content generator."""
    name = 'cg_match_all'

    def run(self, data):
        pats = self._args()
        cgs = policy_get_cgs(data)
        if not cgs:
            return False
        return all(cg is not None and koji.policy._multi_fnmatch(cg, pats) for cg in cgs)


class TagTest(MatchTest):
    """``tag PAT...``: the name of the data's tag."""
    name = 'tag'
    field = '_tagname'
    source = 'tag'

    def run(self, data):
        value = data.get(self.source)
        name = None
        if value is not None:
            row = lookup_name('tag', value)
            name = row['name'] if row else None
        if name is None:
            return False
        data[self.field] = name
        return super().run(data)


class FromTagTest(TagTest):
    """``fromtag PAT...``: the name of the tag a build moves from."""
    name = 'fromtag'
    field = '_fromtagname'
    source = 'fromtag'


class HasTagTest(BaseSimpleTest):
    """``hastag PAT...``: the build is tagged now in a tag matching a pattern."""
    name = 'hastag'

    def run(self, data):
        build = policy_get_build(data)
        if build is None:
            return False
        query = QueryProcessor(tables=['tag_listing'], columns=['tag.name'], aliases=['name'],
                               joins=['tag ON tag.id = tag_listing.tag_id'],
                               clauses=['tag_listing.build_id = %(id)s',
                                        'tag_listing.active = TRUE'],
                               values={'id': build['id']})
        pats = self._args()
        return any(koji.policy._multi_fnmatch(row['name'], pats) for row in query.execute())


class SkipTagTest(BoolTest):
    """``skip_tag``: the build was asked not to be tagged."""
    name = 'skip_tag'
    field = 'skip_tag'


def policy_get_build_tags(data):
    """Names of the build tags: data build_tag(s), else the target's, else buildroots'."""
    if data.get('build_tag') is not None:
        return _tag_names([data['build_tag']])
    if data.get('build_tags') is not None:
        return _tag_names(data['build_tags'])
    if data.get('target') is not None:
        target = data['target']
        if isinstance(target, dict):
            target = target.get('id', target.get('name'))
        clause = 'build_target.id = %(t)s' if _is_int(target) else 'build_target.name = %(t)s'
        query = QueryProcessor(tables=['build_target_config'], columns=['tag.name'],
                               aliases=['name'],
                               joins=['build_target ON build_target.id = '
                                      'build_target_config.build_target_id',
                                      'tag ON tag.id = build_target_config.build_tag'],
                               clauses=[clause, 'build_target_config.active = TRUE'],
                               values={'t': target})
        return [row['name'] for row in query.execute()]
    build = policy_get_build(data)
    if build is None:
        return []
    brs = [br for br in _build_buildroots(build['id']) if br is not None]
    if not brs:
        return []
    query = QueryProcessor(tables=['standard_buildroot'], columns=['DISTINCT tag.name'],
                           aliases=['name'],
                           joins=['repo ON repo.id = standard_buildroot.repo_id',
                                  'tag ON tag.id = repo.tag_id'],
                           clauses=['standard_buildroot.buildroot_id IN %(ids)s'],
                           values={'ids': tuple(brs)})
    return [row['name'] for row in query.execute()]


class BuildTagTest(BaseSimpleTest):
    """``buildtag PAT...``: a build tag of the build matches."""
    name = 'buildtag'

    def run(self, data):
        pats = self._args()
        return any(koji.policy._multi_fnmatch(name, pats)
                   for name in policy_get_build_tags(data))


class BuildTagInheritsFromTest(BaseSimpleTest):
    """``buildtag_inherits_from PAT...``: an ancestor of a build tag matches."""
    name = 'buildtag_inherits_from'

    def run(self, data):
        from ..tags.inheritance import readFullInheritance
        pats = self._args()
        for tag_id in _tag_ids(policy_get_build_tags(data)):
            links = readFullInheritance(tag_id)
            names = [link.get('name') for link in links if link.get('name')]
            names += _tag_names([link['parent_id'] for link in links if not link.get('name')])
            if any(koji.policy._multi_fnmatch(name, pats) for name in names):
                return True
        return False


class BuildTypeTest(BaseSimpleTest):
    """``buildtype PAT...``: one of the build's types (rpm, maven, ...) matches."""
    name = 'buildtype'

    def run(self, data):
        if data.get('btypes') is not None:
            btypes = data['btypes']
        else:
            build = policy_get_build(data)
            if build is None:
                return False
            query = QueryProcessor(tables=['build_types'], columns=['btype.name'],
                                   aliases=['name'],
                                   joins=['btype ON btype.id = build_types.btype_id'],
                                   clauses=['build_types.build_id = %(id)s'],
                                   values={'id': build['id']})
            btypes = [row['name'] for row in query.execute()]
        pats = self._args()
        return any(koji.policy._multi_fnmatch(str(bt), pats) for bt in btypes)


class ImportedTest(BaseSimpleTest):
    """``imported``: some rpm or archive of the build was imported (no buildroot)."""
    name = 'imported'

    def run(self, data):
        build = policy_get_build(data)
        if build is None:
            raise koji.GenericError('policy data must contain a build for the imported test')
        return None in _build_buildroots(build['id'])


class IsChildTaskTest(BoolTest):
    """``is_child_task``: the new task has a parent."""
    name = 'is_child_task'
    field = 'parent'


class MethodTest(MatchTest):
    """``method PAT...``: the task method."""
    name = 'method'
    field = 'method'


class UserTest(MatchTest):
    """``user PAT...``: the policy user's name."""
    name = 'user'
    field = '_username'

    def run(self, data):
        user = policy_get_user(data)
        if user is None:
            return False
        data['_username'] = user['name']
        return super().run(data)


class VMNameTest(MatchTest):
    """``vm_name PAT...``: the VM name of a winBuild."""
    name = 'vm_name'
    field = 'vm_name'


class IsBuildOwnerTest(BaseSimpleTest):
    """``is_build_owner``: the policy user owns the build (directly or via a group)."""
    name = 'is_build_owner'

    def run(self, data):
        from ..users.users import get_user_groups
        build = policy_get_build(data)
        user = policy_get_user(data)
        if build is None or user is None:
            return False
        if build['owner'] == user['id']:
            return True
        return build['owner'] in get_user_groups(user['id'])


class IsDraftTest(BaseSimpleTest):
    """``is_draft``: data draft flag, else whether the build is a draft."""
    name = 'is_draft'

    def run(self, data):
        if 'draft' in data:
            return bool(data['draft'])
        build = policy_get_build(data)
        return bool(build and build['draft'])


class UserInGroupTest(BaseSimpleTest):
    """``user_in_group PAT...``: the policy user is in a matching group."""
    name = 'user_in_group'

    def run(self, data):
        from ..users.users import get_user_groups
        user = policy_get_user(data)
        if user is None:
            return False
        pats = self._args()
        return any(koji.policy._multi_fnmatch(name, pats)
                   for name in get_user_groups(user['id']).values())


class HasPermTest(BaseSimpleTest):
    """``has_perm PAT...``: the policy user holds a matching permission (no admin magic)."""
    name = 'has_perm'

    def run(self, data):
        from ..users.perms import get_user_perms
        user = policy_get_user(data)
        if user is None:
            return False
        pats = self._args()
        session = getattr(context, 'session', None)
        if session is not None and user['id'] == session.user_id:
            # the session reads its user's permissions once per request
            perms = session.getPerms()
        else:
            perms = get_user_perms(user['id'])
        return any(koji.policy._multi_fnmatch(name, pats) for name in perms)


def _task_source(task_id):
    """The source (first string parameter) of a build task, or None."""
    from koji import xmlrpcplus
    query = QueryProcessor(tables=['task'], columns=['request'],
                           clauses=['id = %(id)s'], values={'id': task_id})
    row = query.executeOne()
    if row is None or not row['request']:
        return None
    try:
        params = xmlrpcplus.loads(row['request'])[0]
    except Exception:
        return None
    if params and isinstance(params[0], str):
        return params[0]
    return None


class SourceTest(MatchTest):
    """``source PAT...``: data source, else the build's source, else its task's."""
    name = 'source'
    field = '_source'

    def run(self, data):
        value = data.get('source')
        if value is None:
            build = policy_get_build(data)
            if build is not None:
                value = build['source']
                if value is None and build['task_id'] is not None:
                    value = _task_source(build['task_id'])
        data['_source'] = value
        return super().run(data)


class PolicyTest(BaseSimpleTest):
    """``policy NAME``: another named policy says yes/true/allow for the same data."""
    name = 'policy'

    def __init__(self, str):
        super().__init__(str)
        args = self._args()
        if len(args) != 1:
            raise koji.GenericError('policy test takes exactly one policy name: %s'
                                    % str.strip())
        self.policy_name = args[0]

    def run(self, data):
        result = _apply(self.policy_name, _ruleset(self.policy_name), data)[0]
        if result is None:
            return False
        words = result.split()
        return bool(words) and words[0].lower() in ALLOW_WORDS


# ---------------------------------------------------------------------------
# loading

def register_test(cls, name=None):
    """Let a hub plugin add a policy test class at import time (overrides builtins)."""
    if not isinstance(cls, type) or not issubclass(cls, BaseSimpleTest):
        raise koji.PluginError('%r is not a policy test class' % (cls,))
    if name is None:
        name = list(findSimpleTests({cls.__name__: cls}))[0]
    _registered_tests[name] = cls
    return cls


def builtin_tests():
    """{name: class} of the generic tests and the hub tests (37 in all)."""
    own = {}
    for key, value in globals().items():
        if (isinstance(value, type) and issubclass(value, BaseSimpleTest)
                and value.__module__ == __name__):
            own[key] = value
    return findSimpleTests([own, vars(koji.policy)])


def plugin_tests(tracker):
    """Test classes found in the loaded hub plugin modules, in load order."""
    tests = {}
    if tracker is None:
        return tests
    for module in list(getattr(tracker, 'plugins', {}).values()):
        tests.update(findSimpleTests(vars(module)))
    return tests


def load_policies(opts, plugin_tests=None):
    """Parse the [policy] texts (over the defaults) into {name: SimpleRuleSet}.

    An invalid text raises PolicySyntaxError naming the policy and the line, which the
    dispatcher turns into 'server startup error'.
    """
    texts = dict(DEFAULT_POLICIES)
    texts.update((opts or {}).get('policy') or {})
    tests = [builtin_tests()]
    if _registered_tests:
        tests.append(dict(_registered_tests))
    if plugin_tests:
        tests.append(dict(plugin_tests))
    try:
        return parse_policies(texts, tests)
    except PolicySyntaxError as exc:
        logger.error('Invalid policy configuration: %s', exc)
        raise


def get_policy(opts, tracker=None):
    """Start-up entry point used by the dispatcher: builtins + plugin tests."""
    return load_policies(opts, plugin_tests=plugin_tests(tracker))


# ---------------------------------------------------------------------------
# evaluation

def _policies():
    policies = getattr(context, 'policy', None)
    if not policies:
        # a started hub always has the default policies, so an empty or missing value
        # means nobody loaded them (scripts, in-process tests): load the configured texts
        policies = load_policies(getattr(context, 'opts', None) or {})
        context.policy = policies
    return policies


def _ruleset(name):
    ruleset = _policies().get(name)
    if ruleset is None:
        raise koji.GenericError('no such policy: %s' % name)
    return ruleset


def _apply(name, ruleset, data):
    """Run a rule set on a private copy, so threads never share the matched-rule state."""
    stack = getattr(_local, 'stack', None)
    if stack is None:
        stack = _local.stack = []
    if name in stack:
        raise koji.GenericError('policy loop detected: %s' % ' -> '.join(stack + [name]))
    stack.append(name)
    try:
        rules = copy.copy(ruleset)
        result = rules.apply(data)
        return result, rules.last_rule()
    finally:
        stack.pop()


def _verbose():
    opts = getattr(context, 'opts', None) or {}
    return bool(opts.get('VerbosePolicy') or opts.get('KojiDebug'))


def _fail(name, reason, lastrule):
    msg = 'policy violation (%s)' % name
    if reason:
        msg += ': %s' % reason
    if lastrule and _verbose():
        msg += ' [rule: %s]' % lastrule
    raise koji.ActionNotAllowed(msg)


def check_policy(name, data, default='deny', strict=False, force=False):
    """Evaluate an allow/deny policy; return (allowed, reason).

    No match gives ``default``; a first word other than allow/deny is an error in the
    policy and denies.  With strict a denial raises ActionNotAllowed; with force an
    admin caller overrides a denial.
    """
    ruleset = _policies().get(name)
    lastrule = None
    if ruleset is None:
        opts = getattr(context, 'opts', None) or {}
        if opts.get('MissingPolicyOk', True):
            return True, 'missing policy'
        action, reason = 'deny', 'missing policy'
    else:
        result, lastrule = _apply(name, ruleset, dict(data or {}))
        if result is None:
            action, reason = default, 'not covered by policy'
        else:
            words = result.split(None, 1)
            action = words[0].lower() if words else ''
            reason = words[1] if len(words) > 1 else ''
        logger.debug('policy %s gave %s (%s), rule: %s', name, action, reason, lastrule)
    if action == 'allow':
        return True, reason
    if action != 'deny':
        logger.error('policy %s gave an invalid action: %r (rule: %s)', name, action,
                     lastrule)
        reason = 'error in policy'
    if force:
        session = getattr(context, 'session', None)
        if session is not None and session.hasPerm('admin'):
            logger.info('policy %s denial overridden by admin force (%s)', name, reason)
            return True, 'overridden by force'
    if strict:
        _fail(name, reason, lastrule)
    return False, reason


def assert_policy(name, data, default='deny', force=False):
    """check_policy that raises ActionNotAllowed on a denial."""
    check_policy(name, data, default=default, strict=True, force=force)


def eval_policy(name, data):
    """evalPolicy: the raw action string of a policy (None when no rule matched)."""
    return _apply(name, _ruleset(name), dict(data or {}))[0]


# ---------------------------------------------------------------------------
# calls

def _check_data(data):
    if not isinstance(data, dict):
        raise koji.ParameterError('policy data must be a dict')


def eval_policy_call(name, data):
    """evalPolicy: anyone may ask what a policy answers for some data."""
    _check_data(data)
    return eval_policy(name, data)


def host_check_policy(name, data, default='deny', strict=False):
    """host.checkPolicy: [allowed, reason]."""
    _assert_host_session()
    _check_data(data)
    return list(check_policy(name, data, default=default, strict=strict))


def host_assert_policy(name, data, default='deny'):
    """host.assertPolicy: raise ActionNotAllowed unless the policy allows."""
    _assert_host_session()
    _check_data(data)
    assert_policy(name, data, default=default)


def host_eval_policy(name, data):
    """host.evalPolicy: the raw action string."""
    _assert_host_session()
    _check_data(data)
    return eval_policy(name, data)


class PolicyExports(object):
    """Policy calls, bound into RootExports."""

    evalPolicy = staticmethod(eval_policy_call)


class PolicyHostExports(object):
    """Policy calls of build hosts, bound into HostExports (``host.`` prefix)."""

    checkPolicy = staticmethod(host_check_policy)
    assertPolicy = staticmethod(host_assert_policy)
    evalPolicy = staticmethod(host_eval_policy)
