"""Run many koji command lines in one interpreter, as if each were its own process.

Usage: python batch_cli.py <koji script>  (JSON list of argv lists on stdin)
Prints a JSON list of {"rc", "stdout", "stderr"}, one per command line.

A CLI start-up (imports, config parsing) costs far more than most commands do, so the
interop tests send their read-only command lines through here: one start-up per client
per batch. Each command runs the script afresh with its own argv, its own captured
stdout/stderr and a clean logging set-up, and its exit code is taken from SystemExit
the way the interpreter would report it.
"""
import io
import json
import logging
import runpy
import sys
import traceback


class _Capture(io.TextIOWrapper):
    """A text stream with a .buffer, like sys.stdout, that keeps what was written."""

    def __init__(self):
        super().__init__(io.BytesIO(), encoding='utf-8', errors='replace', newline='\n')

    def isatty(self):
        return False

    def value(self):
        self.flush()
        return self.buffer.getvalue().decode('utf-8', 'replace')


def _reset_logging():
    for name in [None] + list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            if name is not None:
                logger.setLevel(logging.NOTSET)
                logger.propagate = True
    logging.root.setLevel(logging.WARNING)


def _exit_code(exc, err):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    err.write('%s\n' % code)
    return 1


def run_one(script, argv):
    out, err = _Capture(), _Capture()
    saved = sys.argv, sys.stdout, sys.stderr
    sys.argv, sys.stdout, sys.stderr = [script] + list(argv), out, err
    _reset_logging()
    try:
        runpy.run_path(script, run_name='__main__')
        rc = 0
    except SystemExit as exc:
        rc = _exit_code(exc, err)
    except BaseException:
        traceback.print_exc(file=err)
        rc = 1
    finally:
        sys.argv, sys.stdout, sys.stderr = saved
    return {'rc': rc, 'stdout': out.value(), 'stderr': err.value()}


def main():
    script = sys.argv[1]
    commands = json.load(sys.stdin)
    results = [run_one(script, argv) for argv in commands]
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
