"""Generic policy engine: rule sets of simple tests that map policy data to an action.

The hub reads each ``[policy]`` text into a :class:`SimpleRuleSet` at start-up and asks it
for an action (``allow``, ``deny ...``, ``use NAME`` ...) with a dict of facts.  The rule
language is line based::

    TEST [args] [&& TEST [args] ...] :: ACTION      # ACTION when every test holds
    TEST [args] [&& TEST [args] ...] !! ACTION      # ACTION when the conjunction fails
    TEST [args] :: {                                # a block of sub-rules
        ...
    }

The tests available to a rule set are classes derived from :class:`BaseSimpleTest`;
:func:`findSimpleTests` collects them from module namespaces.
"""
import fnmatch
import logging
import operator

from koji.exceptions import GenericError

logger = logging.getLogger('koji.policy')


class PolicySyntaxError(GenericError):
    """Invalid policy text; a GenericError so callers that expect one keep working.

    ``lineno`` (1-based, within the text given to the rule set), ``line`` and ``policy``
    are filled in where known so the hub can name the offending rule at start-up.
    """

    def __init__(self, msg, lineno=None, line=None, policy=None):
        super().__init__(msg)
        self.msg = msg
        self.lineno = lineno
        self.line = line
        self.policy = policy

    def __str__(self):
        where = []
        if self.policy is not None:
            where.append('policy %r' % self.policy)
        if self.lineno is not None:
            where.append('line %d' % self.lineno)
        text = self.msg
        if where:
            text = '%s: %s' % (', '.join(where), text)
        if self.line is not None:
            text = '%s: %r' % (text, self.line)
        return text


# ---------------------------------------------------------------------------
# tests

def _multi_fnmatch(value, patterns):
    """Whole-string, case-sensitive glob match against any of the patterns."""
    for pattern in patterns:
        if fnmatch.fnmatchcase(value, pattern):
            return True
    return False


class BaseSimpleTest(object):
    """Base of policy tests: built from the test's text, then run against policy data.

    Subclasses parse their arguments in ``__init__`` (raising GenericError for bad ones,
    so a broken policy fails when it is loaded) and answer in ``run``.
    """
    name = None

    def __init__(self, str):
        self.str = str

    def run(self, data):
        """Return True when the test holds for ``data``."""
        raise NotImplementedError

    def __str__(self):
        return self.str

    def __repr__(self):
        return '<%s %r>' % (self.__class__.__name__, self.str)

    def _args(self):
        """The whitespace-separated words after the test name."""
        return self.str.split()[1:]


class TrueTest(BaseSimpleTest):
    """Always holds (a catch-all rule)."""
    name = 'true'

    def run(self, data):
        return True


class FalseTest(BaseSimpleTest):
    """Never holds (handy to switch a rule off)."""
    name = 'false'

    def run(self, data):
        return False


class AllTest(TrueTest):
    """Readable alias of ``true``: ``all :: deny``."""
    name = 'all'


class NoneTest(FalseTest):
    """Readable alias of ``false``."""
    name = 'none'


class HasTest(BaseSimpleTest):
    """``has FIELD``: the field is present in the data (whatever its value)."""
    name = 'has'

    def __init__(self, str):
        super().__init__(str)
        args = self._args()
        if len(args) != 1:
            raise GenericError('Invalid or missing field in policy test: %s' % str.strip())
        self.field = args[0]

    def run(self, data):
        return self.field in data


class BoolTest(BaseSimpleTest):
    """``bool FIELD``: the field is present and truthy.

    Subclasses set ``field`` to test a fixed key; they then take no field argument.
    """
    name = 'bool'
    field = None

    def __init__(self, str):
        super().__init__(str)
        if self.field is None:
            args = self._args()
            if len(args) != 1:
                raise GenericError('Invalid or missing field in policy test: %s'
                                   % str.strip())
            self._field = args[0]
        else:
            self._field = self.field

    def run(self, data):
        return bool(data.get(self._field))


def _field_and_patterns(test, text):
    """(field, patterns) of a match-style test: the class's fixed field, else the first word."""
    args = test._args()
    if test.field is not None:
        return test.field, args
    if not args:
        raise GenericError('Missing field in policy test: %s' % text.strip())
    return args[0], args[1:]


class MatchTest(BaseSimpleTest):
    """``match FIELD PAT...``: the field's value matches one of the glob patterns.

    Subclasses set ``field`` and then take only patterns.  A missing or None value never
    matches; other non-string values are matched by their ``str()``.
    """
    name = 'match'
    field = None

    def __init__(self, str):
        super().__init__(str)
        self._field, self.patterns = _field_and_patterns(self, str)

    def run(self, data):
        value = data.get(self._field)
        if value is None:
            return False
        if not isinstance(value, str):
            value = str(value)
        return _multi_fnmatch(value, self.patterns)


class MatchAnyTest(BaseSimpleTest):
    """``match_any FIELD PAT...``: some item of a list-valued field matches a pattern."""
    name = 'match_any'
    field = None

    def __init__(self, str):
        super().__init__(str)
        self._field, self.patterns = _field_and_patterns(self, str)

    def _items(self, data):
        """The field's items, or None when it is not a usable collection."""
        value = data.get(self._field)
        if not isinstance(value, (list, tuple, set, frozenset)):
            return None
        return list(value)

    def run(self, data):
        items = self._items(data)
        if not items:
            return False
        for item in items:
            if item is not None and _multi_fnmatch(str(item), self.patterns):
                return True
        return False


class MatchAllTest(MatchAnyTest):
    """``match_all FIELD PAT...``: a non-empty list-valued field whose items all match."""
    name = 'match_all'

    def run(self, data):
        items = self._items(data)
        if not items:
            return False
        for item in items:
            if item is None or not _multi_fnmatch(str(item), self.patterns):
                return False
        return True


class TargetTest(MatchTest):
    """``target PAT...``: the build target name matches."""
    name = 'target'
    field = 'target'


class CompareTest(BaseSimpleTest):
    """``compare FIELD OP NUMBER``: numeric comparison of a data field.

    Subclasses may set ``field`` (syntax then ``NAME OP NUMBER``) and ``allow_float``.
    """
    name = 'compare'
    field = None
    allow_float = True
    operators = {
        '<': operator.lt,
        '>': operator.gt,
        '<=': operator.le,
        '>=': operator.ge,
        '=': operator.eq,
        '!=': operator.ne,
    }

    def __init__(self, str):
        super().__init__(str)
        args = self._args()
        if self.field is None:
            if len(args) != 3:
                raise GenericError('Invalid compare test, expected FIELD OP NUMBER: %s'
                                   % str.strip())
            field, cmp, value = args
        else:
            if len(args) != 2:
                raise GenericError('Invalid compare test, expected OP NUMBER: %s'
                                   % str.strip())
            field = self.field
            cmp, value = args
        self.field = field
        self.cmp = cmp
        self.func = self.operators.get(cmp)
        if self.func is None:
            raise GenericError('Invalid comparison in test: %s' % cmp)
        try:
            self.value = int(value)
        except ValueError:
            if not self.allow_float:
                raise GenericError('Invalid number in compare test: %s' % value)
            try:
                self.value = float(value)
            except ValueError:
                raise GenericError('Invalid number in compare test: %s' % value)

    def run(self, data):
        if self.field not in data:
            return False
        try:
            return bool(self.func(data[self.field], self.value))
        except TypeError:
            # e.g. None or a string in the data: not comparable, so the test fails
            return False


# ---------------------------------------------------------------------------
# rule sets

class SimpleRuleSet(object):
    """A parsed policy: an ordered list of rules, evaluated top-down, first match wins.

    ``ruleset`` is a list of ``[tests, negate, action]`` where ``tests`` is a list of test
    instances and ``action`` is either the action string or, for a ``{`` block, a nested
    list of the same shape.  After ``apply`` the matched path is in ``lastrule`` (a list
    of ``[tests, negate]``, outermost first) and the result in ``lastaction``.
    """

    def __init__(self, rules, tests):
        self.tests = tests
        self.lastrule = None
        self.lastaction = None
        self.logger = logger
        self.ruleset = None
        self.rules = self.parse_rules(rules)

    def parse_rules(self, lines):
        """Build ``self.ruleset`` from policy lines (or one text); syntax errors raise
        PolicySyntaxError naming the line number and text."""
        if isinstance(lines, str):
            lines = lines.splitlines()
        top = []
        cursor = top
        stack = []  # (parent list, lineno, text) of each open block
        for lineno, line in enumerate(lines, 1):
            try:
                rule = self.parse_line(line)
            except PolicySyntaxError as exc:
                if exc.lineno is None:
                    exc.lineno = lineno
                if exc.line is None:
                    exc.line = line.strip()
                raise
            except GenericError as exc:
                raise PolicySyntaxError(str(exc), lineno=lineno, line=line.strip())
            except Exception as exc:
                # a test class choking on its arguments is still a policy text error
                raise PolicySyntaxError('invalid policy rule (%s: %s)'
                                        % (exc.__class__.__name__, exc),
                                        lineno=lineno, line=line.strip())
            if rule is None:
                continue
            tests, negate, action = rule
            if action == '{':
                child = []
                cursor.append([tests, negate, child])
                stack.append((cursor, lineno, line.strip()))
                cursor = child
            elif action == '}':
                if tests is not None:
                    raise PolicySyntaxError("'}' must be on a line by itself",
                                            lineno=lineno, line=line.strip())
                if not stack:
                    raise PolicySyntaxError('nesting error in rule set: unmatched }',
                                            lineno=lineno, line=line.strip())
                cursor = stack.pop()[0]
            else:
                cursor.append([tests, negate, action])
        if stack:
            _, lineno, text = stack[-1]
            raise PolicySyntaxError('nesting error in rule set: block is never closed',
                                    lineno=lineno, line=text)
        self.ruleset = top
        return top

    def parse_line(self, line):
        """Parse one line into ``(tests, negate, action)``, or None for blank/comment.

        A closing brace gives ``(None, False, '}')``; an opening block has action ``{``.
        The separator is the last ``::`` on the line, else the last ``!!`` (negated).
        """
        line = line.split('#', 1)[0].strip()
        if not line:
            return None
        if line == '}':
            return None, False, '}'
        negate = False
        pos = line.rfind('::')
        if pos == -1:
            pos = line.rfind('!!')
            if pos == -1:
                raise PolicySyntaxError('bad policy line, no :: or !! separator',
                                        line=line)
            negate = True
        action = line[pos + 2:].strip()
        if not action:
            raise PolicySyntaxError('missing action in policy rule', line=line)
        if action == '}':
            raise PolicySyntaxError("'}' must be on a line by itself", line=line)
        tests = [self.get_test_handler(part) for part in line[:pos].split('&&')]
        return tests, negate, action

    def get_test_handler(self, str):
        """Instantiate the test named by the first word of ``str`` (text kept as-is)."""
        words = str.split(None, 1)
        if not words:
            raise PolicySyntaxError('empty test in policy rule')
        name = words[0]
        try:
            cls = self.tests[name]
        except KeyError:
            raise PolicySyntaxError('missing test handler: %s' % name)
        return cls(str)

    def all_actions(self):
        """The distinct first words of every action (nested blocks included)."""
        seen = {}

        def walk(rules):
            for _tests, _negate, action in rules:
                if isinstance(action, list):
                    walk(action)
                else:
                    seen[action.split(None, 1)[0]] = 1
        walk(self.ruleset)
        return list(seen)

    def _rule_holds(self, tests, negate, data):
        """True when the rule's condition (conjunction, maybe negated) holds."""
        value = True
        for test in tests:
            check = test.run(data)
            self.logger.debug('%s -> %s', test, check)
            if not check:
                value = False
                break
        if negate:
            value = not value
        return value

    def _apply(self, rules, data, top=False):
        for tests, negate, action in rules:
            if top:
                self.lastrule = []
            if not self._rule_holds(tests, negate, data):
                continue
            self.lastrule.append([tests, negate])
            if isinstance(action, list):
                self.logger.debug('matched: entering subrule')
                ret = self._apply(action, data)
                if ret is not None:
                    return ret
                # no sub-rule matched: the block is not part of the path, go on after it
                self.lastrule.pop()
                continue
            self.logger.debug('matched: action=%s', action)
            return action
        return None

    def apply(self, data):
        """Evaluate the rules against ``data``; the action string, or None if none match."""
        self.logger.debug('policy start')
        self.lastrule = []
        self.lastaction = self._apply(self.ruleset, data, top=True)
        self.logger.debug('policy done')
        return self.lastaction

    def last_rule(self):
        """The rule path that decided the last ``apply``, for verbose policy messages.

        Each level is its tests joined by ``&&`` plus ``:: `` or ``!! ``; levels are joined
        with ``... `` and followed by the action, or ``(no match)``.
        """
        if self.lastrule is None:
            return None
        parts = []
        for tests, negate in self.lastrule:
            text = '&&'.join([str(t) for t in tests])
            text += '!! ' if negate else ':: '
            parts.append(text)
        ret = '... '.join(parts)
        if self.lastaction is None:
            ret += '(no match)'
        else:
            ret += self.lastaction
        return ret


def findSimpleTests(namespace):
    """Collect test classes from a namespace dict (or a list of them) as {name: class}.

    The name is the class's ``name`` attribute, else its key minus a trailing ``Test``;
    the first class found for a name is kept.  BaseSimpleTest itself is skipped so a
    module's ``vars()`` can be scanned whole.
    """
    if isinstance(namespace, dict):
        namespace = [namespace]
    ret = {}
    for ns in namespace:
        for key, value in ns.items():
            if value is BaseSimpleTest:
                continue
            if not isinstance(value, type) or not issubclass(value, BaseSimpleTest):
                continue
            name = getattr(value, 'name', None)
            if not name:
                name = key
                if name.endswith('Test') and len(name) > 4:
                    name = name[:-4]
            ret.setdefault(name, value)
    return ret


def select_tests(tests, policy_name):
    """Merge test dicts (later ones override, e.g. plugins over builtins) for one policy.

    A class with a ``policy`` attribute (a name or a list of names) is only offered to
    those policies.
    """
    if isinstance(tests, dict):
        tests = [tests]
    merged = {}
    for group in tests:
        for name, cls in group.items():
            limit = getattr(cls, 'policy', None)
            if limit is not None:
                if isinstance(limit, str):
                    limit = [limit]
                if policy_name not in limit:
                    continue
            merged[name] = cls
    return merged


def parse_policies(policies, tests):
    """Parse {policy name: text} into {policy name: SimpleRuleSet}.

    ``tests`` is a {name: class} dict or a list of them (see :func:`select_tests`).
    Any error raises PolicySyntaxError naming the policy and the offending line, so the
    hub can refuse to start with a useful message.
    """
    ret = {}
    for pname, text in policies.items():
        if text is None:
            text = ''
        try:
            ret[pname] = SimpleRuleSet(text.splitlines(), select_tests(tests, pname))
        except PolicySyntaxError as exc:
            exc.policy = pname
            raise
        except GenericError as exc:
            raise PolicySyntaxError(str(exc), policy=pname)
    return ret
