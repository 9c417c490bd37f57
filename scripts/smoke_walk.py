"""Walk the production stack over HTTP as the proxy would pass requests on: sign in as each role, open its home page.

Used by scripts/smoke (CI). Every request carries X-Forwarded-Proto: https and X-Real-IP, as the README's proxy
sets them; cookies are kept by hand because they are Secure and this client speaks plain HTTP to gunicorn.
"""

from __future__ import annotations

import http.client
import re
import sys
import time
from urllib.parse import urljoin, urlsplit

PASSWORD = "Demo@2026"
#: The demo's login of every role (README, The demo county).
LOGINS = ["zuzhibu", "shenji", "danwei1", "fenguan1", "xiangzhen1", "ganbu1", "ganbu2"]


class Client:
    def __init__(self, host: str, port: int, address: str = "203.0.113.10"):
        self.host, self.port, self.address = host, port, address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str = "", referer: str = ""):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "X-Real-IP": self.address,
            "Accept-Language": "zh-CN,zh;q=0.9",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if referer:
            headers["Referer"] = f"https://{self.host}:{self.port}{referer}"
        connection.request(method, path, body=body.encode() if body else None, headers=headers)
        response = connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val in ('""', ""):
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
        connection.close()
        return response, content

    def follow(self, path: str):
        for _ in range(10):
            response, content = self.request("GET", path)
            if response.status not in (301, 302, 303):
                return response, content, path
            path = urlsplit(urljoin(path, response.getheader("Location"))).path or "/"
        raise AssertionError(f"too many redirects from {path}")

    def log_in(self, username: str, password: str):
        response, content = self.request("GET", "/accounts/login/")
        assert response.status == 200, (username, response.status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)
        body = f"csrfmiddlewaretoken={token}&username={username}&password={password}"
        return self.request("POST", "/accounts/login/", body=body, referer="/accounts/login/")


def check(condition: bool, message: str) -> None:
    if not condition:
        print(f"smoke: FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def main(host: str, port: int) -> None:
    started = time.monotonic()
    probe = Client(host, port)
    response, content = probe.request("GET", "/accounts/login/")
    check(response.status == 200, f"the sign-in page answers {response.status}")
    check("default-src 'self'" in (response.getheader("Content-Security-Policy") or ""), "no content security policy")
    check("max-age=" in (response.getheader("Strict-Transport-Security") or ""), "no HSTS header over HTTPS")
    check(response.getheader("X-Frame-Options") == "DENY", "X-Frame-Options is not DENY")
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', content)
    check(stylesheet is not None, "the stylesheet is not served under a hashed name (collectstatic, whitenoise)")
    response, css = probe.request("GET", stylesheet.group(1))
    check(response.status == 200 and ".vc-" in css, f"whitenoise answers {response.status} for {stylesheet.group(1)}")
    check("immutable" in (response.getheader("Cache-Control") or ""), "a hashed static file is not cached for good")
    response, _ = Client(host, port).request("GET", "/")
    check(response.status == 302, "an anonymous visitor is not sent to sign in")

    for username in LOGINS:
        client = Client(host, port)
        response, _ = client.log_in(username, PASSWORD)
        check(response.status == 302, f"{username}: sign-in answers {response.status}")
        cookie = next(v for k, v in response.getheaders() if k.lower() == "set-cookie" and v.startswith("sessionid"))
        check("Secure" in cookie and "HttpOnly" in cookie, f"{username}: the session cookie is not Secure and HttpOnly")
        response, content, path = client.follow("/")
        check(response.status == 200, f"{username}: the home page answers {response.status} at {path}")
        check("您好" in content, f"{username}: the home page does not greet the user")
        print(f"smoke: {username:<11} home page {path} 200")

    # Wrong passwords for one account from one address lock that pair only (django-axes behind the proxy).
    attacker, colleague = Client(host, port, "198.51.100.7"), Client(host, port, "198.51.100.8")
    statuses = [attacker.log_in("xiangzhen1", "wrong-password")[0].status for _ in range(6)]
    check(statuses[-1] == 429, f"six wrong passwords from one address are not locked out: {statuses}")
    response, _ = attacker.log_in("xiangzhen1", PASSWORD)
    check(response.status == 429, "the locked-out address signs in with the right password")
    response, _ = colleague.log_in("xiangzhen1", PASSWORD)
    check(response.status == 302, f"another address is locked out too ({response.status})")
    print(f"smoke: lockout per account and address holds; walked in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
