"""koji_cli.lib as CLI plugins and scripts use it: the same snippet run against
upstream's library (its venv) and ours must print the same."""
import subprocess
import sys

SNIPPET = r'''
import json, re, sys
import koji
from koji_cli import lib
names = ['OptionParser', 'TimeOption', 'activate_session', 'ensure_connection', 'error',
         'warn', 'get_usage_str', 'get_epilog_str', 'arg_filter', 'categories', 'greetings',
         'ARGMAP', 'print_task_headers', 'print_task', 'print_task_recurse', 'TaskWatcher',
         'display_tasklist_status', 'display_task_results', 'watch_tasks', 'watch_logs',
         'bytes_to_stdout', 'list_task_output_all_volumes', 'unique_path', '_format_size',
         '_format_secs', '_progress_callback', '_running_in_bg', 'linked_upload',
         'download_file', 'download_rpm', 'download_archive', '_download_progress',
         '_list_tasks', 'wait_repo', 'format_inheritance_flags', 'truncate_string',
         'DatetimeJSONEncoder', '_check_time_option']
print([n for n in names if not hasattr(lib, n)])
task = {'id': 5, 'priority': 20, 'owner_name': 'someone', 'state': 1, 'arch': 'noarch',
        'method': 'build', 'request': ['git://h/r.git#1', 'f40', {}], 'children': [
            {'id': 6, 'priority': 19, 'owner_name': 'someone', 'state': 5, 'arch': 'x86_64',
             'method': 'tagBuild', 'request': [1, 2], 'children': [
                 {'id': 7, 'priority': 19, 'owner_name': 'x', 'state': 9, 'arch': 'i686',
                  'method': 'sleep', 'request': [1]}]}]}
lib.print_task_headers()
lib.print_task_recurse(task)
for flags in ((None, '', False, False), (3, 'a*', True, True), (0, None, False, True)):
    print(lib.format_inheritance_flags(dict(zip(
        ('maxdepth', 'pkg_filter', 'intransitive', 'noconfig'), flags))))
for s in (None, '', 'short', 'a\nb' * 20, 'x' * 47, 'x' * 48):
    print(repr(lib.truncate_string(s)), repr(lib.truncate_string(s, 5)))
print(json.dumps({'t': koji.xmlrpcplus.DateTime('20240101T10:00:00')},
                 cls=lib.DatetimeJSONEncoder))
for size in (0, 1023, 1024, 1536 * 1024, 5 * 1024 ** 3):
    print(lib._format_size(size))
print(lib._format_secs(3725.9))
for args in ((0, 100, 0, 0, 0), (50, 100, 50, 0.5, 0.5), (100, 100, 50, 0.5, 2.0)):
    lib._progress_callback(*args)
print()
print(bool(re.match(r'^cli-build/\d+\.\d+\.[A-Za-z]{8}$', lib.unique_path('cli-build'))))
lib.bytes_to_stdout(b'raw bytes\n')
'''


def test_lib_helpers_match(upstream_koji):
    theirs = upstream_koji.run_python(SNIPPET)
    ours = subprocess.run([sys.executable, '-c', SNIPPET], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120, env=upstream_koji.env(),
                          cwd='/')
    assert theirs.returncode == 0, theirs.stderr
    assert (ours.returncode, ours.stdout, ours.stderr) == (0, theirs.stdout, theirs.stderr)
    assert theirs.stdout.startswith('[]\n')
