"""Unit tests for koji.policy: the generic tests, the rule syntax and the hub helper."""
import configparser
import textwrap

import pytest

import koji
import koji.policy as policy
from koji.policy import (
    AllTest,
    BaseSimpleTest,
    BoolTest,
    CompareTest,
    FalseTest,
    HasTest,
    MatchAllTest,
    MatchAnyTest,
    MatchTest,
    NoneTest,
    PolicySyntaxError,
    SimpleRuleSet,
    TargetTest,
    TrueTest,
    findSimpleTests,
    parse_policies,
    select_tests,
)


# Default policy texts, exactly as hub-config.md (b) gives them.
DEFAULT_POLICIES = {
    "build_rpm": "\n            all :: allow\n            ",
    "build_from_srpm": "\n            has_perm admin :: allow\n"
                       "            all :: deny Only admin can do this via default policy\n"
                       "            ",
    "build_from_repo_id": "\n            has_perm admin :: allow\n"
                          "            all :: deny Only admin can do this via default policy\n"
                          "            ",
    "build_from_scm": "\n            has_perm admin :: allow\n"
                      "            # match scm_type CVS CVS+SSH && match scm_host scm.example.com"
                      " && match scm_repository /cvs/example :: allow\n"
                      "            # match scm_type GIT GIT+SSH && match scm_host git.example.org"
                      " && match scm_repository /example :: allow\n"
                      "            # match scm_type SVN SVN+SSH && match scm_host svn.example.org"
                      " && match scm_repository /users/* :: allow\n"
                      "            all :: deny Only admin can do this via default policy\n"
                      "            ",
    "package_list": "\n            has_perm admin :: allow\n            has_perm tag :: allow\n"
                    "            all :: deny Only admin/tag can do this via default policy\n"
                    "            ",
    "channel": "\n            has req_channel :: req\n            is_child_task :: parent\n"
               "            all :: use default\n            ",
    "vm": "\n            has_perm admin win-admin :: allow\n"
          "            all :: deny Only admin/win-admin can do this via default policy\n"
          "           ",
    "cg_import": "\n            all :: allow\n            ",
    "volume": "\n            all :: DEFAULT\n            ",
    "priority": "\n            all :: stay\n            ",
    "draft_promotion": "\n            has_perm draft-promoter :: allow\n"
                       "            is_build_owner :: allow\n"
                       "            all :: deny Only draft-promoter and build owner can do this"
                       " via default policy\n            ",
}


# Stand-ins for hub tests, driven by plain data keys so the engine can be tested alone.

class HasPermTest(BaseSimpleTest):
    """has_perm PAT...: data['perms'] holds a permission matching a pattern."""
    name = 'has_perm'

    def run(self, data):
        pats = self.str.split()[1:]
        return any(policy._multi_fnmatch(p, pats) for p in data.get('perms', []))


class IsChildTaskTest(BoolTest):
    name = 'is_child_task'
    field = 'parent'


class IsBuildOwnerTest(BaseSimpleTest):
    name = 'is_build_owner'

    def run(self, data):
        return data.get('owner') is not None and data.get('owner') == data.get('user_id')


class TagTest(MatchTest):
    name = 'tag'
    field = '_tagname'

    def run(self, data):
        data['_tagname'] = data.get('tag')
        return super().run(data)


class IsSidetagOwnerTest(BaseSimpleTest):
    name = 'is_sidetag_owner'

    def run(self, data):
        return bool(data.get('sidetag_owner'))


class RecordTest(BaseSimpleTest):
    """record NAME: appends NAME to data['seen'] and is true unless NAME starts with 'f'."""
    name = 'record'

    def run(self, data):
        word = self.str.split()[1]
        data.setdefault('seen', []).append(word)
        return not word.startswith('f')


GENERIC = findSimpleTests(vars(policy))
HUB = dict(GENERIC)
HUB.update(findSimpleTests([{
    'HasPermTest': HasPermTest,
    'IsChildTaskTest': IsChildTaskTest,
    'IsBuildOwnerTest': IsBuildOwnerTest,
    'TagTest': TagTest,
    'IsSidetagOwnerTest': IsSidetagOwnerTest,
    'RecordTest': RecordTest,
}]))


def ruleset(text, tests=HUB):
    return SimpleRuleSet(textwrap.dedent(text).splitlines(), tests)


# ---------------------------------------------------------------------------
# the generic tests


def test_generic_test_names():
    assert GENERIC == {
        'true': TrueTest, 'false': FalseTest, 'all': AllTest, 'none': NoneTest,
        'has': HasTest, 'bool': BoolTest, 'match': MatchTest, 'match_any': MatchAnyTest,
        'match_all': MatchAllTest, 'target': TargetTest, 'compare': CompareTest,
    }
    assert len(GENERIC) == 11
    assert BaseSimpleTest not in GENERIC.values()


def test_base_simple_test():
    t = BaseSimpleTest('foo  bar ')
    assert t.str == 'foo  bar '
    assert str(t) == 'foo  bar '
    assert BaseSimpleTest.name is None
    with pytest.raises(NotImplementedError):
        t.run({})


@pytest.mark.parametrize('cls, expected', [
    (TrueTest, True), (AllTest, True), (FalseTest, False), (NoneTest, False),
])
def test_constant_tests(cls, expected):
    assert cls(cls.name).run({}) is expected
    assert cls(cls.name + ' ignored args').run({'x': 1}) is expected


def test_has():
    t = HasTest('has foo')
    assert t.field == 'foo'
    assert t.run({'foo': None}) is True
    assert t.run({'foo': 0}) is True
    assert t.run({'bar': 1}) is False
    for bad in ('has', 'has a b'):
        with pytest.raises(koji.GenericError):
            HasTest(bad)


def test_bool_generic():
    t = BoolTest('bool scratch')
    assert t.run({'scratch': True}) is True
    assert t.run({'scratch': 'yes'}) is True
    assert t.run({'scratch': False}) is False
    assert t.run({'scratch': None}) is False
    assert t.run({'scratch': 0}) is False
    assert t.run({}) is False
    with pytest.raises(koji.GenericError):
        BoolTest('bool')


def test_bool_subclass_uses_field():
    t = IsChildTaskTest('is_child_task')
    assert t.run({'parent': 123}) is True
    assert t.run({'parent': None}) is False
    assert t.run({}) is False
    assert BoolTest.field is None


def test_match():
    t = MatchTest('match action block add')
    assert t.run({'action': 'block'}) is True
    assert t.run({'action': 'add'}) is True
    assert t.run({'action': 'remove'}) is False
    assert t.run({'action': None}) is False
    assert t.run({}) is False


def test_match_globs_whole_string_case_sensitive():
    t = MatchTest('match name f3? fc[0-9] *-build')
    assert t.run({'name': 'f30'})
    assert not t.run({'name': 'f300'})
    assert t.run({'name': 'fc7'})
    assert not t.run({'name': 'fcx'})
    assert t.run({'name': 'f30-build'})
    assert not t.run({'name': 'f30-build-x'})
    assert not t.run({'name': 'F30'})
    assert not MatchTest('match name foo').run({'name': 'xfoo'})


def test_match_non_string_value():
    assert MatchTest('match tag 12*').run({'tag': 123})


def test_match_without_patterns_never_matches():
    assert MatchTest('match field').run({'field': 'x'}) is False


def test_match_requires_field():
    with pytest.raises(koji.GenericError):
        MatchTest('match')


def test_match_has_no_negation():
    # '!' is just a character in a glob, as upstream
    t = MatchTest('match x !foo')
    assert t.run({'x': '!foo'})
    assert not t.run({'x': 'bar'})


def test_target():
    t = TargetTest('target f3* rawhide')
    assert t.run({'target': 'f30'})
    assert t.run({'target': 'rawhide'})
    assert not t.run({'target': 'epel9'})
    assert not t.run({})
    assert TargetTest.field == 'target'


def test_match_any():
    t = MatchAnyTest('match_any btypes rpm maven')
    assert t.run({'btypes': ['image', 'rpm']})
    assert t.run({'btypes': ('maven',)})
    assert t.run({'btypes': {'rpm'}})
    assert not t.run({'btypes': ['image']})
    assert not t.run({'btypes': []})
    assert not t.run({'btypes': [None]})
    assert not t.run({'btypes': 'rpm'})  # not a list
    assert not t.run({'btypes': None})
    assert not t.run({})
    assert MatchAnyTest('match_any ids 1?').run({'ids': [None, 12]})


def test_match_all():
    t = MatchAllTest('match_all tags f3* rawhide')
    assert t.run({'tags': ['f30', 'rawhide']})
    assert t.run({'tags': ('f31',)})
    assert not t.run({'tags': ['f30', 'epel9']})
    assert not t.run({'tags': ['f30', None]})
    assert not t.run({'tags': []})
    assert not t.run({'tags': 'f30'})
    assert not t.run({})
    assert MatchAllTest('match_all ids 1*').run({'ids': [1, 10, 11]})


@pytest.mark.parametrize('text, value, expected', [
    ('compare n < 10', 9, True), ('compare n < 10', 10, False),
    ('compare n > 10', 11, True), ('compare n > 10', 10, False),
    ('compare n <= 10', 10, True), ('compare n <= 10', 11, False),
    ('compare n >= 10', 10, True), ('compare n >= 10', 9, False),
    ('compare n = 10', 10, True), ('compare n = 10', 9, False),
    ('compare n != 10', 9, True), ('compare n != 10', 10, False),
    ('compare n < 1.5', 1, True), ('compare n < 1.5', 2, False),
    ('compare n = -3', -3, True),
])
def test_compare(text, value, expected):
    assert CompareTest(text).run({'n': value}) is expected


def test_compare_parsing():
    t = CompareTest('compare size >= 2')
    assert t.field == 'size' and t.value == 2 and isinstance(t.value, int)
    t = CompareTest('compare size >= 2.5')
    assert t.value == 2.5
    assert CompareTest.allow_float is True
    assert set(CompareTest.operators) == {'<', '>', '<=', '>=', '=', '!='}


def test_compare_missing_or_bad_value_is_false():
    t = CompareTest('compare n > 1')
    assert t.run({}) is False
    assert t.run({'n': None}) is False


@pytest.mark.parametrize('text', [
    'compare n == 1', 'compare n ~ 1', 'compare n < x', 'compare n <', 'compare n',
    'compare', 'compare n < 1 2',
])
def test_compare_bad_syntax(text):
    with pytest.raises(koji.GenericError):
        CompareTest(text)


def test_compare_subclass_with_field_and_no_float():
    class SizeTest(CompareTest):
        name = 'size'
        field = 'size'
        allow_float = False

    t = SizeTest('size > 100')
    assert t.run({'size': 101}) and not t.run({'size': 100})
    with pytest.raises(koji.GenericError):
        SizeTest('size > 1.5')
    with pytest.raises(koji.GenericError):
        SizeTest('size x > 1')


# ---------------------------------------------------------------------------
# rule syntax


def test_parse_line():
    rs = ruleset('all :: allow')
    tests, negate, action = rs.parse_line('  has a && match b x* :: deny some reason  ')
    assert [type(t) for t in tests] == [HasTest, MatchTest]
    assert [str(t) for t in tests] == ['has a ', ' match b x* ']
    assert negate is False
    assert action == 'deny some reason'
    tests, negate, action = rs.parse_line('has a !! deny')
    assert negate is True and action == 'deny' and str(tests[0]) == 'has a '
    assert rs.parse_line('') is None
    assert rs.parse_line('    ') is None
    assert rs.parse_line('  # only a comment :: allow') is None
    assert rs.parse_line('}') == (None, False, '}')
    assert rs.parse_line('  }  # end') == (None, False, '}')
    assert rs.parse_line('all :: {')[2] == '{'


def test_parse_line_uses_last_separator():
    rs = ruleset('all :: allow')
    tests, negate, action = rs.parse_line('match x a::b :: allow')
    assert action == 'allow' and not negate
    assert tests[0].patterns == ['a::b']
    # '::' wins over a later '!!'
    tests, negate, action = rs.parse_line('all :: deny !! oops')
    assert negate is False and action == 'deny !! oops'
    # with no '::' the last '!!' is used
    tests, negate, action = rs.parse_line('match x a!!b !! deny')
    assert negate is True and action == 'deny' and tests[0].patterns == ['a!!b']


def test_comment_anywhere():
    rs = ruleset('''
        # header comment

        none :: deny   # trailing comment
        all :: allow # another
        ''')
    assert len(rs.ruleset) == 2
    assert rs.apply({}) == 'allow'


def test_ruleset_structure_and_attributes():
    rs = ruleset('''
        has a :: {
            has b :: one
            has c !! two
        }
        all :: three
        ''')
    assert rs.rules is rs.ruleset
    assert rs.lastrule is None and rs.lastaction is None
    assert rs.last_rule() is None
    (tests, negate, sub), last = rs.ruleset
    assert [str(t) for t in tests] == ['has a '] and negate is False
    assert [r[2] for r in sub] == ['one', 'two']
    assert sub[1][1] is True
    assert last[2] == 'three'
    assert sorted(rs.all_actions()) == ['one', 'three', 'two']


def test_apply_first_match_wins():
    rs = ruleset('''
        match x a :: first
        match x a* :: second
        all :: last
        ''')
    assert rs.apply({'x': 'a'}) == 'first'
    assert rs.lastaction == 'first'
    assert rs.apply({'x': 'ab'}) == 'second'
    assert rs.apply({}) == 'last'


def test_apply_no_match_is_none():
    rs = ruleset('match x a :: allow')
    assert rs.apply({'x': 'b'}) is None
    assert rs.lastaction is None
    assert rs.last_rule() == '(no match)'


def test_conjunction():
    rs = ruleset('has a && has b && has c :: all3')
    assert rs.apply({'a': 1, 'b': 1, 'c': 1}) == 'all3'
    assert rs.apply({'a': 1, 'b': 1}) is None
    assert rs.apply({'b': 1, 'c': 1}) is None


def test_conjunction_short_circuits():
    rs = ruleset('record a && record fail && record c :: x')
    data = {}
    assert rs.apply(data) is None
    assert data['seen'] == ['a', 'fail']


def test_negated_rule():
    rs = ruleset('''
        has a && has b !! not-both
        all :: both
        ''')
    assert rs.apply({'a': 1}) == 'not-both'
    assert rs.apply({}) == 'not-both'
    assert rs.apply({'a': 1, 'b': 2}) == 'both'


def test_nested_blocks():
    rs = ruleset('''
        match tag f* :: {
            match pkg kernel :: {
                has admin :: allow
                all :: deny kernel is special
            }
            match pkg glibc !! allow
        }
        all :: deny fallback
        ''')
    assert rs.apply({'tag': 'f30', 'pkg': 'kernel', 'admin': 1}) == 'allow'
    assert rs.apply({'tag': 'f30', 'pkg': 'kernel'}) == 'deny kernel is special'
    assert rs.apply({'tag': 'f30', 'pkg': 'bash'}) == 'allow'
    # no sub-rule matches: evaluation continues after the block
    assert rs.apply({'tag': 'f30', 'pkg': 'glibc'}) == 'deny fallback'
    assert rs.apply({'tag': 'el9', 'pkg': 'kernel'}) == 'deny fallback'
    assert sorted(rs.all_actions()) == ['allow', 'deny']


def test_negated_block():
    rs = ruleset('''
        has x !! {
            all :: no-x
        }
        all :: has-x
        ''')
    assert rs.apply({}) == 'no-x'
    assert rs.apply({'x': 1}) == 'has-x'


def test_empty_block_falls_through():
    rs = ruleset('''
        all :: {
        }
        all :: after
        ''')
    assert rs.apply({}) == 'after'


def test_parse_rules_accepts_text():
    rs = SimpleRuleSet('has a :: yes\nall :: no\n', HUB)
    assert rs.apply({'a': 1}) == 'yes'


def test_parse_rules_resets_ruleset():
    rs = ruleset('all :: one')
    rs.parse_rules(['all :: two'])
    assert rs.apply({}) == 'two'


def test_configparser_multiline_value():
    """Policy texts reach the engine as configparser multi-line values."""
    conf = textwrap.dedent('''
        [policy]
        tag =
            # a comment line inside the value
            match operation untag :: allow

            tag f3* && match operation tag :: {
                compare count < 5 :: allow
                all :: deny too many
                }
            all :: deny ; not an inline comment for configparser
        ''')
    parser = configparser.RawConfigParser()
    parser.read_string(conf)
    rs = SimpleRuleSet(parser.get('policy', 'tag').splitlines(), HUB)
    assert rs.apply({'operation': 'untag'}) == 'allow'
    assert rs.apply({'operation': 'tag', 'tag': 'f30', 'count': 1}) == 'allow'
    assert rs.apply({'operation': 'tag', 'tag': 'f30', 'count': 9}) == 'deny too many'
    assert rs.apply({'operation': 'tag', 'tag': 'el9'}) == \
        'deny ; not an inline comment for configparser'


# ---------------------------------------------------------------------------
# last_rule


def test_last_rule_formats():
    rs = ruleset('''
        has_perm admin :: allow
        has a && match b x*  :: deny nope
        has c !! deny no c
        ''')
    rs.apply({'perms': ['admin']})
    assert rs.last_rule() == 'has_perm admin :: allow'
    rs.apply({'a': 1, 'b': 'xy', 'c': 1})
    assert rs.last_rule() == 'has a && match b x*  :: deny nope'
    assert rs.lastrule[0][1] is False
    rs.apply({})
    assert rs.last_rule() == 'has c !! deny no c'
    assert rs.lastrule[0][1] is True


def test_last_rule_nested():
    rs = ruleset('''
        match tag f* :: {
            has x :: {
                all :: deep
            }
            has pkg :: inner
        }
        all :: outer
        ''')
    assert rs.apply({'tag': 'f1', 'x': 1}) == 'deep'
    assert rs.last_rule() == 'match tag f* :: ... has x :: ... all :: deep'
    assert rs.apply({'tag': 'f1', 'pkg': 'a'}) == 'inner'
    assert rs.last_rule() == 'match tag f* :: ... has pkg :: inner'
    assert rs.apply({'tag': 'f1'}) == 'outer'
    assert rs.last_rule() == 'all :: outer'
    assert len(rs.lastrule) == 1


def test_last_rule_no_match_after_block():
    rs = ruleset('''
        all :: {
            none :: x
        }
        ''')
    assert rs.apply({}) is None
    assert rs.last_rule() == '(no match)'


# ---------------------------------------------------------------------------
# syntax errors


def _syntax_error(text, tests=HUB):
    with pytest.raises(koji.GenericError) as info:
        SimpleRuleSet(text.splitlines(), tests)
    assert isinstance(info.value, PolicySyntaxError)
    return info.value


def test_error_no_separator():
    err = _syntax_error('all :: allow\n\nhas foo allow\n')
    assert err.lineno == 3
    assert err.line == 'has foo allow'
    assert 'line 3' in str(err) and 'has foo allow' in str(err)
    assert 'separator' in str(err)


def test_error_unknown_test():
    err = _syntax_error('# c\nbogus_test x :: allow')
    assert err.lineno == 2
    assert 'missing test handler: bogus_test' in str(err)
    assert 'bogus_test x :: allow' in str(err)
    err = _syntax_error('all && nosuch :: allow')
    assert 'missing test handler: nosuch' in str(err)


def test_error_unknown_test_in_nested_block():
    err = _syntax_error('all :: {\n    nosuch :: x\n}')
    assert err.lineno == 2


@pytest.mark.parametrize('text, lineno', [
    ('all :: allow\n}', 2),
    ('all :: {\n  all :: x\n', 1),
    ('all :: {\n  all :: {\n  all :: x\n  }\n', 1),
    ('all :: {\n}\n}\n', 3),
])
def test_error_nesting(text, lineno):
    err = _syntax_error(text)
    assert 'nesting error in rule set' in str(err)
    assert err.lineno == lineno


@pytest.mark.parametrize('text, fragment', [
    ('all ::', 'missing action'),
    ('all ::    # comment', 'missing action'),
    (':: allow', 'empty test'),
    ('all && :: allow', 'empty test'),
    ('all :: }', 'line by itself'),
    ('compare n == 3 :: allow', 'Invalid comparison'),
    ('has :: allow', 'field'),
    ('match :: allow', 'field'),
    ('bool :: allow', 'field'),
])
def test_error_messages(text, fragment):
    err = _syntax_error(text)
    assert fragment in str(err)
    assert err.lineno == 1


def test_error_from_foreign_exception_in_test_class():
    class BrokenTest(BaseSimpleTest):
        name = 'broken'

        def __init__(self, str):
            super().__init__(str)
            int(str.split()[1])

    err = _syntax_error('all :: a\nbroken x :: allow', {'all': AllTest, 'broken': BrokenTest})
    assert err.lineno == 2 and 'ValueError' in str(err)


# ---------------------------------------------------------------------------
# default policies and real-world texts


def test_default_policies_match_hub_config():
    """The hub's copy of the defaults is the text tested here."""
    hubconfig = pytest.importorskip('kojihub.core.config')
    assert hubconfig.DEFAULT_POLICIES == DEFAULT_POLICIES


def test_default_policies_parse():
    parsed = parse_policies(DEFAULT_POLICIES, HUB)
    assert set(parsed) == set(DEFAULT_POLICIES)
    counts = {name: len(rs.ruleset) for name, rs in parsed.items()}
    assert counts == {
        'build_rpm': 1, 'build_from_srpm': 2, 'build_from_repo_id': 2, 'build_from_scm': 2,
        'package_list': 3, 'channel': 3, 'vm': 2, 'cg_import': 1, 'volume': 1,
        'priority': 1, 'draft_promotion': 3,
    }
    assert sorted(parsed['channel'].all_actions()) == ['parent', 'req', 'use']
    assert sorted(parsed['package_list'].all_actions()) == ['allow', 'deny']


@pytest.mark.parametrize('name, data, expected', [
    ('build_rpm', {}, 'allow'),
    ('cg_import', {'package': 'x'}, 'allow'),
    ('volume', {'package': 'x'}, 'DEFAULT'),
    ('priority', {'method': 'build'}, 'stay'),
    ('build_from_srpm', {'perms': ['admin']}, 'allow'),
    ('build_from_srpm', {'perms': ['tag']}, 'deny Only admin can do this via default policy'),
    ('build_from_repo_id', {'perms': ['admin']}, 'allow'),
    ('build_from_repo_id', {}, 'deny Only admin can do this via default policy'),
    ('build_from_scm', {'perms': ['admin'], 'scm_type': 'GIT'}, 'allow'),
    ('build_from_scm', {'scm_type': 'GIT', 'scm_host': 'git.example.org',
                        'scm_repository': '/example'},
     'deny Only admin can do this via default policy'),
    ('package_list', {'perms': ['admin'], 'action': 'add'}, 'allow'),
    ('package_list', {'perms': ['tag'], 'action': 'block'}, 'allow'),
    ('package_list', {'perms': ['repo', 'target']},
     'deny Only admin/tag can do this via default policy'),
    ('package_list', {}, 'deny Only admin/tag can do this via default policy'),
    ('channel', {'req_channel': 'image', 'parent': 5}, 'req'),
    ('channel', {'req_channel': None}, 'req'),
    ('channel', {'parent': 5}, 'parent'),
    ('channel', {'parent': None, 'method': 'build'}, 'use default'),
    ('vm', {'perms': ['win-admin']}, 'allow'),
    ('vm', {'perms': ['admin']}, 'allow'),
    ('vm', {'perms': ['tag']}, 'deny Only admin/win-admin can do this via default policy'),
    ('draft_promotion', {'perms': ['draft-promoter']}, 'allow'),
    ('draft_promotion', {'owner': 7, 'user_id': 7}, 'allow'),
    ('draft_promotion', {'owner': 7, 'user_id': 8, 'perms': ['admin']},
     'deny Only draft-promoter and build owner can do this via default policy'),
])
def test_default_policies_evaluate(name, data, expected):
    rs = parse_policies({name: DEFAULT_POLICIES[name]}, HUB)[name]
    assert rs.apply(data) == expected


def test_default_policy_last_rule():
    rs = parse_policies(DEFAULT_POLICIES, HUB)['package_list']
    rs.apply({'perms': ['tag']})
    assert rs.last_rule() == 'has_perm tag :: allow'
    rs.apply({})
    assert rs.last_rule() == 'all :: deny Only admin/tag can do this via default policy'


def test_default_policies_need_hub_tests():
    with pytest.raises(PolicySyntaxError) as info:
        parse_policies({'build_rpm': DEFAULT_POLICIES['build_rpm'],
                        'package_list': DEFAULT_POLICIES['package_list']}, GENERIC)
    err = info.value
    assert err.policy == 'package_list'
    assert err.lineno == 2  # the text starts with a newline
    assert 'missing test handler: has_perm' in str(err)
    assert "policy 'package_list'" in str(err) and 'line 2' in str(err)


SIDETAG_HUB_CONF = '''
[policy]
sidetag =
    # allow maximum of 10 sidetags per user for f30-build tag
    tag f30-build && compare number_of_tags <= 10 :: allow
    # forbid everything else
    all :: deny

package_list =
    # allow blocking for owners in their sidetags
    match action block && is_sidetag_owner :: allow
    all :: deny
'''


def test_sidetag_seed_policies():
    parser = configparser.RawConfigParser()
    parser.read_string(SIDETAG_HUB_CONF)
    parsed = parse_policies(dict(parser.items('policy')), HUB)
    sidetag = parsed['sidetag']
    assert sidetag.apply({'tag': 'f30-build', 'number_of_tags': 3}) == 'allow'
    assert sidetag.last_rule() == 'tag f30-build && compare number_of_tags <= 10 :: allow'
    assert sidetag.apply({'tag': 'f30-build', 'number_of_tags': 10}) == 'allow'
    assert sidetag.apply({'tag': 'f30-build', 'number_of_tags': 11}) == 'deny'
    assert sidetag.apply({'tag': 'f31-build', 'number_of_tags': 0}) == 'deny'
    plist = parsed['package_list']
    assert plist.apply({'action': 'block', 'sidetag_owner': True}) == 'allow'
    assert plist.apply({'action': 'add', 'sidetag_owner': True}) == 'deny'
    assert plist.apply({'action': 'block'}) == 'deny'


def test_sidetag_seed_policies_raw_text():
    text = '''
      # allow maximum of 10 sidetags per user for f30-build tag
      tag f30-build && compare number_of_tags <= 10 :: allow
      # forbid everything else
      all :: deny
    '''
    rs = parse_policies({'sidetag': text}, HUB)['sidetag']
    assert len(rs.ruleset) == 2
    assert rs.apply({'tag': 'f30-build', 'number_of_tags': 1}) == 'allow'


# ---------------------------------------------------------------------------
# findSimpleTests, select_tests, parse_policies


def test_find_simple_tests_naming():
    class FooTest(BaseSimpleTest):
        pass

    class Bar(BaseSimpleTest):
        pass

    class Named(BaseSimpleTest):
        name = 'custom'

    class Test(BaseSimpleTest):
        pass

    ns = {
        'FooTest': FooTest, 'Bar': Bar, 'Named': Named, 'Test': Test,
        'BaseSimpleTest': BaseSimpleTest, 'not_a_class': 3, 'dict': dict,
        'SomethingTest': ValueError,
    }
    found = findSimpleTests(ns)
    assert found == {'Foo': FooTest, 'Bar': Bar, 'custom': Named, 'Test': Test}


def test_find_simple_tests_first_wins():
    class OneTest(BaseSimpleTest):
        name = 'same'

    class TwoTest(BaseSimpleTest):
        name = 'same'

    assert findSimpleTests([{'a': OneTest}, {'b': TwoTest}]) == {'same': OneTest}
    assert findSimpleTests(({'b': TwoTest}, {'a': OneTest})) == {'same': TwoTest}
    assert findSimpleTests([]) == {}


def test_find_simple_tests_inherits_name():
    class ChildTest(MatchTest):
        field = 'x'

    # no own name: inherits 'match', and the generic one seen first keeps it
    found = findSimpleTests([vars(policy), {'ChildTest': ChildTest}])
    assert found['match'] is MatchTest
    assert 'Child' not in found


def test_select_tests():
    class OnlyTagTest(BaseSimpleTest):
        name = 'only_tag'
        policy = 'tag'

        def run(self, data):
            return False

    class SomeTest(BaseSimpleTest):
        name = 'some'
        policy = ['tag', 'package_list']

    class OverrideTest(BaseSimpleTest):
        name = 'match'

    tests = [GENERIC, {'only_tag': OnlyTagTest, 'some': SomeTest, 'match': OverrideTest}]
    for_tag = select_tests(tests, 'tag')
    assert for_tag['only_tag'] is OnlyTagTest and for_tag['some'] is SomeTest
    assert for_tag['match'] is OverrideTest  # later dicts (plugins) override
    for_pl = select_tests(tests, 'package_list')
    assert 'only_tag' not in for_pl and for_pl['some'] is SomeTest
    assert 'only_tag' not in select_tests(tests, 'channel')
    assert select_tests(GENERIC, 'x') == GENERIC

    parsed = parse_policies({'tag': 'only_tag :: allow'}, tests)
    assert parsed['tag'].apply({}) is None
    with pytest.raises(PolicySyntaxError) as info:
        parse_policies({'channel': 'all :: x\nonly_tag :: allow'}, tests)
    assert info.value.policy == 'channel' and info.value.lineno == 2


def test_parse_policies_empty_texts():
    parsed = parse_policies({'a': '', 'b': None, 'c': '\n  # nothing\n'}, GENERIC)
    for rs in parsed.values():
        assert rs.ruleset == []
        assert rs.apply({}) is None
        assert rs.all_actions() == []


def test_policy_syntax_error_is_generic_error_fault():
    err = PolicySyntaxError('bad', lineno=4, line='x y', policy='tag')
    assert isinstance(err, koji.GenericError)
    assert err.faultCode == 1000
    assert str(err) == "policy 'tag', line 4: bad: 'x y'"
    assert str(PolicySyntaxError('plain')) == 'plain'
