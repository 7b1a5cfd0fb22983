"""A few checks in headless Chromium (one browser for the module): a page renders with its
style, watchlogs.js follows a log, and a task is cancelled by clicking its link."""
import os

import pytest

import koji
from tests.fixtures import browser as browserfix

webdriver = pytest.importorskip('selenium.webdriver')
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope='module')
def browser():
    browserfix.require_chromium()
    with browserfix.chromium() as driver:
        yield driver


def wait_for(driver, condition, timeout=30):
    return WebDriverWait(driver, timeout).until(condition)


def test_summary_page_renders_with_style(web, browser):
    browser.get(web.https_url + '/index')
    assert browser.title == 'Build System Info | kojitest'
    nav = browser.find_element(By.ID, 'mainnav')
    assert nav.is_displayed()
    tab = browser.find_element(By.CSS_SELECTOR, 'li#summaryTab a')
    # the active tab is highlighted by the stylesheet
    assert tab.value_of_css_property('color') in ('rgba(255, 255, 255, 1)',
                                                  'rgb(255, 255, 255)')
    assert browser.find_element(By.LINK_TEXT, 'login').is_displayed()


def test_watchlogs_follows_the_log(web, browser):
    task_id = web.admin.makeTask('newRepo', ['nosuch'])
    outdir = os.path.join(web.hub.topdir, koji.PathInfo(topdir='').task(task_id).lstrip('/'))
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, 'mock_output.log'), 'w') as fp:
        fp.write('first line of the log\n')
    web.hub.runas.chown_tree(outdir)
    browser.get(web.https_url + '/watchlogs?taskID=%d' % task_id)
    wait_for(browser, lambda d: 'first line of the log' in d.find_element(By.ID, 'logs').text)
    assert browser.find_element(By.ID, 'watchstate').text == '%d: free' % task_id
    assert browser.title == 'Logs for task %d | kojitest' % task_id


def test_cancel_a_task_from_the_browser(web, browser):
    cookie = web.login('alice')
    alice = web.admin.getUser('alice')
    task_id = web.admin.makeTask('newRepo', ['nosuch'])
    web.hub.sql('UPDATE task SET owner = %s WHERE id = %s', alice['id'], task_id)
    browser.get(web.https_url + '/index')
    browser.add_cookie({'name': 'user', 'value': cookie, 'path': '/', 'secure': True})
    browser.get(web.https_url + '/taskinfo?taskID=%d' % task_id)
    assert browser.find_element(By.LINK_TEXT, 'alice').is_displayed()
    browser.find_element(By.LINK_TEXT, 'cancel').click()
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, 'td.task-canceled'))
    assert browser.current_url.endswith('/koji/taskinfo?taskID=%d' % task_id)
    assert web.admin.getTaskInfo(task_id)['state'] == koji.TASK_STATES['CANCELED']


def test_names_with_markup_do_not_run(web, browser):
    """Objects named with script and handler markup show as text; nothing runs."""
    payload = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    web.admin.createTag('t' + payload)
    web.admin.createUser('u' + payload)
    web.admin.packageListAdd('t' + payload, 'p' + payload, owner='u' + payload)
    web.admin.addHost('h.example.com', ['x86_64'])
    web.admin.editHost('h.example.com', description=payload, comment=payload)
    task_id = web.admin.makeTask('newRepo', ['t' + payload])
    tag = web.admin.getTag('t' + payload)
    host = web.admin.getHost('h.example.com')
    for path in ('tags', 'taginfo?tagID=%d' % tag['id'], 'packages?tagID=%d' % tag['id'],
                 'users', 'hostinfo?hostID=%d' % host['id'], 'tasks?state=all',
                 'taskinfo?taskID=%d' % task_id, 'search?terms=t*&type=tag&match=glob'):
        browser.get(web.https_url + '/' + path)
        assert browser.execute_script('return window.__xss === undefined'), path
        assert payload in browser.find_element(By.TAG_NAME, 'body').text or \
            'window.__xss' in browser.find_element(By.TAG_NAME, 'body').text, path


def test_page_jump_select(web, browser):
    """Choosing a page in the pager's select loads it, keeping the list's sort order."""
    mc = web.admin.multicall()
    for i in range(60):
        mc.createTag('jump-%02d' % i)
    mc.call_all(strict=True)
    total = len(web.admin.listTags())
    browser.get(web.https_url + '/tags?order=-name')

    def names():
        links = browser.find_elements(By.CSS_SELECTOR, '#taglist a[href^="taginfo?tagID="]')
        return [a.text for a in links]
    first = names()
    assert len(first) == 50 and first == sorted(first, reverse=True)
    select = Select(browser.find_element(By.CSS_SELECTOR, 'form.pageJump select'))
    assert [o.text for o in select.options] == [str(n + 1) for n in range((total + 49) // 50)]
    assert select.first_selected_option.text == '1'
    select.select_by_visible_text('2')
    wait_for(browser, lambda d: 'start=50' in d.current_url)
    assert 'order=-name' in browser.current_url
    second = names()
    assert second and not set(second) & set(first)
    assert second == sorted(second, reverse=True) and second[0] < first[-1]
    select = Select(browser.find_element(By.CSS_SELECTOR, 'form.pageJump select'))
    assert select.first_selected_option.text == '2'
    assert 'through %d of %d' % (min(100, total), total) in \
        browser.find_element(By.CSS_SELECTOR, '.pager .range').text
