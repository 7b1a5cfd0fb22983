"""Hub policies (kojihub.core.policy): loading, checks, the hub's own tests, host calls."""
import textwrap
import types

import pytest

import koji
import koji.policy
from koji.context import context
from kojihub.core import policy
from kojihub.core.config import DEFAULT_POLICIES
from kojihub.core.db import InsertProcessor
from kojihub.core.policy import PolicyExports as api
from kojihub.core.policy import PolicyHostExports as host_api

from tests.fixtures.auth import end_request


def sql(query, values=None):
    cursor = context.cnx.cursor()
    cursor.execute(query, values or {})
    rows = cursor.fetchall() if cursor.description else None
    cursor.close()
    if not query.lstrip().upper().startswith('SELECT'):
        context.commit_pending = True
    return rows


def use_policies(texts, **opts):
    """Load these [policy] texts (over the defaults) into the current context."""
    context.opts = dict(context.opts, policy=texts, **opts)
    context.policy = policy.load_policies(context.opts)


def make_build(name, version, release, owner, draft=False, source=None, task_id=None):
    pkg = sql('SELECT id FROM package WHERE name = %(n)s', {'n': name})
    if pkg:
        pkg_id = pkg[0][0]
    else:
        pkg_id = sql('INSERT INTO package (name) VALUES (%(n)s) RETURNING id', {'n': name})[0][0]
    return sql('INSERT INTO build (pkg_id, version, release, state, owner, volume_id, '
               'completion_time, source, task_id) VALUES (%(p)s, %(v)s, %(r)s, 1, %(o)s, 0, '
               'NOW(), %(s)s, %(t)s) RETURNING id',
               {'p': pkg_id, 'v': version, 'r': release, 'o': owner, 's': source,
                't': task_id})[0][0]


@pytest.fixture
def admin(make_user, login_as):
    user = make_user('poladmin', perms=['admin'])
    login_as('poladmin')
    return user


# ---------------------------------------------------------------------------
# loading

def test_load_defaults_and_overrides(hub_context):
    rules = policy.load_policies({'policy': {}})
    assert set(rules) == set(DEFAULT_POLICIES)
    assert len(policy.builtin_tests()) == 37
    rules = policy.load_policies({'policy': {'tag': 'operation move :: deny\nall :: allow',
                                             'build_rpm': 'all :: deny nope'}})
    assert 'tag' in rules and set(DEFAULT_POLICIES) < set(rules)
    assert rules['build_rpm'].apply({}) == 'deny nope'
    assert rules['tag'].apply({'operation': 'move'}) == 'deny'


def test_load_invalid_names_policy_and_line(hub_context):
    text = 'has_perm admin :: allow\nno_such_test foo :: deny\n'
    with pytest.raises(koji.PolicySyntaxError if hasattr(koji, 'PolicySyntaxError')
                       else koji.policy.PolicySyntaxError) as exc:
        policy.load_policies({'policy': {'mypolicy': text}})
    msg = str(exc.value)
    assert "'mypolicy'" in msg and 'line 2' in msg and 'no_such_test' in msg
    with pytest.raises(koji.GenericError) as exc:
        policy.load_policies({'policy': {'tag': 'all :: {\n  all :: allow\n'}})
    assert 'nesting' in str(exc.value) and "'tag'" in str(exc.value)
    with pytest.raises(koji.GenericError) as exc:
        policy.load_policies({'policy': {'tag': 'all allow'}})
    assert 'line 1' in str(exc.value)


# ---------------------------------------------------------------------------
# check / assert / eval

def test_package_list_default(hub_context, make_user, login_as):
    make_user('tagger', perms=['tag'])
    make_user('nobody')
    login_as('nobody')
    context.policy = None   # loads the defaults on first use
    assert policy.check_policy('package_list', {'tag': 1, 'action': 'add'}) == \
        (False, 'Only admin/tag can do this via default policy')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        policy.assert_policy('package_list', {})
    assert str(exc.value) == ('policy violation (package_list): '
                              'Only admin/tag can do this via default policy')
    login_as('tagger')
    assert policy.check_policy('package_list', {}) == (True, '')
    # the policy user may also come from the data
    nobody = sql("SELECT id FROM users WHERE name = 'nobody'")[0][0]
    assert policy.check_policy('package_list', {'user_id': nobody})[0] is False


def test_verbose_default_error_and_force(hub_context, make_user, login_as):
    make_user('boss', perms=['admin'])
    login_as('boss')
    use_policies({'p1': 'match x 1 :: allow\nmatch x 2 :: frobnicate\nmatch x 3 :: deny',
                  'blk': 'has x :: {\n  match x 1 :: deny inner\n}\nall :: allow'})
    assert policy.check_policy('p1', {'x': 1}) == (True, '')
    assert policy.check_policy('p1', {'x': 2}) == (False, 'error in policy')
    assert policy.check_policy('p1', {'x': 3}) == (False, '')
    assert policy.check_policy('p1', {}) == (False, 'not covered by policy')
    assert policy.check_policy('p1', {}, default='allow') == (True, 'not covered by policy')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        policy.assert_policy('p1', {'x': 3})
    assert str(exc.value) == 'policy violation (p1)'
    assert policy.check_policy('p1', {'x': 3}, force=True) == (True, 'overridden by force')
    assert policy.check_policy('blk', {'x': 1}) == (False, 'inner')
    assert policy.check_policy('blk', {'x': 2}) == (True, '')

    context.opts['VerbosePolicy'] = True
    with pytest.raises(koji.ActionNotAllowed) as exc:
        policy.assert_policy('blk', {'x': 1})
    assert str(exc.value) == ('policy violation (blk): inner '
                              '[rule: has x :: ... match x 1 :: deny inner]')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        policy.assert_policy('p1', {})
    assert str(exc.value) == ('policy violation (p1): not covered by policy '
                              '[rule: (no match)]')


def test_missing_policy(hub_context, new_request):
    new_request()
    use_policies({})
    assert policy.check_policy('dist_repo', {}) == (True, 'missing policy')
    context.opts['MissingPolicyOk'] = False
    assert policy.check_policy('dist_repo', {}) == (False, 'missing policy')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        policy.assert_policy('dist_repo', {})
    assert str(exc.value) == 'policy violation (dist_repo): missing policy'
    with pytest.raises(koji.GenericError) as exc:
        api.evalPolicy('dist_repo', {})
    assert str(exc.value) == 'no such policy: dist_repo'


def test_eval_policy(hub_context, new_request):
    new_request()
    use_policies({'channel': 'has req_channel :: req\nis_child_task :: parent\n'
                             'method build* :: use builders\nall :: use default',
                  'nothing': 'none :: allow'})
    assert api.evalPolicy('channel', {'req_channel': 'x'}) == 'req'
    assert api.evalPolicy('channel', {'parent': 12}) == 'parent'
    assert api.evalPolicy('channel', {'parent': None, 'method': 'buildArch'}) == \
        'use builders'
    assert api.evalPolicy('channel', {'method': 'createrepo'}) == 'use default'
    assert api.evalPolicy('nothing', {}) is None
    assert api.evalPolicy('priority', {}) == 'stay'
    with pytest.raises(koji.ParameterError):
        api.evalPolicy('channel', 'notadict')


def test_policy_test_and_loops(hub_context, new_request):
    new_request()
    use_policies({'base': 'match a yes :: allow\nall :: deny',
                  'outer': 'policy base :: ok\nall :: no',
                  'loop1': 'policy loop2 :: allow', 'loop2': 'policy loop1 :: allow',
                  'ghost': 'policy nosuch :: allow'})
    assert policy.eval_policy('outer', {'a': 'yes'}) == 'ok'
    assert policy.eval_policy('outer', {'a': 'no'}) == 'no'
    with pytest.raises(koji.GenericError) as exc:
        policy.eval_policy('loop1', {})
    assert 'loop' in str(exc.value)
    with pytest.raises(koji.GenericError):
        policy.eval_policy('ghost', {})
    # the loop guard is cleaned up after the failure
    assert policy.eval_policy('outer', {'a': 'yes'}) == 'ok'


# ---------------------------------------------------------------------------
# the hub's tests

def test_user_tests(hub_context, make_user, login_as, new_request):
    make_user('dev', perms=['build'], groups=['devs'])
    other = make_user('other')
    login_as('dev')
    use_policies({'p': textwrap.dedent('''
        has_perm admin :: admin
        has_perm bui* && user_in_group dev* && user d?v :: dev
        user other :: other
        all :: nobody
        ''')})
    assert policy.eval_policy('p', {}) == 'dev'
    assert policy.eval_policy('p', {'user_id': other['id']}) == 'other'
    assert policy.eval_policy('p', {'user_id': None}) == 'nobody'
    new_request()
    assert not context.session.logged_in
    assert policy.eval_policy('p', {}) == 'nobody'


def test_tag_operation_and_build_tests(hub_context, admin, make_user):
    from kojihub.tags import tags
    dev = make_user('builder', groups=['packagers'])
    group_id = sql("SELECT id FROM users WHERE name = 'packagers'")[0][0]
    parent = tags.create_tag('f40-base')
    dest = tags.create_tag('f40-updates', parent='f40-base')
    build_id = make_build('bash', '5.2', '1.fc40', dev['id'], source='git+https://src/bash')
    gbuild = make_build('zsh', '5.9', '1', group_id)
    insert = InsertProcessor('tag_listing', data={'tag_id': parent, 'build_id': build_id})
    insert.make_create()
    insert.execute()
    end_request()
    use_policies({'tag': textwrap.dedent('''
        tag f40-* && fromtag f40-base && operation move :: move-ok
        hastag f40-b* && package bash && version 5.* && release *.fc40 :: bash-ok
        tag nosuch :: never
        all :: deny
        ''')})
    assert policy.eval_policy('tag', {'tag': dest, 'fromtag': 'f40-base',
                                      'operation': 'move', 'build': build_id}) == 'move-ok'
    assert policy.eval_policy('tag', {'tag': 'f40-updates', 'operation': 'tag',
                                      'build': 'bash-5.2-1.fc40'}) == 'bash-ok'
    assert policy.eval_policy('tag', {'tag': None, 'build': gbuild}) == 'deny'
    assert policy.eval_policy('tag', {'tag': 'missing-tag'}) == 'deny'

    use_policies({'own': 'is_build_owner :: yes\nall :: no',
                  'misc': textwrap.dedent('''
                      is_draft :: draft
                      source git+https://* :: git
                      volume DEFAULT && is_new_package :: newpkg
                      all :: other
                      ''')})
    assert policy.eval_policy('own', {'build': build_id, 'user_id': dev['id']}) == 'yes'
    assert policy.eval_policy('own', {'build': build_id}) == 'no'   # the admin is logged in
    assert policy.eval_policy('own', {'build': gbuild, 'user_id': dev['id']}) == 'yes'
    assert policy.eval_policy('misc', {'build': build_id}) == 'git'
    assert policy.eval_policy('misc', {'build': build_id, 'draft': True}) == 'draft'
    assert policy.eval_policy('misc', {'package': 'brand-new', 'volume': 'DEFAULT'}) == \
        'newpkg'
    assert policy.eval_policy('misc', {'package': 'bash', 'volume': 0}) == 'other'


def test_buildtag_and_build_content_tests(hub_context, admin):
    from kojihub.tags import tags, targets
    tags.create_tag('bt-root')
    tags.create_tag('bt-build', parent='bt-root')
    tags.create_tag('bt-dest')
    targets.create_build_target('bt-target', 'bt-build', 'bt-dest')
    build_id = make_build('imp', '1', '1', admin['id'])
    sql("INSERT INTO btype (name) SELECT 'rpm' WHERE NOT EXISTS "
        "(SELECT 1 FROM btype WHERE name = 'rpm')")
    sql("INSERT INTO build_types (build_id, btype_id) SELECT %(b)s, id FROM btype "
        "WHERE name = 'rpm'", {'b': build_id})
    end_request()
    bt_text = textwrap.dedent('''
        buildtag bt-build && buildtag_inherits_from bt-r* :: inherits
        buildtag bt-* :: direct
        all :: none
        ''')
    use_policies({'bt': bt_text,
                  'content': 'buildtype maven :: maven\nbuildtype rpm && imported :: imp\n'
                             'buildtype rpm :: rpm\nall :: none',
                  'task': 'is_child_task && method build* :: child\nskip_tag :: skip\n'
                          'all :: top'})
    assert policy.eval_policy('bt', {'build_tag': 'bt-build'}) == 'inherits'
    assert policy.eval_policy('bt', {'target': 'bt-target'}) == 'inherits'
    assert policy.eval_policy('bt', {'build_tags': ['bt-dest']}) == 'direct'
    assert policy.eval_policy('bt', {'build_tag': 'bt-root'}) == 'direct'
    assert policy.eval_policy('bt', {}) == 'none'
    # a build without components: not imported
    assert policy.eval_policy('content', {'build': build_id}) == 'rpm'
    assert policy.eval_policy('content', {'btypes': ['maven']}) == 'maven'
    with pytest.raises(koji.GenericError):
        policy.eval_policy('content', {'btypes': ['rpm']})
    assert policy.eval_policy('task', {'parent': 5, 'method': 'buildArch'}) == 'child'
    assert policy.eval_policy('task', {'parent': None, 'skip_tag': True}) == 'skip'
    assert policy.eval_policy('task', {'method': 'build'}) == 'top'


def test_cg_tests(hub_context, new_request):
    new_request()
    use_policies({'cg': 'cg_match_all osbs* :: all-osbs\ncg_match_any osbs :: some\n'
                        'all :: none'})
    assert policy.eval_policy('cg', {'cg_list': ['osbs', 'osbs2']}) == 'all-osbs'
    assert policy.eval_policy('cg', {'cg_list': ['osbs', 'other']}) == 'some'
    assert policy.eval_policy('cg', {'cg_list': []}) == 'none'
    assert policy.eval_policy('cg', {}) == 'none'


# ---------------------------------------------------------------------------
# plugins

class PluginColorTest(koji.policy.BaseSimpleTest):
    name = 'color'

    def run(self, data):
        return data.get('color') in self._args()


class OnlyTagTest(koji.policy.BaseSimpleTest):
    name = 'only_tag'
    policy = 'tag'

    def run(self, data):
        return True


def test_plugin_tests(hub_context):
    module = types.ModuleType('_koji_plugin__fake')
    module.PluginColorTest = PluginColorTest
    module.OnlyTagTest = OnlyTagTest
    module.BaseSimpleTest = koji.policy.BaseSimpleTest
    tracker = types.SimpleNamespace(plugins={'fake': module})
    found = policy.plugin_tests(tracker)
    assert found == {'color': PluginColorTest, 'only_tag': OnlyTagTest}
    opts = {'policy': {'tag': 'only_tag && color red :: allow\nall :: deny',
                       'vm': 'color blue :: allow\nall :: deny'}}
    rules = policy.get_policy(opts, tracker)
    assert rules['tag'].apply({'color': 'red'}) == 'allow'
    assert rules['vm'].apply({'color': 'blue'}) == 'allow'
    # the restricted test is not offered to other policies
    with pytest.raises(koji.GenericError) as exc:
        policy.get_policy({'policy': {'vm': 'only_tag :: allow'}}, tracker)
    assert 'only_tag' in str(exc.value)
    # without the plugin the test does not exist
    with pytest.raises(koji.GenericError):
        policy.load_policies(opts)


def test_register_test(hub_context):
    class ShapeTest(koji.policy.BaseSimpleTest):
        def run(self, data):
            return True
    try:
        policy.register_test(ShapeTest)
        rules = policy.load_policies({'policy': {'x': 'Shape :: yes'}})
        assert rules['x'].apply({}) == 'yes'
    finally:
        policy._registered_tests.clear()
    with pytest.raises(koji.GenericError):
        policy.register_test(object)


# ---------------------------------------------------------------------------
# host calls

def test_host_calls_need_host_session(hub_context, make_user, login_as, new_request):
    new_request()
    with pytest.raises(koji.AuthError) as exc:
        host_api.checkPolicy('build_rpm', {})
    assert str(exc.value) == 'Not logged-in'
    user = make_user('builder01')
    login_as('builder01')
    with pytest.raises(koji.AuthError) as exc:
        host_api.evalPolicy('build_rpm', {})
    assert str(exc.value) == 'User %i is not a host' % user['id']
    sql("INSERT INTO host (user_id, name) VALUES (%(u)s, 'builder01')", {'u': user['id']})
    end_request()
    login_as('builder01')
    with pytest.raises(koji.AuthError) as exc:
        host_api.assertPolicy('build_rpm', {})
    assert 'exclusive' in str(exc.value)
    context.session.makeExclusive()
    use_policies({})
    assert host_api.checkPolicy('build_rpm', {}) == [True, '']
    assert host_api.checkPolicy('build_from_srpm', {}) == \
        [False, 'Only admin can do this via default policy']
    with pytest.raises(koji.ActionNotAllowed):
        host_api.checkPolicy('build_from_srpm', {}, strict=True)
    with pytest.raises(koji.ActionNotAllowed):
        host_api.assertPolicy('build_from_srpm', {})
    host_api.assertPolicy('build_rpm', {})
    assert host_api.evalPolicy('volume', {}) == 'DEFAULT'
