"""Log handler helpers."""
import logging
import logging.handlers

import koji


def test_file_logger(tmp_path):
    name = 'koji.test.filelogger'
    path = tmp_path / 'out.log'
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    before = list(logger.handlers)
    koji.add_file_logger(name, str(path))
    added = [h for h in logger.handlers if h not in before]
    assert len(added) == 1 and isinstance(added[0], logging.handlers.WatchedFileHandler)
    try:
        logger.info('hello %s', 'world')
        added[0].flush()
        text = path.read_text()
        assert '[INFO] koji.test.filelogger: hello world' in text
    finally:
        koji.remove_log_handler(name, added[0])
        added[0].close()
    assert added[0] not in logger.handlers


def test_file_logger_unwritable_is_skipped(tmp_path):
    name = 'koji.test.skip'
    before = list(logging.getLogger(name).handlers)
    koji.add_file_logger(name, str(tmp_path / 'missing-dir' / 'x.log'))
    koji.add_file_logger(name, str(tmp_path))  # a directory
    assert logging.getLogger(name).handlers == before


def test_stderr_logger():
    name = 'koji.test.stderr'
    koji.add_stderr_logger(name)
    handler = logging.getLogger(name).handlers[-1]
    try:
        assert isinstance(handler, logging.StreamHandler)
        assert handler.level == logging.DEBUG
    finally:
        koji.remove_log_handler(name, handler)


def test_mail_logger():
    name = 'koji.test.mail'
    before = list(logging.getLogger(name).handlers)
    koji.add_mail_logger(name, '')
    assert logging.getLogger(name).handlers == before
    koji.add_mail_logger(name, 'a@example.com,b@example.com')
    handler = logging.getLogger(name).handlers[-1]
    try:
        assert isinstance(handler, logging.handlers.SMTPHandler)
        assert handler.toaddrs == ['a@example.com', 'b@example.com']
        assert handler.level == logging.ERROR
    finally:
        koji.remove_log_handler(name, handler)
