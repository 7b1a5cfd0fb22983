"""The web UI's /koji/login on real koji-dev stacks: headless Chromium with a client
certificate (ssl), requests-gssapi with a Kerberos ticket from the stack's KDC (kerberos).

Both end with the signed `user` cookie and the user's name in a page's header."""
import json
import re
import time

import requests

import koji

from tests.fixtures import browser as browserfix

COOKIE_RE = r'^[0-9a-f]{64}:%s:\d+$'


def web_url(stack):
    return stack.env['KOJI_WEB_URL']


def wait_for_css(driver, selector):
    """Until the page has an element matching selector (the page shown when it fails)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, selector))
    except TimeoutException:
        raise AssertionError('%s not found on %s:\n%s' % (selector, driver.current_url,
                                                          driver.page_source[:3000]))


def test_browser_logs_in_and_out_with_client_certificate(ssl_stack, tmp_path):
    browserfix.require_chromium(client_cert=True)
    from selenium.webdriver.common.by import By
    pem = ssl_stack.add_user('wendy')['cert']
    url = web_url(ssl_stack)
    origin = '/'.join(url.split('/')[:3])
    home, profile = browserfix.client_cert_home(str(tmp_path), pem, pem, ssl_stack.serverca,
                                                origin)
    # the stack's CA is trusted through the NSS database: no certificate errors ignored
    with browserfix.chromium(home, profile, ignore_cert_errors=False) as driver:
        driver.get(url + '/index')
        session = driver.find_element(By.ID, 'session')
        assert 'wendy' not in session.text
        session.find_element(By.LINK_TEXT, 'login').click()
        wait_for_css(driver, '#session a[href^="userinfo"]')
        assert driver.current_url == url + '/index'
        user = driver.find_element(By.CSS_SELECTOR, '#session a[href^="userinfo"]')
        assert user.text == 'wendy'
        cookie = driver.get_cookie('user')
        assert re.match(COOKIE_RE % 'wendy', cookie['value'])
        assert cookie['secure'] and cookie['httpOnly']
        driver.find_element(By.ID, 'session').find_element(By.LINK_TEXT, 'logout').click()
        wait_for_css(driver, '#session a[href="login"]')
        assert 'wendy' not in driver.find_element(By.ID, 'session').text
        # logout sets the cookie to expire now (expires=0, as upstream): with whole-second
        # expiry dates the browser may keep it until that second has passed
        deadline = time.time() + 5
        while driver.get_cookie('user') is not None and time.time() < deadline:
            time.sleep(0.2)
        assert driver.get_cookie('user') is None
    # the web logged her in to the hub as a certificate user (a proxied login)
    assert ssl_stack.sql("SELECT count(*) FROM sessions JOIN users ON users.id = user_id "
                         "WHERE users.name = 'wendy' AND authtype = %s",
                         (koji.AUTHTYPES['SSL'],))[0][0] >= 1


def test_web_login_without_certificate_refused(ssl_stack):
    resp = requests.get(web_url(ssl_stack) + '/login', verify=ssl_stack.serverca,
                        allow_redirects=False, timeout=60)
    assert resp.status_code == 403
    assert 'Set-Cookie' not in resp.headers


GSSAPI_SCRIPT = r'''
import json, sys
import gssapi, requests
from requests_gssapi import HTTPSPNEGOAuth, OPTIONAL
url, ca, principal, keytab = sys.argv[1:]
creds = gssapi.Credentials(name=gssapi.Name(principal, gssapi.NameType.kerberos_principal),
                           usage='initiate',
                           store={'client_keytab': keytab, 'ccache': 'MEMORY:weblogin'})
resp = requests.get(url + '/login', verify=ca, allow_redirects=False, timeout=60,
                    auth=HTTPSPNEGOAuth(creds=creds, mutual_authentication=OPTIONAL))
cookie = resp.cookies.get('user')
page = requests.get(url + '/index', verify=ca, timeout=60, cookies={'user': cookie or ''})
print(json.dumps({'status': resp.status_code, 'location': resp.headers.get('Location'),
                  'cookie': cookie, 'index': page.text}))
'''


def test_kerberos_ticket_login_gets_the_signed_cookie(krb_stack):
    creds = krb_stack.add_user('kate')
    url = web_url(krb_stack)
    res = krb_stack.python(GSSAPI_SCRIPT, url, krb_stack.serverca, creds['principal'],
                           creds['keytab'])
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out['status'] == 302
    assert out['location'] == url + '/index'
    # the cookie names the principal mod_auth_gssapi gave the web; pages show the user
    # quoted, as SimpleCookie quotes a value with '@' in it
    assert re.match(COOKIE_RE % re.escape(creds['principal']), out['cookie'].strip('"'))
    assert re.search(r'<a href="userinfo\?userID=\d+">kate</a>', out['index'])
    assert '<a href="logout">logout</a>' in out['index']


def test_kerberos_web_login_without_ticket_refused(krb_stack):
    resp = requests.get(web_url(krb_stack) + '/login', verify=krb_stack.serverca,
                        allow_redirects=False, timeout=60)
    assert resp.status_code == 401
    assert resp.headers.get('WWW-Authenticate') == 'Negotiate'
    assert 'Set-Cookie' not in resp.headers


def test_hub_ssllogin_without_certificate_refused(ssl_stack):
    """Certificates are asked for in the handshake; ssllogin still needs a verified one."""
    resp = requests.post(ssl_stack.login_url + '/ssllogin', data=b'',
                         verify=ssl_stack.serverca, timeout=60)
    assert resp.status_code == 403
