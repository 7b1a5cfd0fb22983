"""Signature errors worded with upstream's names, and the shared argument checks."""
import pytest

import koji
from kojihub.core.argcheck import UpstreamName, binds, call_checked
from kojihub.core.validate import check_arguments, param_checks


class OurExports(object):
    def getTaskInfo(self, task_id, request=False, strict=False):
        return task_id

    @staticmethod
    def listThings(*args, queryOpts=None, **kwargs):
        return args, queryOpts, kwargs


def our_function(path, basename):
    raise TypeError('a bug inside the call')


def message(func, upstream, *args, **kwargs):
    with pytest.raises(koji.ParameterError) as exc:
        call_checked(func, args, kwargs, upstream=upstream)
    return str(exc.value)


def test_methods_count_self_as_upstream_does():
    func = OurExports().getTaskInfo
    up = UpstreamName('RootExports.getTaskInfo', True)
    assert message(func, up, 1, 2, 3, 4) == (
        'RootExports.getTaskInfo() takes from 2 to 4 positional arguments but 5 were given')
    assert message(func, up) == (
        "RootExports.getTaskInfo() missing 1 required positional argument: 'task_id'")
    assert message(func, up, 1, bogus=2) == (
        "RootExports.getTaskInfo() got an unexpected keyword argument 'bogus'")
    assert call_checked(func, (7,), {}, upstream=up) == 7


def test_our_function_named_as_upstream_method_or_function():
    assert message(our_function, UpstreamName('RootExports.importRPM', True), 1) == (
        "RootExports.importRPM() missing 1 required positional argument: 'basename'")
    assert message(our_function, UpstreamName('import_rpm', False), 1, 2, 3) == (
        'import_rpm() takes 2 positional arguments but 3 were given')
    # keyword-only parameters and *args keep Python's wording too
    func = OurExports.listThings
    assert call_checked(func, (1, 2), {'queryOpts': {}, 'x': 1}) == ((1, 2), {}, {'x': 1})


def test_type_errors_inside_the_call_are_not_argument_errors():
    with pytest.raises(TypeError, match='a bug inside the call'):
        call_checked(our_function, (1, 2), {}, upstream=UpstreamName('f', False))


def test_without_an_upstream_name_the_message_is_pythons():
    assert message(our_function, None, 1) == (
        "our_function() missing 1 required positional argument: 'basename'")


def test_binds():
    assert binds(our_function, (1, 2), {})
    assert not binds(our_function, (1,), {})
    assert not binds(our_function, (1, 2), {'x': 1})


def test_shared_checks_by_parameter_name():
    found = param_checks(OurExports.listThings)
    check_arguments(found, (1,), {'queryOpts': {'order': 'id'}, 'prefix': 'a'})
    with pytest.raises(koji.ParameterError, match='^Invalid queryOpts: list$'):
        check_arguments(found, (), {'queryOpts': []})
    # taken through **kwargs: checked all the same
    with pytest.raises(koji.ParameterError, match='^Invalid type for prefix: int'):
        check_arguments(found, (), {'prefix': 5})
    with pytest.raises(koji.ParameterError, match='^queryOpts limit must be'):
        check_arguments(found, (), {'queryOpts': {'limit': -1}})
    assert param_checks(our_function) is None
