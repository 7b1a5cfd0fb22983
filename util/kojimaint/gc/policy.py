"""The prune policy: koji-gc's own tests on top of the generic ones of koji.policy.

Data of one tagged build: tagname, pkgname, order, ts, nvr, keys, volname, tags.
``keys``, ``volname`` and ``tags`` cost hub calls, so ``fields_needed`` tells the prune
step which of them the rules can read and it fetches those in batches up front.
"""
import fnmatch
import time

import koji
import koji.policy
from koji.policy import PolicySyntaxError

from ..common import parse_duration

ACTIONS = ('keep', 'untag', 'skip')
# test name -> data field it reads that costs hub calls
COSTLY_FIELDS = {'sig': 'keys', 'volume': 'volname', 'hastag': 'tags'}


def sigmatch(key, patterns, aliases):
    """Does a signing key (or its alias from key_aliases) match one of the globs?"""
    if not isinstance(patterns, (tuple, list)):
        patterns = (patterns,)
    alias = aliases.get(key.upper())
    for pattern in patterns:
        if fnmatch.fnmatch(key, pattern):
            return True
        if alias is not None and fnmatch.fnmatch(alias, pattern):
            return True
    return False


def protected_sig(keys, unprotected, aliases):
    """True if any non-empty key is not matched by the unprotected patterns."""
    for key in keys:
        if key and not sigmatch(key, unprotected, aliases):
            return True
    return False


class TagPruneTest(koji.policy.MatchTest):
    name = 'tag'
    field = 'tagname'


class PackagePruneTest(koji.policy.MatchTest):
    name = 'package'
    field = 'pkgname'


class VolumePruneTest(koji.policy.MatchTest):
    name = 'volume'
    field = 'volname'


class OrderPruneTest(koji.policy.CompareTest):
    name = 'order'
    field = 'order'
    allow_float = False


class SigPruneTest(koji.policy.BaseSimpleTest):
    """``sig KEY...``: some signature key of the build matches (aliases honoured)."""
    name = 'sig'
    aliases = {}

    def run(self, data):
        patterns = self._args()
        return any(sigmatch(key, patterns, self.aliases) for key in data['keys'])


class AgePruneTest(koji.policy.BaseSimpleTest):
    """``age OP DURATION``: time since the build entered the tag, against a duration."""
    name = 'age'

    def __init__(self, text):
        super().__init__(text)
        parts = text.split(None, 2)
        if len(parts) != 3:
            raise koji.GenericError('Invalid age test, expected OP DURATION: %s'
                                    % text.strip())
        self.cmp = parts[1]
        self.func = koji.policy.CompareTest.operators.get(self.cmp)
        if self.func is None:
            raise koji.GenericError('Invalid comparison in test: %s' % text.strip())
        try:
            self.span = parse_duration(parts[2])
        except ValueError as exc:
            raise koji.GenericError(str(exc))

    def run(self, data):
        return self.func(time.time() - data['ts'], self.span)


class HasTagPruneTest(koji.policy.BaseSimpleTest):
    """``hastag PAT...``: the build is (also) tagged in a tag matching a pattern."""
    name = 'hastag'

    def run(self, data):
        patterns = self._args()
        return any(fnmatch.fnmatch(tag['name'], pat)
                   for tag in data['tags'] for pat in patterns)


PRUNE_TESTS = (TagPruneTest, PackagePruneTest, VolumePruneTest, OrderPruneTest,
               SigPruneTest, AgePruneTest, HasTagPruneTest)


def prune_tests(aliases):
    """{name: class}: the generic policy tests plus the prune tests bound to key aliases."""
    tests = koji.policy.findSimpleTests(vars(koji.policy))
    sig = type('SigPruneTest', (SigPruneTest,), {'aliases': dict(aliases)})
    for cls in PRUNE_TESTS:
        tests[cls.name] = sig if cls is SigPruneTest else cls
    return tests


def load_policy(text, aliases):
    """Parse the [prune] policy; PolicySyntaxError names the line and the reason.

    Lines count from the first rule (a config value starts with an empty line).
    """
    text = text.lstrip('\n')
    rules = koji.policy.SimpleRuleSet(text.splitlines(), prune_tests(aliases))
    for action in rules.all_actions():
        if action not in ACTIONS:
            line = _line_of_action(text, action)
            raise PolicySyntaxError('Invalid action: %s' % action, lineno=line[0],
                                    line=line[1])
    return rules


def _line_of_action(text, action):
    for lineno, line in enumerate(text.splitlines(), 1):
        body = line.split('#', 1)[0]
        if '::' in body and body.rsplit('::', 1)[1].split()[:1] == [action]:
            return lineno, line.strip()
        if '!!' in body and body.rsplit('!!', 1)[1].split()[:1] == [action]:
            return lineno, line.strip()
    return None, None


def fields_needed(rules):
    """The costly data fields (keys, volname, tags) some rule of the policy reads."""
    needed = set()

    def walk(ruleset):
        for tests, _negate, action in ruleset:
            for test in tests:
                field = COSTLY_FIELDS.get(getattr(test, 'name', None))
                if field:
                    needed.add(field)
                other = getattr(test, '_field', None) or getattr(test, 'field', None)
                if other in COSTLY_FIELDS.values():
                    needed.add(other)
            if isinstance(action, list):
                walk(action)
    walk(rules.ruleset)
    return needed
